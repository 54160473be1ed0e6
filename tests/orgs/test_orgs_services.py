"""Granting and revoking roles: the admin's door (is_staff) follows the memberships."""

import pytest
from django.core.exceptions import PermissionDenied

from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant, membership_revoke

pytestmark = pytest.mark.django_db

Role = Membership.Role


def test_grant_creates_the_membership_and_opens_the_admin(tree, make_user):
    user = make_user("moi")
    assert user.is_staff is False
    membership = membership_grant(user=user, unit=tree.commune_a, role=Role.NOMINATOR)
    user.refresh_from_db()
    assert user.is_staff is True
    assert list(Membership.objects.values_list("user__username", "unit__code", "role")) == [
        ("moi", "P-A", "nominator")
    ]
    assert membership_grant(user=user, unit=tree.commune_a, role=Role.NOMINATOR).pk == membership.pk
    assert Membership.objects.count() == 1


def test_a_unit_admin_grants_below_but_not_above(tree, make_user):
    unit_admin = make_user("quantri_a", role=Role.ADMIN, unit=tree.commune_a)
    user = make_user("moi")
    membership_grant(user=user, unit=tree.branch_a, role=Role.NOMINATOR, granted_by=unit_admin)
    with pytest.raises(PermissionDenied):
        membership_grant(user=user, unit=tree.province, role=Role.TREASURER, granted_by=unit_admin)
    granted = Membership.objects.filter(user=user).values_list("unit__code", "role")
    assert list(granted) == [("P-A-1", "nominator")]


def test_a_treasurer_cannot_grant_roles(tree, make_user):
    treasurer = make_user("thuquy", role=Role.TREASURER, unit=tree.province)
    user = make_user("moi")
    with pytest.raises(PermissionDenied):
        membership_grant(user=user, unit=tree.commune_a, role=Role.TREASURER, granted_by=treasurer)
    user.refresh_from_db()
    assert user.is_staff is False
    assert not Membership.objects.filter(user=user).exists()


def test_revoking_the_last_membership_closes_the_admin(tree, make_user):
    user = make_user("hai_vai", role=Role.NOMINATOR, unit=tree.commune_a)
    second = membership_grant(user=user, unit=tree.commune_b, role=Role.COMMITTEE)
    membership_revoke(membership=Membership.objects.get(user=user, role=Role.NOMINATOR))
    user.refresh_from_db()
    assert user.is_staff is True
    membership_revoke(membership=second)
    user.refresh_from_db()
    assert user.is_staff is False
    assert not Membership.objects.filter(user=user).exists()


def test_revoking_keeps_a_superuser_in_the_admin(tree, make_user):
    root = make_user("root", superuser=True)
    membership_revoke(membership=membership_grant(user=root, unit=tree.province, role=Role.AUDITOR))
    root.refresh_from_db()
    assert root.is_staff is True


def test_revoke_needs_the_right_above_the_membership(tree, make_user):
    unit_admin = make_user("quantri_b", role=Role.ADMIN, unit=tree.commune_b)
    victim = make_user("thuquy_a", role=Role.TREASURER, unit=tree.commune_a)
    with pytest.raises(PermissionDenied):
        membership_revoke(membership=victim.memberships.get(), revoked_by=unit_admin)
    assert victim.memberships.count() == 1


def test_unknown_role_is_refused(tree, make_user):
    with pytest.raises(ValueError):
        membership_grant(user=make_user("moi"), unit=tree.province, role="boss")
    assert Membership.objects.count() == 0

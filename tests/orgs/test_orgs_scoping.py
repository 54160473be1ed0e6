"""Which units a user sees: their units and everything below, nothing else."""

import pytest

from fundmgr.orgs.models import Membership, OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import scope_queryset, user_has_role, user_unit_paths, visible_units
from fundmgr.orgs.services import membership_grant

pytestmark = pytest.mark.django_db

Role = Membership.Role


def codes(queryset):
    return {unit.code for unit in queryset}


def test_commune_treasurer_sees_the_commune_and_below_only(tree, make_user):
    treasurer = make_user("thuquy_a", role=Role.TREASURER, unit=tree.commune_a)
    assert codes(visible_units(treasurer)) == {"P-A", "P-A-1", "P-A-1-a"}
    assert not user_has_role(treasurer, tree.province, [Role.TREASURER])
    assert not user_has_role(treasurer, tree.commune_b, [Role.TREASURER])
    assert user_has_role(treasurer, tree.group_a, [Role.TREASURER])


def test_province_treasurer_sees_every_unit(tree, make_user):
    treasurer = make_user("thuquy_tinh", role=Role.TREASURER, unit=tree.province)
    assert codes(visible_units(treasurer)) == tree.all_codes


def test_user_without_membership_sees_nothing(tree, make_user):
    nobody = make_user("khach")
    assert codes(visible_units(nobody)) == set()
    assert scope_queryset(OrgUnit.objects.all(), nobody, "").count() == 0


def test_superuser_sees_everything_without_membership(tree, make_user):
    root = make_user("root", superuser=True)
    assert codes(visible_units(root)) == tree.all_codes


def test_inactive_member_sees_nothing(tree, make_user):
    retired = make_user("nghi_huu", role=Role.TREASURER, unit=tree.province, active=False)
    assert codes(visible_units(retired)) == set()


def test_scope_queryset_follows_a_lookup_path(tree, make_user):
    treasurer = make_user("thuquy_a", role=Role.TREASURER, unit=tree.commune_a)
    # Units whose *parent* is in scope: a two-step lookup ("parent__path") like "fund__unit".
    assert codes(scope_queryset(OrgUnit.objects.all(), treasurer, "parent")) == {"P-A-1", "P-A-1-a"}
    memberships = scope_queryset(Membership.objects.all(), treasurer, "unit")
    assert [m.user.username for m in memberships] == ["thuquy_a"]


def test_roles_narrow_the_scope(tree, make_user):
    # Nominator at the province, treasurer only in commune A: money is visible in A only.
    user = make_user("hai_vai", role=Role.NOMINATOR, unit=tree.province)
    membership_grant(user=user, unit=tree.commune_a, role=Role.TREASURER)
    assert codes(visible_units(user)) == tree.all_codes
    money_roles = roles_with(Action.VIEW, Domain.MONEY)
    assert codes(visible_units(user, roles=money_roles)) == {"P-A", "P-A-1", "P-A-1-a"}


def test_nested_memberships_do_not_duplicate_rows(tree, make_user):
    user = make_user("hai_cap", role=Role.TREASURER, unit=tree.province)
    membership_grant(user=user, unit=tree.commune_a, role=Role.TREASURER)
    assert visible_units(user).count() == len(tree.all_codes)


def test_memberships_are_read_once_per_user_object(tree, make_user, django_assert_num_queries):
    treasurer = make_user("thuquy_a", role=Role.TREASURER, unit=tree.commune_a)
    treasurer = type(treasurer).objects.get(pk=treasurer.pk)  # as a new request would load it
    with django_assert_num_queries(1):  # SELECT role, unit.path FROM membership JOIN orgunit
        user_unit_paths(treasurer)
        user_unit_paths(treasurer, [Role.TREASURER])
        user_has_role(treasurer, tree.group_a, [Role.TREASURER])


def test_a_grant_is_seen_by_the_same_user_object(tree, make_user):
    user = make_user("moi")
    assert codes(visible_units(user)) == set()
    membership_grant(user=user, unit=tree.commune_b, role=Role.AUDITOR)
    assert codes(visible_units(user)) == {"P-B", "P-B-1"}

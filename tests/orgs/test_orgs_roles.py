"""The capability table, checked cell by cell against the table written out in docs/roles.md."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from fundmgr.orgs.models import Membership
from fundmgr.orgs.roles import ACTIONS, APPEND_ONLY_DOMAINS, DOMAINS, ROLE_ACTIONS, roles_with, user_can

pytestmark = pytest.mark.django_db

Role = Membership.Role

# Written out by hand, not derived from ROLE_ACTIONS: this is the specification.
EXPECTED = {
    Role.TREASURER: {
        "money:view", "money:add", "money:change", "money:export", "ledger:view", "ledger:export", "awards:view", "awards:export",
        "org:view",
    },
    Role.AUDITOR: {
        "money:view", "money:export", "ledger:view", "ledger:export", "students:view", "students:export",
        "awards:view", "awards:export", "org:view",
    },
    Role.NOMINATOR: {
        "students:view", "students:view_personal", "students:add", "students:change", "students:export", "org:view",
    },
    Role.COMMITTEE: {
        "students:view", "students:view_personal", "students:export",
        "awards:view", "awards:add", "awards:change", "awards:approve", "awards:export", "org:view",
    },
    Role.ADMIN: {
        "money:view", "money:add", "money:change", "money:export", "ledger:view", "ledger:export", "awards:view", "awards:export",
        "org:view", "org:add", "org:change", "org:delete",
    },
}
CELLS = sorted(itertools.product(DOMAINS, ACTIONS))


@pytest.mark.parametrize("role", Role.values)
def test_each_cell_of_the_table_in_the_own_unit(role, tree, make_user):
    user = make_user(f"u_{role}", role=role, unit=tree.commune_a)
    granted = {
        f"{domain}:{action}" for domain, action in CELLS if user_can(user, action, domain, tree.commune_a)
    }
    assert granted == EXPECTED[role]


@pytest.mark.parametrize("role", Role.values)
def test_capabilities_reach_down_but_not_up_or_sideways(role, tree, make_user):
    user = make_user(f"u_{role}", role=role, unit=tree.commune_a)
    domain, action = next(iter(sorted(EXPECTED[role]))).split(":")
    assert user_can(user, action, domain, tree.group_a) is True
    assert user_can(user, action, domain, tree.province) is False
    assert user_can(user, action, domain, tree.commune_b) is False
    assert user_can(user, action, domain) is True  # unit=None: in some unit


def test_no_role_deletes_money_or_ledger_rows():
    for role, domain in itertools.product(Role.values, APPEND_ONLY_DOMAINS):
        assert "delete" not in ROLE_ACTIONS[role].get(domain, ())


def test_roles_with_lists_the_roles_that_hold_a_capability():
    assert roles_with("change", "money") == {Role.TREASURER, Role.ADMIN}
    assert roles_with("export", "ledger") == {Role.AUDITOR, Role.TREASURER, Role.ADMIN}
    assert roles_with("approve", "awards") == {Role.COMMITTEE}
    assert roles_with("view", "org") == set(Role.values)


def test_superuser_may_do_everything_but_not_when_inactive(make_user):
    root = make_user("root", superuser=True)
    assert all(user_can(root, action, domain) for domain, action in CELLS)
    root.is_active = False
    assert not any(user_can(root, action, domain) for domain, action in CELLS)


def test_user_without_membership_and_anonymous_may_do_nothing(tree, make_user):
    nobody = make_user("khach")
    for user in (nobody, AnonymousUser()):
        assert not any(user_can(user, action, domain) for domain, action in CELLS)
        assert not any(user_can(user, action, domain, tree.province) for domain, action in CELLS)


def test_roles_in_two_units_do_not_mix(tree, make_user):
    # Committee at the province, treasurer in commune B: may change money in B only.
    user = make_user("hai_vai", role=Role.COMMITTEE, unit=tree.province)
    Membership.objects.create(user=user, unit=tree.commune_b, role=Role.TREASURER)
    user = type(user).objects.get(pk=user.pk)
    assert user_can(user, "change", "money", tree.branch_b) is True
    assert user_can(user, "change", "money", tree.commune_a) is False
    assert user_can(user, "approve", "awards", tree.commune_a) is True


@pytest.mark.parametrize("action, domain", [("edit", "money"), ("view", "funds"), ("delete", "")])
def test_a_misspelt_action_or_domain_is_an_error(action, domain, make_user):
    with pytest.raises(ValueError):
        user_can(make_user("x"), action, domain)

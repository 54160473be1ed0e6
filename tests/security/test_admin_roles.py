"""Each role can do in the admin exactly what the capability table says: role × model × action
× own/other unit, over every ModelAdmin in `admin.site._registry`.

The expected answers come from `fundmgr.orgs.roles.ROLE_ACTIONS`, not from `user_can`, so a
mistake in either the mixin or an admin shows up. The rules:
- A `ScopedAdminMixin` admin (it names a `permission_domain`): a role may do an action on an
  object of its own unit (or below) when the table gives the role that action in the domain;
  nothing on another unit's object; nobody deletes in an append-only domain. An admin may
  refuse an action to everyone (a read-only journal): then the superuser is refused too, and
  the rule is "nobody".
- Any other admin (auth, third-party apps, unit-less ones): no role may do anything, except
  what `UNSCOPED` below grants explicitly. A new unit-less admin that lets a role in fails here
  until it is declared.
The test grows with the registry: a new admin is checked without touching this file.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from fundmgr.core import exporting
from fundmgr.orgs.models import Membership, OrgUnit

roles = pytest.importorskip("fundmgr.orgs.roles")
orgs_admin = pytest.importorskip("fundmgr.adminkit.scoping")

pytestmark = pytest.mark.django_db

Role = Membership.Role
SUPERUSER = "superuser"
SUBJECTS = [*Role.values, SUPERUSER]
ACTIONS = [roles.Action.VIEW, roles.Action.ADD, roles.Action.CHANGE, roles.Action.DELETE]

# The report runs' admin (`fundmgr.reports.admin`) is open to the roles that may export the domain of
# some registered report; its rows are scoped per run (`fundmgr.reports.selectors`, tests/reports).
_REPORT_RUNNERS = frozenset().union(
    *(roles.roles_with(roles.Action.EXPORT, exporter.domain) for exporter in exporting.exporters())
)

# Unit-less admins that let roles in: model label → action → roles allowed.
UNSCOPED = {
    "reports.reportrun": {roles.Action.VIEW: _REPORT_RUNNERS, roles.Action.ADD: _REPORT_RUNNERS},
    "ledger.ledgerverification": {roles.Action.VIEW: roles.roles_with(roles.Action.VIEW, roles.Domain.LEDGER)},
    # The transparency log's checkpoints and their e-mails: about the whole ledger, read-only.
    "transparency.checkpoint": {roles.Action.VIEW: roles.roles_with(roles.Action.VIEW, roles.Domain.LEDGER)},
    "transparency.checkpointdelivery": {roles.Action.VIEW: roles.roles_with(roles.Action.VIEW, roles.Domain.LEDGER)},
    "audit.auditevent": {roles.Action.VIEW: frozenset({Role.AUDITOR})},
    # Anyone with a role makes and revokes API tokens for themselves (a token carries only its
    # user's own rights; `fundmgr/api/admin.py` lists each user's own tokens).
    "api.apitoken": {roles.Action.VIEW: frozenset(Role.values), roles.Action.ADD: frozenset(Role.values)},
    # Conflict-of-interest declarations (`scholarships/admin/conflicts.py`): a committee member
    # declares and reads their own; the unit's auditors and administrators read those of their units.
    "scholarships.conflictdeclaration": {
        roles.Action.VIEW: roles.roles_with(roles.Action.APPROVE, roles.Domain.AWARDS)
        | {roles.Role.AUDITOR} | roles.roles_with(roles.Action.CHANGE, roles.Domain.ORG),
        roles.Action.ADD: roles.roles_with(roles.Action.APPROVE, roles.Domain.AWARDS),
    },
}


def registered():
    return [
        pytest.param(model, model_admin, id=model._meta.label)
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
    ]


def is_scoped(model_admin) -> bool:
    return isinstance(model_admin, orgs_admin.ScopedAdminMixin) and model_admin.permission_domain is not None


@pytest.fixture
def people(units, make_user):
    """One user per role, each a member of commune A; and a superuser."""
    users = {role: make_user(f"user_{role}", role=role, unit=units.commune_a) for role in Role.values}
    users[SUPERUSER] = make_user("root", superuser=True)
    return users


def request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def object_in(model, model_admin, unit):
    """An unsaved object of `model` whose scope leads to `unit` (OrgUnit: the unit itself)."""
    if model is OrgUnit:
        return unit
    obj = model()
    current = obj
    parts = model_admin.scope_field.split("__")
    for position, name in enumerate(parts):
        if position == len(parts) - 1:
            setattr(current, name, unit)
        else:
            related = current._meta.get_field(name).related_model()
            setattr(current, name, related)
            current = related
    return obj


def ask(model_admin, action, request, obj):
    method = getattr(model_admin, f"has_{action}_permission")
    return bool(method(request) if obj is None else method(request, obj))


def table_allows(subject, domain, action, own: bool) -> bool:
    if action == roles.Action.DELETE and domain in roles.APPEND_ONLY_DOMAINS:
        return False
    if subject == SUPERUSER:
        return True
    return own and action in roles.ROLE_ACTIONS[subject].get(domain, frozenset())


@pytest.mark.parametrize("model, model_admin", registered())
def test_each_role_may_do_exactly_what_the_table_says(units, people, model, model_admin):
    # Own: commune A's own branch (for units: branch A, decided by commune A). Other: commune B.
    unexpected = []
    if is_scoped(model_admin):
        domain = model_admin.permission_domain
        own, other = object_in(model, model_admin, units.branch_a), object_in(model, model_admin, units.commune_b)
        refused_to_all = {
            action for action in ACTIONS if not ask(model_admin, action, request_for(people[SUPERUSER]), own)
        }
        for subject, user in people.items():
            request = request_for(user)
            for action in ACTIONS:
                for where, obj, is_own in (("own", own, True), ("other", other, False)):
                    expected = table_allows(subject, domain, action, is_own) and action not in refused_to_all
                    if ask(model_admin, action, request, obj) != expected:
                        unexpected.append((subject, action, where, "expected" if expected else "refused expected"))
            may_view_somewhere = table_allows(subject, domain, roles.Action.VIEW, True)
            if model_admin.has_module_permission(request) != may_view_somewhere:
                unexpected.append((subject, "module", "-", may_view_somewhere))
    else:
        granted = UNSCOPED.get(model._meta.label_lower, {})
        for subject, user in people.items():
            if subject == SUPERUSER:
                continue  # Django's own rules for the superuser
            request = request_for(user)
            for action in ACTIONS:
                expected = subject in granted.get(action, frozenset())
                if ask(model_admin, action, request, None) != expected:
                    unexpected.append((subject, action, "-", "expected" if expected else "refused expected"))
    assert unexpected == [], f"{model._meta.label}: (role, action, unit, what the table says) that differ"


def expected_over_http(model, model_admin, subject, action, superuser) -> bool:
    """May `subject` open the page of `action` (view: the list, add: the add form)?"""
    superuser_may = ask(model_admin, action, request_for(superuser), None)
    if subject == SUPERUSER:
        return superuser_may
    if is_scoped(model_admin):
        # A refusal to everyone (a read-only admin) holds for the roles too.
        return superuser_may and table_allows(subject, model_admin.permission_domain, action, True)
    return subject in UNSCOPED.get(model._meta.label_lower, {}).get(action, frozenset())


@pytest.mark.parametrize("model, model_admin", registered())
def test_the_changelist_and_add_page_open_exactly_for_the_roles_that_may(client, people, model, model_admin):
    info = (model._meta.app_label, model._meta.model_name)
    wrong = []
    for subject, user in people.items():
        client.force_login(user)
        for view, action in (("changelist", roles.Action.VIEW), ("add", roles.Action.ADD)):
            try:
                url = reverse(f"admin:{info[0]}_{info[1]}_{view}")
            except NoReverseMatch:
                continue
            allowed = expected_over_http(model, model_admin, subject, action, people[SUPERUSER])
            status = client.get(url).status_code
            if (status == 200) != allowed or status not in (200, 403):
                wrong.append((subject, view, status, "allowed" if allowed else "refused"))
    assert wrong == [], f"{model._meta.label}: (role, page, status, expected)"

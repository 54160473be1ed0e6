"""Who may do what: the capability table, role × (domain, action).

Memberships are the only source of permissions (no Django Groups or model permissions): a
membership gives its role's capabilities in its unit and every unit below it. Other apps'
admins, API views and services ask `user_can(user, action, domain, unit)`; the table itself is
data (`ROLE_ACTIONS`) so `docs/roles.md` and the tests can read it.

Domains group the models an app owns:
  money     funds, campaigns, donors, pledges, payments, receipts
  ledger    journal entries, balances, ledger exports
  students  students and their nominations; `view_personal` unmasks a child's name, birth
            date, guardian, contacts and family situation (everyone else sees them masked)
  awards    scholarship programs, scores, allocation runs, awards
  org       association units and memberships
Money and the ledger are append-only: no role may delete there (corrections are reversing
documents), and `APPEND_ONLY_DOMAINS` says so for the admin mixin, even for superusers.
"""

from .models import Membership, OrgUnit
from .scoping import user_unit_paths

Role = Membership.Role


class Domain:
    MONEY = "money"
    LEDGER = "ledger"
    STUDENTS = "students"
    AWARDS = "awards"
    ORG = "org"


class Action:
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    APPROVE = "approve"
    EXPORT = "export"
    VIEW_PERSONAL = "view_personal"


DOMAINS = frozenset({Domain.MONEY, Domain.LEDGER, Domain.STUDENTS, Domain.AWARDS, Domain.ORG})
ACTIONS = frozenset({
    Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE, Action.APPROVE, Action.EXPORT, Action.VIEW_PERSONAL,
})
APPEND_ONLY_DOMAINS = frozenset({Domain.MONEY, Domain.LEDGER})

_TREASURER = {
    # The treasurer keeps the books, so runs their reports (`fundmgr.reports`).
    Domain.MONEY: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.EXPORT}),
    Domain.LEDGER: frozenset({Action.VIEW, Action.EXPORT}),
    # The treasurer pays approved awards (a money action) and so reads them, not who decided;
    # the awards book and the award list are reports of what they pay (names masked: no STUDENTS).
    Domain.AWARDS: frozenset({Action.VIEW, Action.EXPORT}),
    Domain.ORG: frozenset({Action.VIEW}),
}

ROLE_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.TREASURER: _TREASURER,
    Role.AUDITOR: {
        # Auditors change nothing; exporting (a report run) reads the books, it is not a change.
        Domain.MONEY: frozenset({Action.VIEW, Action.EXPORT}),
        Domain.LEDGER: frozenset({Action.VIEW, Action.EXPORT}),
        # Auditors check that awards went to real students, not who the children are: masked.
        Domain.STUDENTS: frozenset({Action.VIEW, Action.EXPORT}),
        Domain.AWARDS: frozenset({Action.VIEW, Action.EXPORT}),
        Domain.ORG: frozenset({Action.VIEW}),
    },
    Role.NOMINATOR: {
        Domain.STUDENTS: frozenset(
            {Action.VIEW, Action.VIEW_PERSONAL, Action.ADD, Action.CHANGE, Action.EXPORT}
        ),
        Domain.ORG: frozenset({Action.VIEW}),
    },
    Role.COMMITTEE: {
        # The committee reads the family's situation to score it, so it sees personal data.
        Domain.STUDENTS: frozenset({Action.VIEW, Action.VIEW_PERSONAL, Action.EXPORT}),
        # Programs, allocation runs and the decisions on awards are the committee's, and so is
        # the list of who was awarded (a report run).
        Domain.AWARDS: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.APPROVE, Action.EXPORT}),
        Domain.ORG: frozenset({Action.VIEW}),
    },
    Role.ADMIN: {
        **_TREASURER,
        Domain.ORG: frozenset({Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE}),
    },
}


def roles_with(action: str, domain: str) -> frozenset[str]:
    """The roles that may do `action` in `domain` (for `scope_queryset(..., roles=...)`)."""
    _check(action, domain)
    return frozenset(role for role, domains in ROLE_ACTIONS.items() if action in domains.get(domain, ()))


def user_can(user, action: str, domain: str, unit: OrgUnit | None = None) -> bool:
    """Whether `user` may do `action` in `domain`, in `unit` (or in some unit when None).

    A superuser may do everything the table names (append-only domains still refuse deletes in
    the admin mixin); anyone else needs a membership whose role has the capability, in `unit`
    or in a unit above it.
    """
    _check(action, domain)
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    paths = user_unit_paths(user, roles_with(action, domain))
    if unit is None:
        return bool(paths)
    return bool(unit.path) and any(unit.path.startswith(path) for path in paths)


def _check(action: str, domain: str) -> None:
    # A misspelt name would silently deny (or, worse, be copied around): fail loudly instead.
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {sorted(ACTIONS)}")
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; one of {sorted(DOMAINS)}")

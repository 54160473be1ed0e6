"""Who sees a student's personal data, and what everyone else sees instead.

One rule, used by the admin, the API and the exports: a user sees the personal fields of a
student when they hold the `view_personal` capability (`fundmgr.orgs.roles`) in the student's
unit or above it; otherwise each personal field is masked the way the audit trail masks it
(name → initials, phone → first and last three digits, the rest → `***`).

`PersonalAccess` answers the question for many rows with no query per row: it reads the user's
memberships once (they are cached on the user for the request) and compares unit paths.

The papers of a payment (the voucher, the signature list, the voucher admin) name the child and the
person who received the money for the treasurer who pays too: they hand the money over against a
signature. `RecipientAccess` is that rule: `view_personal` or the money `add` capability in the
paying unit; everyone else (an auditor) reads initials.
"""

from __future__ import annotations

from fundmgr.audit.masking import NAME, PHONE, REDACT, mask_value
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import user_unit_paths

from .models import Student

MASK_KINDS = {
    "full_name": NAME,
    "guardian_name": NAME,
    "guardian_phone": PHONE,
    "date_of_birth": REDACT,
    "address": REDACT,
    "national_id": REDACT,
    "circumstances_note": REDACT,
    "bank_account_number": REDACT,
    "bank_account_holder": NAME,
}


class PersonalAccess:
    """Whether `user` may see the personal fields of a student, by the student's unit path."""

    def __init__(self, user):
        self.everywhere = bool(user.is_active and user.is_superuser)
        self.paths = () if self.everywhere else tuple(
            user_unit_paths(user, roles_with(Action.VIEW_PERSONAL, Domain.STUDENTS))
        )

    def allows(self, student: Student) -> bool:
        if self.everywhere:
            return True
        path = student.unit.path
        return bool(path) and any(path.startswith(granted) for granted in self.paths)

    @property
    def anywhere(self) -> bool:
        return self.everywhere or bool(self.paths)


def masked_value(student: Student, field: str):
    """The masked form of one personal field (None and "" stay as they are: nothing to hide)."""
    return mask_value(getattr(student, field), MASK_KINDS[field])


def recipient_roles() -> frozenset[str]:
    """The roles that read names on the papers of a payment, in the paying unit (and below)."""
    return roles_with(Action.ADD, Domain.MONEY) | roles_with(Action.VIEW_PERSONAL, Domain.STUDENTS)


class RecipientAccess:
    """Whether `user` may read the child's and the recipient's names on a payment of a unit."""

    def __init__(self, user):
        self.everywhere = user is None or bool(user.is_active and user.is_superuser)  # None: the system
        self.paths = () if self.everywhere else tuple(user_unit_paths(user, recipient_roles()))

    def allows(self, paying_unit) -> bool:
        if self.everywhere:
            return True
        path = paying_unit.path
        return bool(path) and any(path.startswith(granted) for granted in self.paths)


def masked_name(name: str, shows: bool) -> str:
    return name if shows else mask_value(name, NAME)

"""Masking personal data before it is copied into the audit trail or an export.

The audit trail must show *that* a donor's phone number changed without becoming a second,
unprotected copy of every phone number. A masked value keeps just enough to recognise it:

    phone   +84912345678        → +84*****678   (first 3 and last 3 characters)
    email   nguyenvana@gmail.com → n***@gmail.com
    name    Nguyễn Văn An        → N.V.A.        (initials; used for students, who are minors)
    redact  anything             → ***

The number of stars is fixed so a masked value does not give away the length. The PostgreSQL
trigger (`audit_mask` in migration 0002) implements the same rules for rows it captures; a
test checks that both agree.

Which fields are personal is said per model in `settings.AUDIT_PERSONAL_FIELDS`
(`{"donations.donor": {"email": "email", ...}}`); a pattern such as `"scholarships.*"` matches
every model of an app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from django.conf import settings

PHONE = "phone"
EMAIL = "email"
NAME = "name"
REDACT = "redact"
KINDS = frozenset({PHONE, EMAIL, NAME, REDACT})

STARS = "*****"

DEFAULT_PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "donations.donor": {
        "email": EMAIL, "phone": PHONE, "address": REDACT, "tax_code": REDACT,
    },
    # Student records are about minors: names become initials, contact details disappear.
    "scholarships.*": {
        "name": NAME, "full_name": NAME, "first_name": NAME, "last_name": NAME,
        "guardian_name": NAME, "parent_name": NAME,
        "email": EMAIL, "phone": PHONE, "guardian_phone": PHONE, "parent_phone": PHONE,
        "address": REDACT, "date_of_birth": REDACT, "birth_date": REDACT,
        "national_id": REDACT, "citizen_id": REDACT, "bank_account_number": REDACT,
        "circumstances_note": REDACT, "recipient_name": NAME,
        "bank_account_holder": NAME, "account_number": REDACT, "account_holder": NAME,
    },
    "receipts.receipt": {"payer_address": REDACT, "address": REDACT},
    "auth.user": {"email": EMAIL, "password": REDACT},
}


def mask_value(value, kind: str):
    """Mask one value; None and the empty string stay as they are (nothing to hide)."""
    if value is None or value == "":
        return value
    text = str(value)
    if kind == PHONE:
        return text[:3] + STARS + text[-3:] if len(text) >= 7 else STARS
    if kind == EMAIL:
        local, at, domain = text.partition("@")
        return f"{local[:1]}***@{domain}" if at and local else "***"
    if kind == NAME:
        return "".join(f"{word[0]}." for word in text.split())
    return "***"


def guess_kind(field: str) -> str:
    lowered = field.lower()
    if "email" in lowered:
        return EMAIL
    if "phone" in lowered:
        return PHONE
    if "name" in lowered:
        return NAME
    return REDACT


def mask_personal(data: Mapping | None, fields: Mapping[str, str] | Iterable[str]) -> dict | None:
    """A copy of `data` with `fields` masked.

    `fields` maps a field name to its kind (phone, email, name, redact), or is a plain list of
    names whose kind is guessed from the name ("email" → email, "phone" → phone, "name" → name,
    anything else redacted). Fields missing from `data` are ignored.
    """
    if data is None:
        return None
    kinds = dict(fields) if isinstance(fields, Mapping) else {field: guess_kind(field) for field in fields}
    masked = dict(data)
    for field, kind in kinds.items():
        if kind not in KINDS:
            raise ValueError(f"unknown masking kind {kind!r} for {field!r}; one of {sorted(KINDS)}")
        if field in masked:
            masked[field] = mask_value(masked[field], kind)
    return masked


def personal_fields(model_label: str) -> dict[str, str]:
    """The personal fields of a model (`app_label.model_name`), from settings and the defaults."""
    configured = getattr(settings, "AUDIT_PERSONAL_FIELDS", None)
    table = DEFAULT_PERSONAL_FIELDS if configured is None else configured
    label = model_label.lower()
    # Matched once per label and table (an audit row each, thousands in a bank import); another
    # table (the setting replaced, as a test does) is matched afresh. A copy each time.
    cached = _matched.get(label)
    if cached is not None and cached[0] is table:
        return dict(cached[1])
    fields: dict[str, str] = {}
    for pattern, kinds in table.items():
        if fnmatchcase(label, pattern.lower()):
            fields.update(kinds)
    _matched[label] = (table, fields)
    return dict(fields)


_matched: dict[str, tuple[Mapping, dict[str, str]]] = {}

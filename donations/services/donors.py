"""Donors: contact rules, finding or creating a donor, merging two records, edits, and the export of
everything held about one (on the donor's request)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donations import selectors
from donations.models import Donor, Payment, Pledge
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import (
    audit_change,
    audit_create,
    audit_create_unsaved,
    audit_fields,
    audit_record,
    audit_tag_transaction,
)
from fundmgr.core import sql_rows
from fundmgr.core.bulk import row_insert
from fundmgr.core.contacts import (
    email_normalize,
    name_clean,
    name_normalize,
    phone_normalize,
    tax_code_normalize,
)
from fundmgr.core.page_version import public_pages_changed
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain

from .tallies import tally_donors_merged

logger = logging.getLogger(__name__)


# What the audit rows of a new donor, pledge and payment hold (contacts are masked by the audit).
DONOR_AUDIT_FIELDS = [
    "unit", "kind", "name", "email", "phone", "tax_code", "address", "honor_roll_consent", "email_consent",
]
DONOR_CONTACT_FIELDS = ("email", "phone", "tax_code", "address")


# --- donors -----------------------------------------------------------------------------------


def donor_fields_clean(*, kind, name, email, phone, tax_code, address) -> dict:
    """The donor fields normalised (phone E.164, e-mail lower case, tax code digits), or ValidationError.

    The one check of a donor's fields for every door (public form, admin, API, imports): the
    contacts by the kernel's rules (`fundmgr.core.contacts`), each with its one message.
    """
    errors: dict[str, list[ValidationError]] = {}
    cleaned = {}
    name = name_clean(name)  # a name of zero-width spaces is no name
    if not name:
        errors.setdefault("name", []).append(ValidationError(_("Vui lòng nhập họ tên hoặc tên đơn vị."), code="required"))
    elif len(name) > 200:
        errors.setdefault("name", []).append(ValidationError(_("Tên dài quá 200 ký tự."), code="max_length"))
    cleaned["name"] = name
    if kind not in Donor.Kind.values:
        errors.setdefault("kind", []).append(ValidationError(_("Loại nhà hảo tâm không hợp lệ."), code="invalid_kind"))
    cleaned["kind"] = kind
    for field, normalize, value in (
        ("email", email_normalize, email),
        ("phone", phone_normalize, phone),
        ("tax_code", tax_code_normalize, tax_code),
    ):
        try:
            cleaned[field] = normalize(value)
        except ValidationError as error:
            for key, messages in error.error_dict.items():
                errors.setdefault(key, []).extend(messages)
    address = " ".join((address or "").split())
    if len(address) > 300:
        errors.setdefault("address", []).append(ValidationError(_("Địa chỉ dài quá 300 ký tự."), code="max_length"))
    cleaned["address"] = address
    if errors:
        raise ValidationError(errors)
    return cleaned


def _donor_by_contacts(*, unit: OrgUnit, email: str, phone: str, tax_code: str) -> Donor | None:
    """The donor of `unit` with the same tax code, else e-mail, else phone (strongest key first;
    the oldest among equals), in one query."""
    keys = [(field, value) for field, value in (("tax_code", tax_code), ("email", email), ("phone", phone)) if value]
    if not keys:
        return None
    # Every pledge of the API and the form asks this: written as SQL (`sql_rows`: the model's own
    # names, every value bound), it costs a tenth of the CPU of the ORM's OR + CASE query.
    def column(name):
        return sql_rows.column(Donor, "donor", name)

    matches = " OR ".join(f"{column(field)} = %s" for field, _value in keys)
    strength = " ".join(f"WHEN {column(field)} = %s THEN {rank}" for rank, (field, _value) in enumerate(keys))
    values = [value for _field, value in keys]
    sql = (
        f"SELECT {sql_rows.columns([(Donor, 'donor')])} FROM {sql_rows.table(Donor, 'donor')} "
        f"WHERE {column('unit')} = %s AND ({matches}) ORDER BY CASE {strength} END, {column('id')} LIMIT 1"
    )
    found = sql_rows.instances(sql, [unit.pk, *values, *values], [(Donor, "donor")])
    donor = found[0][0] if found else None
    if donor is not None:
        # A merged donor lives on in the one it was merged into (rare: one query per step).
        while donor.merged_into_id is not None:
            donor = donor.merged_into
    return donor


def donor_suggestion(*, unit: OrgUnit, name: str, email: str, phone: str, tax_code: str) -> Donor | None:
    """The donor of `unit` that a public pledge may be from: the same name without diacritics and
    the same tax code, e-mail or phone. Only a suggestion: a treasurer confirms it (`pledge_donor_confirm`)."""
    donor = _donor_by_contacts(unit=unit, email=email, phone=phone, tax_code=tax_code)
    if donor is not None and donor.name_normalized == name_normalize(name):
        return donor
    return None


def _donor_create(
    *, unit: OrgUnit, cleaned: dict, honor_roll_consent: bool, email_consent: bool, by, audit_events: list | None = None
) -> Donor:
    """A new donor and its audit row (appended unsaved to `audit_events` when given: the caller
    writes it with its own rows, `audit_save`)."""
    now = timezone.now()
    donor = row_insert(Donor(
        unit=unit,
        kind=cleaned["kind"],
        name=cleaned["name"],
        name_normalized=name_normalize(cleaned["name"]),
        email=cleaned["email"],
        phone=cleaned["phone"],
        tax_code=cleaned["tax_code"],
        address=cleaned["address"],
        honor_roll_consent=honor_roll_consent,
        honor_roll_consent_at=now if honor_roll_consent else None,
        email_consent=email_consent,
        email_consent_at=now if email_consent else None,
    ))
    if audit_events is None:
        audit_create(donor, DONOR_AUDIT_FIELDS, actor=by)
    else:
        audit_events.append(audit_create_unsaved(donor, DONOR_AUDIT_FIELDS, actor=by))
    return donor


# A savepoint when nested: a caller that catches a refusal (an import row, a form) carries on.
@transaction.atomic
def donor_find_or_create(
    *,
    unit: OrgUnit,
    kind: str,
    name: str,
    email: str = "",
    phone: str = "",
    tax_code: str = "",
    address: str = "",
    honor_roll_consent: bool = False,
    email_consent: bool = False,
    by=None,
) -> Donor:
    """The donor of `unit` with the same tax code, e-mail or phone, or a new one; for staff only.

    Only contacts identify a donor: two people with the same name are two donors until a
    treasurer merges them (`selectors.donor_merge_candidates`, `donor_merge`). A found donor gets
    the contacts it lacked and the consents given now; consents are never withdrawn here.
    `by` is the person recording it, who must hold the money capability in `unit`. The public
    form does not come here: an anonymous caller never changes an existing donor.
    """
    return _donor_find_or_create(
        unit=unit, kind=kind, name=name, email=email, phone=phone, tax_code=tax_code, address=address,
        honor_roll_consent=honor_roll_consent, email_consent=email_consent, by=by,
    )[0]


def _donor_find_or_create(
    *, unit, kind, name, email, phone, tax_code, address, honor_roll_consent, email_consent, by,
    audit_events: list | None = None,
) -> tuple[Donor, bool]:
    """`donor_find_or_create` inside the caller's transaction: `(donor, created)`; a new donor's
    audit row goes to `audit_events` when given (see `_donor_create`)."""
    access_units(by, [unit], action=Action.ADD, domain=Domain.MONEY)
    cleaned = donor_fields_clean(kind=kind, name=name, email=email, phone=phone, tax_code=tax_code, address=address)
    now = timezone.now()
    donor = _donor_by_contacts(unit=unit, email=cleaned["email"], phone=cleaned["phone"], tax_code=cleaned["tax_code"])
    if donor is None:
        return _donor_create(
            unit=unit, cleaned=cleaned, honor_roll_consent=honor_roll_consent, email_consent=email_consent, by=by,
            audit_events=audit_events,
        ), True
    before = audit_fields(donor, [*DONOR_CONTACT_FIELDS, "honor_roll_consent", "email_consent"])
    changed = []
    for field in DONOR_CONTACT_FIELDS:
        if cleaned[field] and not getattr(donor, field):
            setattr(donor, field, cleaned[field])
            changed.append(field)
    if honor_roll_consent and not donor.honor_roll_consent:
        donor.honor_roll_consent, donor.honor_roll_consent_at = True, now
        changed += ["honor_roll_consent", "honor_roll_consent_at"]
    if email_consent and not donor.email_consent:
        donor.email_consent, donor.email_consent_at = True, now
        changed += ["email_consent", "email_consent_at"]
    if changed:
        donor.save(update_fields=changed)
        audit_change(donor, before, actor=by)
    return donor, False


@transaction.atomic
def donor_merge(*, keep: Donor, merge: Donor, by=None, copy_contacts: bool = True) -> Donor:
    """Move `merge`'s pledges and payments to `keep`; `merge` stays, pointing at `keep`.

    The merged row is kept (not deleted) so that receipts and journal entries that named it
    still lead somewhere, and `merged_into` records that the two were judged the same person.
    With `copy_contacts`, `keep` takes the contacts and consents it lacked from `merge`; without,
    it keeps only its own (the confirmation of a public pledge: what a stranger typed never
    becomes the address a donor's receipts go to).
    """
    access_units(by, [keep.unit, merge.unit], action=Action.CHANGE, domain=Domain.MONEY)
    if keep.pk == merge.pk:
        raise ValidationError(_("Không thể gộp một nhà hảo tâm vào chính mình."), code="merge_self")
    # Lock both rows in primary-key order so two merges of the same pair cannot deadlock.
    locked = {d.pk: d for d in Donor.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk]).order_by("pk")}
    keep, merge = locked[keep.pk], locked[merge.pk]
    if merge.merged_into_id is not None:
        raise ValidationError(_("Nhà hảo tâm này đã được gộp trước đó."), code="already_merged")
    if keep.merged_into_id is not None:
        raise ValidationError(_("Không thể gộp vào một nhà hảo tâm đã được gộp."), code="target_merged")
    if keep.unit_id != merge.unit_id:
        raise ValidationError(_("Chỉ gộp được nhà hảo tâm của cùng một đơn vị."), code="merge_other_unit")
    # Bulk updates: on PostgreSQL the audit trigger's rows for the moved pledges and payments
    # name the actor only when the transaction is tagged.
    audit_tag_transaction(actor=by)
    moved_pledges = sorted(Pledge.objects.filter(donor=merge).values_list("pk", flat=True))
    moved_payments = sorted(Payment.objects.filter(donor=merge).values_list("pk", flat=True))
    Pledge.objects.filter(donor=merge).update(donor=keep)
    Payment.objects.filter(donor=merge).update(donor=keep)
    # The honor roll and donor count of each campaign the pledges were in: both donors' rows, in
    # primary-key order (as the donor rows above) so that two merges cannot deadlock.
    tally_donors_merged(keep_id=keep.pk, merge_id=merge.pk, campaigns=list(
        Pledge.objects.filter(pk__in=moved_pledges).order_by().values_list("campaign_id", "fund_id").distinct()
    ))
    keep_before = audit_fields(keep, [*DONOR_CONTACT_FIELDS, "honor_roll_consent", "email_consent"])
    changed = ["merged_into"]
    for field in DONOR_CONTACT_FIELDS:
        if copy_contacts and getattr(merge, field) and not getattr(keep, field):
            setattr(keep, field, getattr(merge, field))
            changed.append(field)
    for consent in ("honor_roll_consent", "email_consent"):
        if copy_contacts and getattr(merge, consent) and not getattr(keep, consent):
            setattr(keep, consent, True)
            setattr(keep, f"{consent}_at", getattr(merge, f"{consent}_at"))
            changed += [consent, f"{consent}_at"]
    if len(changed) > 1:
        keep.save(update_fields=changed[1:])
        audit_change(keep, keep_before, actor=by)
    merge.merged_into = keep
    merge.save(update_fields=["merged_into"])
    audit_record(
        action=AuditEvent.Action.CHANGE, instance=merge, actor=by, before={"merged_into_id": None},
        after={"merged_into_id": keep.pk, "pledges_moved": moved_pledges, "payments_moved": moved_payments},
    )
    return keep


# --- donors: edits ------------------------------------------------------------------------------


@transaction.atomic
def donor_update(*, donor: Donor, by=None, **fields) -> Donor:
    """Correct a donor's name, kind or contacts (normalised and checked as on creation)."""
    allowed = {"kind", "name", "email", "phone", "tax_code", "address"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"donor_update() got unexpected fields {sorted(unknown)}")
    access_units(by, [donor.unit], action=Action.CHANGE, domain=Domain.MONEY)
    current = {field: getattr(donor, field) for field in allowed}
    cleaned = donor_fields_clean(**{**current, **fields})
    before = audit_fields(donor, sorted(allowed))
    changed = [field for field in allowed if cleaned[field] != current[field]]
    for field in changed:
        setattr(donor, field, cleaned[field])
    if "name" in changed:
        donor.name_normalized = name_normalize(donor.name)
        changed.append("name_normalized")
    if changed:
        donor.save(update_fields=sorted(changed))
        audit_change(donor, before, actor=by)
        if {"name", "kind"} & set(changed):
            public_pages_changed()  # the honor roll shows the name and kind, the statement the name
    return donor


@transaction.atomic
def donor_data_export_record(*, donor: Donor, by) -> dict:
    """Everything held about `donor`, handed out on the donor's request, with its audit row.

    The audit row names what was exported (counts, not the data itself), who exported it and when.
    """
    data = selectors.donor_data_export(donor)
    audit_record(
        action=AuditEvent.Action.EXPORT, instance=donor, actor=by,
        after={"pledges": len(data["pledges"]), "payments": len(data["payments"]),
               "merged_donor_records": len(data["merged_donor_records"])},
    )
    return data


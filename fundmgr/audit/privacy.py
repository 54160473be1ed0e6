"""Personal data: erasing it from a record, and giving a donor everything held about them.

- `anonymise(instance, fields)` overwrites personal fields of one row in place (the row stays:
  money rows that point to it must keep pointing somewhere) and leaves an audit row that says
  which fields were erased, with the old values masked.
- `donor_data_export(donor)` collects what the association holds about a donor (the donor
  record, and the pledges and payments of the donor and of the donor records merged into it) as
  a JSON-ready dict. It only reads; the view or command that hands it out records the
  export in the audit trail (`audit_record(action="export", ...)`), since giving personal
  data away is itself an event worth tracing.
"""

from __future__ import annotations

from django.db import models, transaction

from .models import AuditEvent
from .services import audit_record

ANONYMISED_TEXT = "(đã ẩn danh)"


def anonymise(instance: models.Model, fields, *, actor=None) -> list[str]:
    """Erase `fields` of `instance`; return the names of the fields that changed.

    Each field gets the emptiest value it accepts: NULL where nullable, "" where blank text is
    allowed, otherwise a fixed placeholder (unique fields get the row's id appended, so two
    anonymised rows do not collide). Other values (dates, numbers) must be nullable.
    """
    changed = []
    with transaction.atomic():
        locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        for name in fields:
            field = locked._meta.get_field(name)
            value = _erased_value(field, locked.pk)
            if getattr(locked, field.attname) != value:
                setattr(locked, field.attname, value)
                changed.append(name)
        if changed:
            locked.save(update_fields=changed)
            # The old values are not copied into the audit row, even masked: erasing them is the point.
            audit_record(
                action=AuditEvent.Action.CHANGE, instance=locked,
                before=None, after={"anonymised": sorted(changed)}, actor=actor,
            )
    for name in changed:
        attname = instance._meta.get_field(name).attname
        setattr(instance, attname, getattr(locked, attname))
    return changed


def _erased_value(field: models.Field, pk):
    if field.null:
        return None
    if isinstance(field, (models.CharField, models.TextField)):
        if field.blank and not field.unique:
            return ""
        placeholder = f"{ANONYMISED_TEXT} {pk}" if field.unique else ANONYMISED_TEXT
        return placeholder[: field.max_length] if field.max_length else placeholder
    raise ValueError(f"{field.model._meta.label}.{field.name} is neither nullable nor text; cannot anonymise it")


def donor_data_export(donor) -> dict:
    """Everything held about `donor`, for the donor (four queries, whatever the amounts)."""
    from donations.models import Donor, Payment, Pledge

    merged = list(Donor.objects.filter(merged_into=donor).order_by("pk"))
    donor_ids = [donor.pk, *(record.pk for record in merged)]
    pledges = (
        Pledge.objects.filter(donor_id__in=donor_ids)
        .select_related("campaign", "fund")
        .prefetch_related("installments")
        .order_by("created_at", "pk")
    )
    payments = Payment.objects.filter(donor_id__in=donor_ids).select_related("fund", "pledge").order_by("received_on", "pk")
    return {
        "donor": _donor(donor),
        "merged_donor_records": [_donor(record) for record in merged],
        "pledges": [
            {
                "reference": pledge.reference,
                "donor_id": pledge.donor_id,
                "campaign": pledge.campaign.name,
                "fund": pledge.fund.name,
                "amount": pledge.amount,
                "status": pledge.status,
                "channel": pledge.channel,
                "anonymous": pledge.anonymous,
                "list_on_honor_roll": pledge.list_on_honor_roll,
                "message": pledge.message,
                "created_at": pledge.created_at.isoformat(),
                "installments": [
                    {"number": item.number, "due_on": item.due_on.isoformat(), "amount": item.amount}
                    for item in pledge.installments.all()
                ],
            }
            for pledge in pledges
        ],
        "payments": [
            {
                "donor_id": payment.donor_id,
                "pledge": payment.pledge.reference if payment.pledge_id else None,
                "fund": payment.fund.name,
                "amount": payment.amount,
                "method": payment.method,
                "in_kind_description": payment.in_kind_description,
                "received_on": payment.received_on.isoformat(),
                "bank_reference": payment.bank_reference,
            }
            for payment in payments
        ],
    }


def _donor(donor) -> dict:
    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": donor.pk,
        "kind": donor.kind,
        "name": donor.name,
        "email": donor.email,
        "phone": donor.phone,
        "tax_code": donor.tax_code,
        "address": donor.address,
        "honor_roll_consent": donor.honor_roll_consent,
        "honor_roll_consent_at": moment(donor.honor_roll_consent_at),
        "email_consent": donor.email_consent,
        "email_consent_at": moment(donor.email_consent_at),
        "created_at": moment(donor.created_at),
    }

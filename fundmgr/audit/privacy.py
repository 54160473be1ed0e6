"""Personal data: erasing it from a record.

`anonymise(instance, fields)` overwrites personal fields of one row in place (the row stays:
money rows that point to it must keep pointing somewhere) and leaves an audit row that says
which fields were erased, with the old values masked. A donor's own data export lives with the
donations (`donations.selectors.donor_data_export`): the audit app knows no other app's models.
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

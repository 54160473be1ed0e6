"""Writing the audit trail. Other apps' services call `audit_record` inside their transaction:

    with transaction.atomic():
        before = snapshot(pledge)
        pledge.status = Pledge.Status.CANCELLED
        pledge.save(update_fields=["status"])
        audit_record(action=AuditEvent.Action.TRANSITION, instance=pledge, before=before)

Most services record only the fields a use case touches, with two helpers:

    before = audit_fields(donor, ["email", "phone"])
    ...change and save...
    audit_change(donor, before, actor=by)        # the fields that differ, or no row at all
    audit_create(pledge, PLEDGE_FIELDS, actor=created_by)

The actor is the one rule of `audit_record`: the service's own keyword argument (`created_by`,
`recorded_by`, `by`, ...) when given, else the user of the request context
(`fundmgr.audit.context`), else "system". The client IP and request id always come from the
context. Personal fields are masked before they are stored (`fundmgr.audit.masking`).

The unit, likewise: `unit=` when given (an export or a `model_label=` row names the unit it
concerns), else the instance's own, by the one rule its model declares (`fundmgr.audit.units`),
else none (a system-wide row).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from fundmgr.core.bulk import instance_new, rows_insert
from fundmgr.orgs.models import OrgUnit

from . import context
from .masking import mask_personal, personal_fields
from .models import AuditEvent
from .units import unit_id_of

_ACTIONS = frozenset(AuditEvent.Action.values)
_ACTIONS_THAT_SNAPSHOT_AFTER = frozenset(
    {AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE, AuditEvent.Action.TRANSITION}
)

# `unit=None` says "this row is system-wide"; leaving `unit` out says "the instance's unit".
_UNIT_OF_INSTANCE = object()


def snapshot(instance: models.Model) -> dict:
    """The instance's concrete fields as JSON-safe values (foreign keys as their ids)."""
    data = {field.attname: field.value_from_object(instance) for field in instance._meta.concrete_fields}
    # A round trip through the encoder turns dates, UUIDs and Decimals into what JSONField stores.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def audit_fields(instance: models.Model, names) -> dict:
    """`instance`'s values of the fields `names` (names or attnames), JSON-safe, keyed like `snapshot`:
    foreign keys as `<name>_id`, the column names the PostgreSQL trigger's rows use too."""
    data = {}
    for name in names:
        field = instance._meta.get_field(name)
        data[field.attname] = field.value_from_object(instance)
    return _json_safe(data)


def audit_create(instance: models.Model, names, *, actor=None, extra: dict | None = None) -> AuditEvent:
    """A "create" row for `instance` whose `after` holds the fields `names` (plus `extra`)."""
    return audit_record(
        action=AuditEvent.Action.CREATE, instance=instance, after={**audit_fields(instance, names), **(extra or {})},
        actor=actor,
    )


def audit_create_unsaved(instance: models.Model, names, *, actor=None, extra: dict | None = None) -> AuditEvent:
    """The row `audit_create` writes, not yet written: a use case that creates several records at
    once writes their rows together with `audit_save` (one INSERT)."""
    return audit_record(
        action=AuditEvent.Action.CREATE, instance=instance, after={**audit_fields(instance, names), **(extra or {})},
        actor=actor, save=False,
    )


def audit_save(events: list[AuditEvent]) -> None:
    """Write the rows of `audit_create_unsaved`, in their order, in one INSERT (inside an
    `audit_rows_together` block, with the block's rows at its end)."""
    pending = _rows_pending.get()
    if pending is None:
        rows_insert(events)
    else:
        pending.extend(events)


def audit_change(
    instance: models.Model, before: dict, *, after: dict | None = None, actor=None,
    action: str = AuditEvent.Action.CHANGE, save: bool = True,
) -> AuditEvent | None:
    """A row with the fields of `before` whose value changed, old and new; None (no row) when none did.

    `before` comes from `audit_fields` before the change; `after` defaults to the same fields
    read from `instance` now (pass it for values that are not model fields, such as a set of ids).
    With `save=False` the row is only built, for `audit_save` (one INSERT for many).
    """
    after = audit_fields(instance, before) if after is None else _json_safe(after)
    changed = [key for key in before if before[key] != after.get(key)]
    if not changed:
        return None
    return audit_record(
        action=action, instance=instance, actor=actor,
        before={key: before[key] for key in changed}, after={key: after.get(key) for key in changed}, save=save,
    )


def audit_record(
    *,
    action: str,
    instance: models.Model | None = None,
    model_label: str | None = None,
    object_id=None,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    unit: OrgUnit | None = _UNIT_OF_INSTANCE,
    save: bool = True,
) -> AuditEvent:
    """Write one audit row and return it (with `save=False`, only build it: see `audit_save`).

    `instance` gives the model label and object id (and, for create/change/transition, the
    `after` snapshot when none is passed); without an instance pass `model_label` (e.g.
    "ledger.journalentry", or a report name for an export) and `object_id`.

    `unit` is the unit the row belongs to, which decides who may read it; left out, it is the
    instance's (`units.unit_id_of`: no query when the instance holds `unit_id`), or none
    without an instance. Pass it for a row without an instance whose unit is known.
    """
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {sorted(_ACTIONS)}")
    if instance is not None:
        model_label = model_label or instance._meta.label_lower
        object_id = instance.pk if object_id is None else object_id
        if after is None and action in _ACTIONS_THAT_SNAPSHOT_AFTER:
            after = snapshot(instance)
    if not model_label:
        raise ValueError("audit_record needs an instance or a model_label")
    if unit is _UNIT_OF_INSTANCE:
        unit_id = None if instance is None else unit_id_of(instance)
    elif unit is None or isinstance(unit, OrgUnit):
        unit_id = None if unit is None else unit.pk
    else:
        # An id passed by mistake would be stored happily and scope the row wrongly: refuse it.
        raise TypeError(f"audit_record(unit=...) takes an OrgUnit or None, not {type(unit).__name__}")

    event = _event(
        action=action, model_label=model_label, object_id=object_id, before=before, after=after, actor=actor,
        unit_id=unit_id,
    )
    if save:
        pending = _rows_pending.get()
        if pending is None:
            event.save()
        else:
            pending.append(event)
    return event


# The service rows of an `audit_rows_together` block, written at its end; None outside one.
_rows_pending: ContextVar[list[AuditEvent] | None] = ContextVar("audit_rows_pending", default=None)


@contextmanager
def audit_rows_together():
    """The service rows that `audit_record` writes inside the block (whichever service writes them),
    written at its end in their order, in one INSERT, instead of one INSERT each.

    For a use case that runs in one transaction and writes several rows (`payment_record`: the
    pledge's status, the journal entry, the payment, the receipt). Use it inside the transaction,
    around code that rolls back as a whole: when the block raises, its rows are dropped with the
    rest of the transaction; a savepoint rolled back inside it while the block goes on would keep
    rows of writes undone, so do not wrap such code. The rows exist (with ids) only after the
    block. Nested blocks write with the outermost one.
    """
    if _rows_pending.get() is not None:
        yield
        return
    pending: list[AuditEvent] = []
    token = _rows_pending.set(pending)
    try:
        yield
    finally:
        _rows_pending.reset(token)
    if pending:
        rows_insert(pending)


def audit_record_many(*, action: str, instances, after: dict | None = None, actor=None) -> int:
    """One row per instance, each with the same `after` and the instance's own unit, in one INSERT.

    For a use case that touches many records at once and has nothing per record to say but
    "this one too", such as a list page that shows children's records (`scholarships`): a row
    per record keeps "who saw this child?" a filter on one id, and one INSERT keeps the page's
    query count flat. Returns the number of rows written.
    """
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {sorted(_ACTIONS)}")
    events = [
        _event(
            action=action, model_label=instance._meta.label_lower, object_id=instance.pk, before=None, after=after,
            actor=actor, unit_id=unit_id_of(instance),
        )
        for instance in instances
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def _event(*, action, model_label, object_id, before, after, actor, unit_id) -> AuditEvent:
    """An unsaved service row: actor, IP and request id from the context, personal fields masked."""
    bound = context.current()
    actor = actor if actor is not None else bound.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    fields = personal_fields(model_label)
    return instance_new(
        AuditEvent,
        actor=actor,
        actor_label=_label(actor, bound.label),
        ip=bound.ip,
        action=action,
        model_label=model_label.lower(),
        object_id="" if object_id is None else str(object_id),
        before=mask_personal(_json_safe(before), fields),
        after=mask_personal(_json_safe(after), fields),
        source=AuditEvent.Source.SERVICE,
        request_id=bound.request_id,
        unit_id=unit_id,
    )


def _label(actor, fallback: str) -> str:
    if actor is not None:
        return actor.get_username()[:150]
    return (fallback or "system")[:150]


def _json_safe(data):
    """`data` as the JSON column gives it back (a copy): dates, UUIDs, Decimals, choices as text."""
    if data is None:
        return None
    if type(data) is dict and all(type(key) is str and type(value) in _JSON_SCALARS for key, value in data.items()):
        return dict(data)  # what the round trip gives back, without it (the rows audit_fields made)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# The values the round trip through JSON gives back equal and of the same type (not float: a
# NaN is not equal to itself, and a float subclass comes back a float).
_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def audit_tag_transaction(*, actor=None, using: str = "default") -> None:
    """On PostgreSQL, stamp the current transaction with the actor for the audit trigger.

    The trigger cannot see the request; rows it writes say `db:<role>` unless the transaction
    carries `fundmgr.actor_id` and friends. A service that writes with raw SQL or a bulk
    `update()` calls this first, inside its `transaction.atomic()` block (the settings are
    transaction-local: they vanish at commit and never leak to the next request on a kept
    connection). One query; nothing on other databases.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("audit_tag_transaction must be called inside transaction.atomic()")
    bound = context.current()
    actor = actor if actor is not None else bound.user
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('fundmgr.actor_id', %s, true), set_config('fundmgr.actor_label', %s, true), "
            "set_config('fundmgr.client_ip', %s, true), set_config('fundmgr.request_id', %s, true)",
            [
                "" if actor is None else str(actor.pk),
                _label(actor, bound.label),
                bound.ip or "",
                bound.request_id,
            ],
        )


# Personal data: erasing it from a record. `anonymise(instance, fields)` overwrites personal fields
# of one row in place (the row stays: money rows that point to it must keep pointing somewhere) and
# leaves an audit row that says which fields were erased, without their old values. A donor's own
# data export lives with the donations (`donations.selectors.donor_data_export`): the audit app
# knows no other app's models.

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

"""Which association unit an audit row belongs to: one declared rule per model.

An audit row carries the unit of the record it is about, so that an auditor of a commune reads
the rows of that commune and of the units below it, and nobody else's (`admin.py`). The rule:
- a model with a `unit` foreign key to `OrgUnit` belongs to that unit;
- a model without one declares the way to its unit as a class attribute: a lookup path of
  forward foreign keys, written as in a queryset filter, ending at an `OrgUnit`:

      class Pledge(models.Model):
          audit_unit_path = "campaign__unit"

- a model with neither (users, settings, a table that belongs to no unit) writes system-wide
  rows, with no unit.

The same path serves both writers of the trail: `services.audit_record` follows it on the
instance in memory (`unit_id_of`), and `triggers.py` turns it into the SQL lookup that the
PostgreSQL trigger runs. The audit app imports no other app's models: it reads the path from
the model it is handed.
"""

from __future__ import annotations

import functools

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from fundmgr.orgs.models import OrgUnit

UNIT_PATH_ATTRIBUTE = "audit_unit_path"


@functools.cache  # models are classes fixed for the life of the process; the walk is the same every time
def unit_path(model: type[models.Model]) -> tuple[models.ForeignKey, ...]:
    """The foreign keys that lead from `model` to its unit, in order; () when its rows are system-wide."""
    declared = getattr(model, UNIT_PATH_ATTRIBUTE, None)
    if _is_unit_foreign_key(model, "unit"):
        # One rule per model: a second, different path would let the two writers disagree.
        if declared not in (None, "unit"):
            raise ImproperlyConfigured(
                f"{model._meta.label} has a `unit` foreign key, which its audit rows use; "
                f"remove its {UNIT_PATH_ATTRIBUTE} = {declared!r}"
            )
        return (model._meta.get_field("unit"),)
    if not declared:
        return ()
    chain = []
    current = model
    for name in declared.split("__"):
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                f"{model._meta.label}.{UNIT_PATH_ATTRIBUTE} = {declared!r}: "
                f"{current._meta.label} has no field {name!r}"
            ) from None
        # Forward foreign keys only: each step must lead to exactly one row (or none).
        if not (field.concrete and (field.many_to_one or field.one_to_one)):
            raise ImproperlyConfigured(
                f"{model._meta.label}.{UNIT_PATH_ATTRIBUTE} = {declared!r}: {name!r} is not a foreign key"
            )
        chain.append(field)
        current = field.related_model
    if not issubclass(current, OrgUnit):
        raise ImproperlyConfigured(
            f"{model._meta.label}.{UNIT_PATH_ATTRIBUTE} = {declared!r} "
            f"ends at {current._meta.label}, not at an OrgUnit"
        )
    return tuple(chain)


def unit_id_of(instance: models.Model) -> int | None:
    """The id of the unit that `instance`'s audit rows belong to (None: system-wide).

    No query when the instance holds the unit's id itself (`unit_id`), or when the related rows
    along its path are loaded (`select_related`, or assigned by the service that made it);
    otherwise one query, from the first id on the path whose row is not loaded.
    """
    chain = unit_path(type(instance))
    current = instance
    for position, field in enumerate(chain):
        if position == len(chain) - 1:
            return getattr(current, field.attname)
        if not field.is_cached(current):
            key = getattr(current, field.attname)
            if key is None:
                return None
            rest = "__".join(step.name for step in chain[position + 1:])
            return (
                field.related_model._base_manager.filter(**{field.target_field.attname: key})
                .values_list(rest, flat=True)
                .first()
            )
        current = getattr(current, field.name)
        if current is None:
            return None
    return None


def _is_unit_foreign_key(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(field.concrete and field.many_to_one and issubclass(field.related_model, OrgUnit))

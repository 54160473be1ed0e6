"""Bulk writes Django's ORM makes slow: `rows_update`, one UPDATE for many rows with values of their own.

`QuerySet.bulk_update` writes `SET field = CASE WHEN pk = 1 THEN ... WHEN pk = 2 THEN ... END`
for every field: building and compiling one `When` expression per row and field costs about as
much Python as the rows' INSERT, and the database evaluates the CASE per row. On PostgreSQL
`rows_update` sends instead

    UPDATE t SET a = v.a, b = v.b FROM (VALUES (%s::bigint, %s::integer, %s::text), ...) AS v(pk, a, b)
    WHERE t.pk = v.pk

with every value a bound parameter, prepared by the field as `save()` would prepare it
(`get_db_prep_save`) and cast to the field's column type. Row triggers fire once per row, as
for any UPDATE. Elsewhere (SQLite) it is `bulk_update`. The caller's objects must be saved rows.
"""

from __future__ import annotations

from django.db import connections


def rows_update(objects, fields: list[str], *, using: str = "default") -> int:
    """Write `fields` of `objects` (saved instances of one model) in one statement; the rows updated."""
    objects = list(objects)
    if not objects:
        return 0
    model = type(objects[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model.objects.using(using).bulk_update(objects, fields)
    meta = model._meta
    pk_field = meta.pk
    model_fields = [meta.get_field(name) for name in fields]
    if any(field.is_relation for field in model_fields):
        # Foreign keys assigned an object that was saved after the assignment carry its id now.
        for instance in objects:
            instance._prepare_related_fields_for_save(operation_name="rows_update", fields=model_fields)
    quote = connection.ops.quote_name
    columns = [pk_field, *model_fields]
    row = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    parameters = []
    for instance in objects:
        parameters.append(pk_field.get_db_prep_save(instance.pk, connection))
        for field in model_fields:
            parameters.append(field.get_db_prep_save(getattr(instance, field.attname), connection))
    names = ["pk", *(f"v{position}" for position in range(len(model_fields)))]
    table = quote(meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{name}" for field, name in zip(model_fields, names[1:], strict=True))
    sql = (
        f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(objects))}) "  # nosec B608: names from the model
        f"AS v({', '.join(names)}) WHERE {table}.{quote(pk_field.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.rowcount

"""Rows read by SQL written out, as model instances: for the few lookups that every pledge POST
makes (issue #17), where the ORM's compilation of a query with its joined rows costs three times
its execution.

A caller writes its statement with `columns(...)` for the select list (every concrete column of
each model, under the alias it gives it) and binds every value; `instances(...)` turns each row
into one instance per model, with the values converted as the ORM converts them (dates and
booleans on SQLite, for example). Nothing is deferred: every field is loaded. Use it for short,
fixed lookups by a key; everything else stays with the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

Aliased = Sequence[tuple[type[models.Model], str]]


def table(model: type[models.Model], alias: str) -> str:
    """The model's table under `alias`, for FROM and JOIN."""
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)} {quote(alias)}"


def column(model: type[models.Model], alias: str, field: str) -> str:
    """`alias`.`field's column`, quoted."""
    quote = connection.ops.quote_name
    return f"{quote(alias)}.{quote(model._meta.get_field(field).column)}"


def columns(aliased: Aliased) -> str:
    """The select list: every concrete column of each model under its alias, in model order."""
    quote = connection.ops.quote_name
    return ", ".join(
        f"{quote(alias)}.{quote(field.column)}" for model, alias in aliased for field in model._meta.concrete_fields
    )


def instances(sql: str, params: Sequence, aliased: Aliased) -> list[tuple[models.Model, ...]]:
    """Each row of `sql` (whose select list is `columns(aliased)`) as a tuple of instances."""
    layout = []
    for model, alias in aliased:
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            converters.append((found, col))
        layout.append((model, [field.attname for field in fields], converters))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        position, made = 0, []
        for model, names, converters in layout:
            values = []
            for offset, (found, col) in enumerate(converters):
                value = row[position + offset]
                for converter in found:
                    value = converter(value, col, connection)
                values.append(value)
            made.append(model.from_db(connection.alias, names, values))
            position += len(names)
        result.append(tuple(made))
    return result

"""Rows read by SQL written out, as model instances: for the few lookups that every pledge POST
makes (issue #17), where the ORM's compilation of a query with its joined rows costs three times
its execution.

A caller writes its statement with `columns(...)` for the select list (every concrete column of
each model, under the alias it gives it) and binds every value; `instances(...)` turns each row
into one instance per model, with the values converted as the ORM converts them (dates and
booleans on SQLite, for example). Nothing is deferred: every field is loaded. Use it for short,
fixed lookups by a key; everything else stays with the ORM.

`with_parents(...)` writes the common case whole: the rows of one model with the rows their
foreign keys name (as `select_related` reads them, by INNER JOIN), optionally locked.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

Aliased = Sequence[tuple[type[models.Model], str]]
# (alias of the row that holds the foreign key, the foreign key's field name, parent model, parent alias)
Parent = tuple[str, str, type[models.Model], str]

# What a statement's text and its rows' layout are made of depends only on the models and the
# database's vendor (its quoting, its converters), never on a request: each is worked out once
# per process (text) or once per connection (converters, which the connection's own operations
# return), not on every pledge POST, where rebuilding them cost as much as the lookup itself.


def table(model: type[models.Model], alias: str) -> str:
    """The model's table under `alias`, for FROM and JOIN."""
    return _table(connection.vendor, model, alias)


def column(model: type[models.Model], alias: str, field: str) -> str:
    """`alias`.`field's column`, quoted."""
    return _column(connection.vendor, model, alias, field)


def columns(aliased: Aliased) -> str:
    """The select list: every concrete column of each model under its alias, in model order."""
    return _columns(connection.vendor, tuple(aliased))


@functools.cache
def _table(vendor: str, model: type[models.Model], alias: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)} {quote(alias)}"


@functools.cache
def _column(vendor: str, model: type[models.Model], alias: str, field: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(alias)}.{quote(model._meta.get_field(field).column)}"


@functools.cache
def _columns(vendor: str, aliased: tuple[tuple[type[models.Model], str], ...]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(
        f"{quote(alias)}.{quote(field.column)}" for model, alias in aliased for field in model._meta.concrete_fields
    )


def _layout(aliased: Aliased) -> list:
    """For each model: (model, its fields' attnames, each field's converters and column), kept on
    the connection (each thread has its own) the first time it is asked."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own, as `connection` is
    layouts = wrapper.__dict__.setdefault("_sql_rows_layouts", {})
    key = tuple(aliased)
    layout = layouts.get(key)
    if layout is None:
        layout = []
        for model, alias in aliased:
            fields = model._meta.concrete_fields
            converters = []
            for field in fields:
                col = field.get_col(alias)
                found = wrapper.ops.get_db_converters(col) + col.get_db_converters(wrapper)
                converters.append((found, col))
            layout.append((model, [field.attname for field in fields], converters))
        layouts[key] = layout
    return layout


def instances(sql: str, params: Sequence, aliased: Aliased) -> list[tuple[models.Model, ...]]:
    """Each row of `sql` (whose select list is `columns(aliased)`) as a tuple of instances."""
    layout = _layout(aliased)
    wrapper = connections[DEFAULT_DB_ALIAS]
    with wrapper.cursor() as cursor:
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
                    value = converter(value, col, wrapper)
                values.append(value)
            made.append(model.from_db(wrapper.alias, names, values))
            position += len(names)
        result.append(tuple(made))
    return result


def with_parents(root: tuple[type[models.Model], str], parents: Sequence[Parent], where: str, params: Sequence,
                 *, lock: bool = False) -> list[models.Model]:
    """The rows of `root` (model, alias) that `where` selects (written with `column(...)`, every
    value in `params`), each with its `parents` set on it as `select_related` sets them: each
    parent is (alias of the row holding the foreign key, the key's field name, parent model,
    parent alias), joined in the order given, so a parent may name one before it. `lock`: FOR
    UPDATE OF the root's row only, where the database has row locks."""
    parents = tuple(parents)
    aliased = (root, *((model, alias) for _child, _field, model, alias in parents))
    sql = _with_parents_sql(connection.vendor, root, parents, where, lock and connection.features.has_select_for_update)
    found = []
    for made in instances(sql, params, aliased):
        by_alias = {alias: instance for (_model, alias), instance in zip(aliased, made, strict=True)}
        for child, field, _model, alias in parents:
            setattr(by_alias[child], field, by_alias[alias])
        found.append(made[0])
    return found


@functools.cache
def _with_parents_sql(vendor: str, root: tuple[type[models.Model], str], parents: tuple[Parent, ...], where: str,
                      lock: bool) -> str:
    aliased = (root, *((model, alias) for _child, _field, model, alias in parents))
    models_by_alias = {alias: model for model, alias in aliased}
    joins = "".join(
        f" INNER JOIN {table(model, alias)} ON {column(model, alias, model._meta.pk.name)} = "
        f"{column(models_by_alias[child], child, field)}"
        for child, field, model, alias in parents
    )
    locking = f" FOR UPDATE OF {connection.ops.quote_name(root[1])}" if lock else ""
    return f"SELECT {columns(aliased)} FROM {table(*root)}{joins} WHERE {where}{locking}"

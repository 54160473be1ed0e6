"""Bulk writes Django's ORM makes slow: `rows_update`, one UPDATE for many rows with values of their own,
and `rows_insert`, one INSERT of many new rows; and `row_insert`, one new row as `create()` writes it.

`QuerySet.bulk_update` writes `SET field = CASE WHEN pk = 1 THEN ... WHEN pk = 2 THEN ... END`
for every field: building and compiling one `When` expression per row and field costs about as
much Python as the rows' INSERT, and the database evaluates the CASE per row. On PostgreSQL
`rows_update` sends instead

    UPDATE t SET a = v.a, b = v.b FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS v(pk, a, b)
    WHERE t.pk = v.pk

with one parameter per column (not per row and column, which psycopg would split and quote one by
one), an array of the values prepared by the field as `save()` would prepare them
(`get_db_prep_save`), cast to an array of the column's type without its length (the
assignment checks that, `_array_type`). Triggers fire as for any UPDATE (the audit trigger once
for the statement, with every row). Elsewhere (SQLite) it is `bulk_update`. The caller's objects
must be saved rows.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import typing
from decimal import Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.postgresql.psycopg_any import Jsonb
from django.db.models import NOT_PROVIDED, Field, signals
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_save, pre_save


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
    relations = [field for field in model_fields if field.is_relation]
    if relations:
        # Foreign keys assigned an object that was saved after the assignment carry its id now.
        for instance in _related_ids_differ(objects, relations):
            instance._prepare_related_fields_for_save(operation_name="rows_update", fields=model_fields)
    quote = connection.ops.quote_name
    columns = [pk_field, *model_fields]
    arrays = [
        _column_array(column, _attribute_values(objects, column.attname), connection)
        for column in columns
    ]
    names = ["pk", *(f"v{position}" for position in range(len(model_fields)))]
    table = quote(meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{name}" for field, name in zip(model_fields, names[1:], strict=True))
    sql = (
        f"UPDATE {table} SET {assignments} "  # nosec B608: names from the model
        f"FROM unnest({', '.join(f'%s::{_array_type(column, connection)}' for column in columns)}) "
        f"AS v({', '.join(names)}) WHERE {table}.{quote(pk_field.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount


def rows_insert(objects, *, ignore_conflicts: bool = False, using: str = "default") -> list:
    """Insert `objects` (new instances of one model) in one statement and set their primary keys, in
    their order: what `bulk_create(objects)` does, in a fraction of its Python.

    Django's INSERT builds and compiles one placeholder per row and field, and psycopg then splits
    and quotes a statement of as many parameters; on PostgreSQL this sends one array per column,

        INSERT INTO t (a, b) SELECT v.a, v.b FROM unnest(%s::integer[], %s::text[])
        WITH ORDINALITY AS v(a, b, n) ORDER BY v.n RETURNING t.id

    the values prepared as `save()` prepares them (`pre_save`, `get_db_prep_save`). The ORDER BY
    keeps the rows' ids in the objects' order (the ledger's chain walks entries by id); the columns
    with a database default come back too, as with `bulk_create`. Elsewhere
    (SQLite), and for what it does not handle (a pk already set, multi-table inheritance, a
    database default on some rows only), it is `bulk_create`. Plain INSERTs: no upsert, no signal.
    With `ignore_conflicts`, rows that break a unique constraint are skipped (ON CONFLICT DO
    NOTHING) and, as with `bulk_create(ignore_conflicts=True)`, no primary key is set.
    """
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    connection = connections[using]
    meta = model._meta
    pk_field = meta.pk
    if (
        connection.vendor != "postgresql" or meta.parents or not pk_field.db_returning
        or any(instance.pk is not None for instance in objects)
    ):
        return model.objects.using(using).bulk_create(objects, ignore_conflicts=ignore_conflicts)
    if len(objects) == 1 and not ignore_conflicts and _one_row_insert(objects[0], connection, using):
        return objects
    fields = [field for field in meta.concrete_fields if field is not pk_field]
    _related_ids_set(objects, [field for field in fields if field.is_relation], operation_name="rows_insert")
    columns, arrays = [], []
    for field in fields:
        if _pre_save_reads_the_attribute(field):
            values = _attribute_values(objects, field.attname)
        else:  # auto_now(_add) and the like
            values = [field.pre_save(instance, True) for instance in objects]
        if field.db_default is not NOT_PROVIDED:
            defaults = sum(isinstance(value, DatabaseDefault) for value in values)
            if defaults == len(values):
                continue  # the column's database default, as bulk_create leaves it
            if defaults:
                return model.objects.using(using).bulk_create(objects, ignore_conflicts=ignore_conflicts)
        columns.append(field)
        arrays.append(_column_array(field, values, connection))
    sql, returning_sql, returning = _insert_statement(model, tuple(columns), connection)
    if ignore_conflicts:
        with connection.cursor() as cursor:
            cursor.execute(sql + "ON CONFLICT DO NOTHING", arrays)
        return objects
    with connection.cursor() as cursor:
        cursor.execute(sql + returning_sql, arrays)
        rows = cursor.fetchall()
    for instance, row in zip(objects, rows, strict=True):
        for field, value in zip(returning, row, strict=True):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = using
    return objects


# (model, columns, vendor) -> rows_insert's statement: its text depends on nothing else, and making it
# (quoting, each column's array type) cost as much Python as the rest of a one- or two-row INSERT.
_INSERT_STATEMENTS: dict = {}


def _insert_statement(model, columns: tuple, connection) -> tuple[str, str, list]:
    """`rows_insert`'s INSERT of `columns`, its RETURNING clause, and the fields that clause reads back."""
    key = (model, columns, connection.vendor)
    statement = _INSERT_STATEMENTS.get(key)
    if statement is None:
        meta = model._meta
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        names = [f"v{position}" for position in range(len(columns))]
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(field.column) for field in columns)}) "  # nosec B608: names from the model
            f"SELECT {', '.join(f'v.{name}' for name in names)} "
            f"FROM unnest({', '.join(f'%s::{_array_type(field, connection)}' for field in columns)}) "
            f"WITH ORDINALITY AS v({', '.join(names)}, n) ORDER BY v.n "
        )
        # The primary key and, as bulk_create reads them back, the columns with a database default.
        returning = [meta.pk, *(field for field in meta.concrete_fields if field is not meta.pk and field.db_returning)]
        returning_sql = f"RETURNING {', '.join(f'{table}.{quote(field.column)}' for field in returning)}"
        statement = _INSERT_STATEMENTS[key] = (sql, returning_sql, returning)
    return statement


def row_insert(instance, *, using: str = "default"):
    """Insert `instance` (new) as `Model.objects.create()` would, and return it: the same row, the
    same values read back (its primary key, the columns with a database default), in a fraction
    of the Python.

    Django compiles each `create()` again (about 0.2 ms of CPU for a row of a dozen fields, a
    pledge POST makes three); on PostgreSQL the statement's text is made once per model here,

        INSERT INTO t (a, b, ...) VALUES (%s, %s, ...) RETURNING t.id

    and the values are prepared as `save()` prepares them (`pre_save`, `get_db_prep_save`). What
    this does not reproduce falls back to `save(force_insert=True)`, which is what `create()`
    runs: another database (SQLite), a model with a `save()` of its own or with pre_save or
    post_save receivers, multi-table inheritance, a primary key already set, a column with a
    database default (read back, or left to the database)."""
    connection = connections[using]
    model = type(instance)
    meta = model._meta
    if not (
        connection.vendor == "postgresql" and not meta.parents and meta.pk.db_returning and instance.pk is None
        and model.save is models.Model.save and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        and _one_row_insert(instance, connection, using)
    ):
        instance.save(force_insert=True, using=using)
    return instance


# (model, vendor) -> (the INSERT's text, its fields, the fields read back): made once per process.
_ONE_ROW_STATEMENTS: dict = {}


def _one_row_insert(instance, connection, using: str) -> bool:
    """One INSERT ... VALUES of `instance` (PostgreSQL, pk unset, no parents: the caller checked);
    False, with nothing written, when a field holds a `DatabaseDefault` (the callers' general path)."""
    model = type(instance)
    key = (model, connection.vendor)
    statement = _ONE_ROW_STATEMENTS.get(key)
    if statement is None:
        meta = model._meta
        pk_field = meta.pk
        fields = [field for field in meta.concrete_fields if field is not pk_field]
        if any(field.db_returning for field in fields):
            # Values read back beside the key would need the ORM's converters: left to the general path.
            _ONE_ROW_STATEMENTS[key] = False
            return False
        returning = [pk_field]
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) "  # nosec B608: names from the model
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"RETURNING {', '.join(f'{table}.{quote(field.column)}' for field in returning)}"
        )
        prepared = []
        for field in fields:
            if type(field) in (models.ForeignKey, models.OneToOneField):
                plain = _PLAIN_TYPES.get(type(field.target_field))
            else:
                plain = _PLAIN_TYPES.get(type(field))
            prepared.append((field, field.attname, plain, not _pre_save_reads_the_attribute(field)))
        relations = [field for field in fields if field.is_relation]
        statement = _ONE_ROW_STATEMENTS[key] = (sql, prepared, [field.attname for field in returning], relations)
    elif statement is False:
        return False
    sql, prepared, returning, relations = statement
    _related_ids_set([instance], relations, operation_name="save")
    values = []
    for field, attname, plain, custom_pre_save in prepared:
        value = field.pre_save(instance, True) if custom_pre_save else getattr(instance, attname)
        if isinstance(value, DatabaseDefault):
            return False
        values.append(value if value is None or type(value) is plain else field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    for attname, value in zip(returning, row, strict=True):
        setattr(instance, attname, value)
    instance._state.adding = False
    instance._state.db = using
    return True


def _related_ids_set(objects, relations, *, operation_name: str) -> None:
    """What `save()` does first (Django's `_prepare_related_fields_for_save`: a foreign key assigned
    an object saved after the assignment takes its id, an unsaved one is refused), run only on
    the instances whose id and cached object disagree, the others needing nothing."""
    for field in relations:
        for instance in _related_ids_differ(objects, [field]):
            instance._prepare_related_fields_for_save(operation_name=operation_name, fields=[field])


def _related_ids_differ(objects, relations):
    """The objects whose cached related instance (of one of `relations`) is not the one their
    `<field>_id` names: assigned before it was saved, or unsaved. The others need nothing."""
    differ = []
    for field in relations:
        cache_name, attname, target = field.cache_name, field.attname, field.target_field
        target_attname, target_is_pk = target.attname, target.primary_key
        for instance in objects:
            related = instance._state.fields_cache.get(cache_name)
            if related is None:
                continue
            # The dict first (a field's descriptor costs more); getattr where it is not there (a
            # lazy object such as the request's user, a deferred id).
            related_id = related.__dict__.get(target_attname)
            if related_id is None:
                related_id = getattr(related, target_attname)
            if (
                related_id is None or instance.__dict__.get(attname) != related_id
                or (not target_is_pk and related.pk is None)
            ):
                differ.append(instance)
    seen = set()  # once each, in their order (by identity: an unsaved instance is not hashable)
    return [instance for instance in differ if not (id(instance) in seen or seen.add(id(instance)))]


def _attribute_values(objects, attname: str) -> list:
    """`getattr(instance, attname)` of each object, read from the instance's dict (a foreign key's
    attribute is a descriptor that returns what the dict holds); a deferred one is read by getattr."""
    try:
        return [instance.__dict__[attname] for instance in objects]
    except KeyError:
        return [getattr(instance, attname) for instance in objects]


def _pre_save_reads_the_attribute(field) -> bool:
    """Whether `field.pre_save(instance, True)` is `getattr(instance, field.attname)`."""
    pre_save = type(field).pre_save
    if pre_save is Field.pre_save:
        return True
    return pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save) and not (
        field.auto_now or field.auto_now_add
    )


# Django's own field classes (exactly these: a subclass may prepare values its own way) whose
# `get_db_prep_save` returns a value of this Python type unchanged on PostgreSQL.
_PLAIN_TYPES = {
    models.CharField: str, models.TextField: str, models.SlugField: str, models.EmailField: str,
    models.BooleanField: bool, models.AutoField: int, models.BigAutoField: int, models.SmallAutoField: int,
    models.IntegerField: int, models.BigIntegerField: int, models.SmallIntegerField: int,
    models.PositiveIntegerField: int, models.PositiveBigIntegerField: int, models.PositiveSmallIntegerField: int,
    models.DateField: datetime.date,
}


def _array_type(field, connection) -> str:
    """The array type a column's parameter is cast to: the column's type without a length.

    An explicit cast to `varchar(n)` cuts a longer value to n characters without a word, where the
    INSERT's or UPDATE's own assignment to the column refuses it ("value too long"), as `save()`
    and `bulk_create` do: the length is left for that assignment to check."""
    key = (field, connection.vendor)
    if key not in _array_types:  # once per column: db_type and the pattern cost more than the statement's rest
        _array_types[key] = re.sub(r"^(character varying|varchar)\(\d+\)$", r"\1", field.db_type(connection)) + "[]"
    return _array_types[key]


_array_types: dict = {}


def _column_array(field, values, connection):
    """The one parameter that holds a column's `values`: prepared as `save()` prepares them
    (`get_db_prep_save`), as the text of a PostgreSQL array when `_array_text` can write it."""
    prepare = field.get_db_prep_save
    # A value already of the column's own Python type is what `get_db_prep_save` returns.
    kind = type(field.target_field) if type(field) in (models.ForeignKey, models.OneToOneField) else type(field)
    plain = _PLAIN_TYPES.get(kind)
    if plain is str:
        # Text fields return any str unchanged, a str-based choice (`TextChoices`) too.
        values = [value if value is None or isinstance(value, str) else prepare(value, connection) for value in values]
    elif kind is models.DateTimeField and settings.USE_TZ:
        # An aware datetime is what DateTimeField and PostgreSQL's adapter return unchanged.
        values = [
            value if value is None or (type(value) is datetime.datetime and value.tzinfo is not None)
            else prepare(value, connection)
            for value in values
        ]
    else:
        values = [value if value is None or type(value) is plain else prepare(value, connection) for value in values]
    text = _array_text(values)
    return values if text is None else text


def _array_text(values) -> str | None:
    """PostgreSQL's text form of a one-dimensional array of `values` (every element quoted but
    integers), or None for a value of a type not written here (psycopg then adapts the list itself,
    in more Python). A column of text, or of integers, is written in one pass."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if all(issubclass(kind, str) for kind in kinds):  # text (or none at all): the common column
        return "{" + ",".join([
            "NULL" if value is None else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        ]) + "}"
    if kinds == {int}:  # an integer needs no quotes
        return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"
    items = []
    for value in values:
        kind = type(value)
        if value is None:
            items.append("NULL")
            continue
        if issubclass(kind, str):
            text = value
        elif kind is int or kind is Decimal:
            text = str(value)
        elif kind is bool:
            text = "t" if value else "f"
        elif kind is datetime.date or kind is datetime.datetime:
            text = value.isoformat()
        elif kind is Jsonb and value.dumps is not None:
            text = value.dumps(value.obj)
        elif kind is ipaddress.IPv4Address or kind is ipaddress.IPv6Address:
            text = str(value)
        else:
            return None
        items.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(items) + "}"


def instance_new(model, **values):
    """`model(**values)` in a fraction of its Python, for the many new rows a bulk writer builds.

    The same instance as the constructor's: the same attributes (a field not given takes its
    default, called as the constructor calls it), a related instance given by the field's name
    cached and its id copied as the descriptor does, the same `_state` (its database set by the
    first related instance, a one-to-one's reverse cache on the related instance). Django's
    constructor pops each keyword, type-checks and routes through each field's descriptor; this
    sets `__dict__` directly from a plan made once per model. Anything the plan does not cover (a
    keyword that is not a field, a database router, a `pre_init`/`post_init` receiver, a field
    whose descriptor does more than store its value, a related instance of the wrong type or of
    another database) goes to the constructor itself, which also raises what it raises.
    """
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = _instance_plan(model)
    if plan is _NO_PLAN or not values.keys() <= plan.names or _has_init_receivers(model):
        return model(**values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    attributes = instance.__dict__
    attributes.update(plan.constants)
    for name, attname, get_default in plan.computed:
        if name not in values and attname not in values:
            attributes[attname] = get_default()
    for name, attname, relation in plan.relations:
        if name in values:
            if attname in values:  # both: the constructor sets the id after the instance
                return model(**values)
            related = values[name]
            if related is None:
                attributes[attname] = None
                state.fields_cache[name] = None
                continue
            if not isinstance(related, relation.model):
                return model(**values)
            related_state = related._state
            if state.db is None:
                state.db = related_state.db or DEFAULT_DB_ALIAS
            if related_state.db is None:
                related_state.db = state.db
            if related_state.db != state.db:
                return model(**values)
            attributes[attname] = getattr(related, relation.target_attname)
            state.fields_cache[name] = related
            if relation.reverse_cache_name is not None:
                related_state.fields_cache[relation.reverse_cache_name] = instance
        elif attname in values:
            attributes[attname] = values[attname]
    plain = plan.plain
    for name, value in values.items():
        if name in plain:
            attributes[name] = value
    return instance


class _Relation(typing.NamedTuple):
    model: type
    target_attname: str
    reverse_cache_name: str | None  # a one-to-one's: the related instance caches this one under it


class _Plan(typing.NamedTuple):
    names: frozenset  # the keywords it takes: each field's name, and a foreign key's attname
    plain: frozenset  # the names of the fields that are not relations
    constants: dict  # {attname: default} of the fields whose default is the same every time
    computed: list  # (name, attname, get_default) of the fields whose default is called each time
    relations: list  # (name, attname, _Relation) of the foreign keys, in the constructor's order


_plans: dict = {}
_NO_PLAN = object()


def _instance_plan(model):
    """How `instance_new` builds `model`'s instances, or _NO_PLAN where only the constructor will do."""
    from django.db.models.fields.files import FileDescriptor
    from django.db.models.fields.related_descriptors import (
        ForeignKeyDeferredAttribute,
        ForwardManyToOneDescriptor,
        ForwardOneToOneDescriptor,
    )
    from django.db.models.query_utils import DeferredAttribute

    meta = model._meta
    if meta.abstract or meta.parents or settings.DATABASE_ROUTERS or type(model).__call__ is not type.__call__:
        return _NO_PLAN
    if model.__init__ is not models.Model.__init__ or model.__new__ is not object.__new__:
        return _NO_PLAN
    names, plain, constants, computed, relations = set(), set(), {}, [], []
    for field in meta.fields:
        if field.column is None or field.generated:
            return _NO_PLAN
        stored = type(model.__dict__.get(field.attname))
        if field.is_relation:
            descriptor = type(model.__dict__.get(field.name))
            if (
                descriptor not in (ForwardManyToOneDescriptor, ForwardOneToOneDescriptor)
                or stored is not ForeignKeyDeferredAttribute or len(field.related_fields) != 1
                or field.primary_key or field.cache_name != field.name
            ):
                return _NO_PLAN
            remote = field.remote_field
            relations.append((field.name, field.attname, _Relation(
                model=remote.model._meta.concrete_model, target_attname=field.related_fields[0][1].attname,
                reverse_cache_name=None if remote.multiple else remote.cache_name,
            )))
            names.update((field.name, field.attname))
        else:
            if stored not in (DeferredAttribute, FileDescriptor) or field.name != field.attname:
                return _NO_PLAN
            names.add(field.name)
            plain.add(field.name)
        constant, default = _default(field)
        if constant:
            constants[field.attname] = default
        else:
            computed.append((field.name, field.attname, default))
    return _Plan(
        names=frozenset(names), plain=frozenset(plain), constants=constants, computed=computed, relations=relations,
    )


def _default(field) -> tuple[bool, object]:
    """(True, the value) where `field.get_default()` gives the same value every time (no default:
    None or ""; a default that is not callable, which Django shares between instances too), else
    (False, `field.get_default`) for a default called each time (a callable, a database default)."""
    if field.has_default() and not callable(field.default):
        return True, field.get_default()  # a foreign key's default instance as its id, as the constructor has it
    if field.has_default() or field.has_db_default():
        return False, field.get_default
    value = field.get_default()  # None or "", by the field's kind and the database's
    return (True, value) if value is None or value == "" else (False, field.get_default)


def _has_init_receivers(model) -> bool:
    # No receiver at all (the usual case) says it without asking each signal about the model.
    if not (signals.pre_init.receivers or signals.post_init.receivers):
        return False
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)

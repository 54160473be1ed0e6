"""Attaching the audit triggers (PostgreSQL) to the money and student tables.

The migrations install the trigger *functions*; which tables they watch is configuration
(`settings.AUDITED_TABLES`, table names or patterns such as "scholarships_*"), because those
tables belong to other apps and appear over time. `install_triggers` runs after every
`migrate` (a post_migrate handler in `apps.py`) and as `manage.py audit_install_triggers`:
- for each existing table that matches, it drops and re-creates the triggers
  `audit_capture_insert`, `audit_capture_update` and `audit_capture_delete` (AFTER each event,
  FOR EACH STATEMENT, with the statement's transition tables: one trigger per event, as
  PostgreSQL requires; `audit_capture_statement()`, migration 0005), passing the model label,
  the primary-key column, the way to the row's unit and the personal columns to mask as
  trigger arguments. Where migration 0005 is not applied (or was reversed) it attaches the row
  trigger of before, `audit_capture_row` (FOR EACH ROW, `audit_capture()`), with the same
  arguments; either form drops the other;
- it removes the triggers from tables that no longer match;
- tables that do not exist (yet) are skipped; a later migrate picks them up.
It is idempotent, and does nothing on other databases.

The way to the unit follows the model's one rule (`units.py`), so trigger rows and service rows
of the same record name the same unit:
- a table with a `unit_id` column: `unit_column:unit_id`, read from the row itself;
- a model that declares `audit_unit_path`: the row's first foreign-key column as
  `unit_column:`, and `unit_query:` a SELECT generated here from the path, one indexed
  primary-key lookup with a join per further step. For donations_pledgeinstallment
  (`pledge__campaign__unit`):
      unit_column:pledge_id
      unit_query:SELECT t2."unit_id" FROM "donations_pledge" t1
                 JOIN "campaigns_campaign" t2 ON t2."id" = t1."campaign_id" WHERE t1."id" = $1::bigint
  The statement function runs it by one `EXECUTE` per batch of rows, each row's value (read
  from the row's JSON) in place of `$1` and the rows passed as bound arrays; the row function ran
  it with `EXECUTE ... USING` that value; either way the statement text comes from our models,
  never from a row;
- a table with neither (or without a model): no unit arguments, system-wide rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, transaction

from .masking import personal_fields
from .units import unit_path

# One trigger per event: a trigger with transition tables may not name several events.
STATEMENT_TRIGGERS = (
    ("audit_capture_insert", "INSERT", "NEW TABLE AS audit_new"),
    ("audit_capture_update", "UPDATE", "OLD TABLE AS audit_old NEW TABLE AS audit_new"),
    ("audit_capture_delete", "DELETE", "OLD TABLE AS audit_old"),
)
# Every watched table carries this one (and its two siblings).
TRIGGER_NAME = STATEMENT_TRIGGERS[0][0]
# The row trigger of migrations 0002-0004, attached while migration 0005 is not applied.
ROW_TRIGGER_NAME = "audit_capture_row"
ALL_TRIGGER_NAMES = (*(name for name, _, _ in STATEMENT_TRIGGERS), ROW_TRIGGER_NAME)
AUDIT_TABLE = "audit_auditevent"

DEFAULT_AUDITED_TABLES = [
    "donations_donor",
    "donations_pledge",
    "donations_pledgeinstallment",
    "donations_payment",
    "ledger_fund",
    "campaigns_campaign",  # its bank account is where donors send money
    "receipts_receipt",
    "scholarships_*",
]


# Prefixes of the trigger arguments that say where a row's unit is; the function in migration
# audit/0003 tells them from masking rules (`column=kind`) by these prefixes.
UNIT_COLUMN_ARGUMENT = "unit_column:"
UNIT_QUERY_ARGUMENT = "unit_query:"


@dataclass(frozen=True)
class AuditedTable:
    table: str
    model_label: str
    pk_column: str
    personal_columns: dict[str, str] = field(default_factory=dict)
    # The row's column holding its unit's id, or (with `unit_query`) the key to look it up by;
    # "" when the table's rows are system-wide.
    unit_column: str = ""
    # A SELECT of the unit's id where $1 is `unit_column`'s value; "" when that column is the unit.
    unit_query: str = ""

    def trigger_arguments(self) -> list[str]:
        arguments = [self.model_label, self.pk_column]
        if self.unit_column:
            arguments.append(UNIT_COLUMN_ARGUMENT + self.unit_column)
        if self.unit_query:
            arguments.append(UNIT_QUERY_ARGUMENT + self.unit_query)
        return arguments + [f"{column}={kind}" for column, kind in sorted(self.personal_columns.items())]


def unit_lookup(model, connection) -> tuple[str, str]:
    """(`unit_column`, `unit_query`) for `model`'s table, from its declared rule (`units.unit_path`)."""
    chain = unit_path(model)
    if not chain:
        return "", ""
    first, last = chain[0], chain[-1]
    if len(chain) == 1:
        return first.column, ""
    quote = connection.ops.quote_name
    # t1 is the table the row's own foreign key points to; each further step joins one table.
    joins = [
        f"JOIN {quote(step.related_model._meta.db_table)} t{number} "
        f"ON t{number}.{quote(step.target_field.column)} = t{number - 1}.{quote(step.column)}"
        for number, step in enumerate(chain[1:-1], start=2)
    ]
    # Built from names, not from data: every table and column comes from our models' metadata,
    # quoted by the backend; the one value, the row's key, stays a bound parameter ($1) that the
    # trigger passes with EXECUTE ... USING.
    query = " ".join([
        f"SELECT t{len(chain) - 1}.{quote(last.column)} FROM {quote(first.related_model._meta.db_table)} t1",  # nosec B608
        *joins,
        # The key arrives as text (read from the row's JSON); cast to the column's own type.
        f"WHERE t1.{quote(first.target_field.column)} = $1::{first.db_type(connection)}",
    ])
    return first.column, query


def audited_tables(connection) -> list[AuditedTable]:
    """The existing tables that `settings.AUDITED_TABLES` names, with what the trigger needs."""
    patterns = getattr(settings, "AUDITED_TABLES", DEFAULT_AUDITED_TABLES)
    models_by_table = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    found = []
    for table in sorted(connection.introspection.table_names()):
        if table == AUDIT_TABLE or not any(fnmatchcase(table, pattern) for pattern in patterns):
            continue
        model = models_by_table.get(table)
        if model is None:
            found.append(AuditedTable(table, table, "id"))
            continue
        label = model._meta.label_lower
        columns = {}
        for name, kind in personal_fields(label).items():
            try:
                columns[model._meta.get_field(name).column] = kind
            except FieldDoesNotExist:
                continue
        unit_column, unit_query = unit_lookup(model, connection)
        found.append(AuditedTable(table, label, model._meta.pk.column, columns, unit_column, unit_query))
    return found


def install_triggers(using: str = "default") -> list[AuditedTable]:
    """(Re)create the audit triggers on PostgreSQL; return the tables now watched."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regprocedure('audit_capture()'), to_regprocedure('audit_capture_statement()'), to_regclass(%s)",
            [AUDIT_TABLE],
        )
        function, statement_function, audit_table = cursor.fetchone()
        if function is None or audit_table is None:
            return []  # the audit migrations are not applied (yet)
        tables = audited_tables(connection)
        wanted = {table.table for table in tables}
        quote = connection.ops.quote_name
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = ANY(%s) AND pg_table_is_visible(c.oid)",
            [list(ALL_TRIGGER_NAMES)],
        )
        for (stale,) in cursor.fetchall():
            if stale not in wanted:
                for name in ALL_TRIGGER_NAMES:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(stale)}")
        for table in tables:
            quoted = quote(table.table)
            arguments = ", ".join(_literal(argument) for argument in table.trigger_arguments())
            for name in ALL_TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quoted}")
            if statement_function is None:
                cursor.execute(
                    f"CREATE TRIGGER {ROW_TRIGGER_NAME} AFTER INSERT OR UPDATE OR DELETE ON {quoted} "
                    f"FOR EACH ROW EXECUTE FUNCTION audit_capture({arguments})"
                )
                continue
            for name, event, transition_tables in STATEMENT_TRIGGERS:
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {quoted} REFERENCING {transition_tables} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_statement({arguments})"
                )
    return tables


def _literal(value: str) -> str:
    # Trigger arguments must be literals (no bind parameters in DDL). They are model labels
    # and column names from our own code; quoting keeps even an odd name harmless.
    return "'" + value.replace("'", "''") + "'"


def install_after_migrate(sender, using="default", **kwargs):
    install_triggers(using)

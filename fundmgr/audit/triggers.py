"""Attaching the `audit_capture()` trigger (PostgreSQL) to the money and student tables.

Migration 0002 installs the trigger *function*; which tables it watches is configuration
(`settings.AUDITED_TABLES`, table names or patterns such as "scholarships_*"), because those
tables belong to other apps and appear over time. `install_triggers` runs after every
`migrate` (a post_migrate handler in `apps.py`) and as `manage.py audit_install_triggers`:
- for each existing table that matches, it drops and re-creates the trigger `audit_capture_row`
  (AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW), passing the model label, the primary-key
  column and the personal columns to mask as trigger arguments;
- it removes the trigger from tables that no longer match;
- tables that do not exist (yet) are skipped; a later migrate picks them up.
It is idempotent, and does nothing on other databases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, transaction

from .masking import personal_fields

TRIGGER_NAME = "audit_capture_row"
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


@dataclass(frozen=True)
class AuditedTable:
    table: str
    model_label: str
    pk_column: str
    personal_columns: dict[str, str] = field(default_factory=dict)

    def trigger_arguments(self) -> list[str]:
        return [self.model_label, self.pk_column] + [f"{column}={kind}" for column, kind in sorted(self.personal_columns.items())]


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
        found.append(AuditedTable(table, label, model._meta.pk.column, columns))
    return found


def install_triggers(using: str = "default") -> list[AuditedTable]:
    """(Re)create the audit triggers on PostgreSQL; return the tables now watched."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('audit_capture()'), to_regclass(%s)", [AUDIT_TABLE])
        function, audit_table = cursor.fetchone()
        if function is None or audit_table is None:
            return []  # the audit migrations are not applied (yet)
        tables = audited_tables(connection)
        wanted = {table.table for table in tables}
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND pg_table_is_visible(c.oid)",
            [TRIGGER_NAME],
        )
        for (stale,) in cursor.fetchall():
            if stale not in wanted:
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {connection.ops.quote_name(stale)}")
        for table in tables:
            quoted = connection.ops.quote_name(table.table)
            arguments = ", ".join(_literal(argument) for argument in table.trigger_arguments())
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER_NAME} AFTER INSERT OR UPDATE OR DELETE ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION audit_capture({arguments})"
            )
    return tables


def _literal(value: str) -> str:
    # Trigger arguments must be literals (no bind parameters in DDL). They are model labels
    # and column names from our own code; quoting keeps even an odd name harmless.
    return "'" + value.replace("'", "''") + "'"


def install_after_migrate(sender, using="default", **kwargs):
    install_triggers(using)

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from fundmgr.audit.triggers import install_triggers


class Command(BaseCommand):
    help = (
        "(Re)create the PostgreSQL audit triggers on the tables named by settings.AUDITED_TABLES "
        "(runs after every migrate as well). Idempotent; does nothing on SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, **options):
        if connections[database].vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: the audit trail relies on the services' rows only.")
            return
        tables = install_triggers(database)
        if not tables:
            self.stdout.write("No audited table exists yet (or the audit migrations are not applied).")
        for table in tables:
            masked = ", ".join(f"{column} ({kind})" for column, kind in sorted(table.personal_columns.items()))
            self.stdout.write(f"{table.table} → {table.model_label}" + (f"; masked: {masked}" if masked else ""))

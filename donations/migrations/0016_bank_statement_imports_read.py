"""The bank-statement imports stored before the upload read the file: their layout and line counts.

Since the API's upload became a job (b5b393e), `statement_upload` reads the file before it stores
it, and the row holds the layout read and the credit and debit lines' counts; the worker reads the
file again with that layout. A row the older upload stored and no worker has imported yet holds
the layout asked for ("" for automatic detection) and no counts, and the worker used to fill them
in. This reads those rows' files once, here, so the worker has one path:

- read: the layout and the counts are stored, with an audit row of what changed (the worker's fill
  wrote one; the actor is none, as for work no person did);
- unreadable: the import is failed with the reasons, as the worker would have marked it.

Finished and failed imports are left as they are: the worker read them (or gave up) already. The
file is in the row (`content`), so this needs no storage; it reads with the current code's parser
(`statement_parse`, which takes bytes and a layout code and touches no table).
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

READ_FIELDS = ("format", "lines_credit", "lines_debit")
NOT_STARTED = ("pending", "running")


def imports_read(apps, schema_editor):
    BankStatementImport = apps.get_model("donations", "BankStatementImport")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    alias = schema_editor.connection.alias
    unread = BankStatementImport.objects.using(alias).filter(status__in=NOT_STARTED).filter(
        Q(format="") | Q(lines_credit=0, lines_debit=0)
    )
    ids = list(unread.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return  # a fresh database, or no import waiting
    from donations.services.bank_statement import StatementError, statement_parse

    for statement_id in ids:  # one file in memory at a time (up to the upload limit each)
        statement = BankStatementImport.objects.using(alias).get(pk=statement_id)
        try:
            parsed = statement_parse(bytes(statement.content), statement.format or "auto")
        except StatementError as error:
            statement.status, statement.last_error = "failed", "\n".join(error.messages)
            statement.updated_at = timezone.now()
            statement.save(update_fields=["status", "last_error", "updated_at"])
            continue
        before = {field: getattr(statement, field) for field in READ_FIELDS}
        statement.format, statement.lines_credit = parsed.layout.code, len(parsed.rows)
        statement.lines_debit = parsed.debit_rows
        after = {field: getattr(statement, field) for field in READ_FIELDS}
        changed = [field for field in READ_FIELDS if before[field] != after[field]]
        if not changed:
            continue
        statement.save(update_fields=list(READ_FIELDS))
        AuditEvent.objects.using(alias).create(
            actor=None, actor_label="system", action="change", model_label="donations.bankstatementimport",
            object_id=str(statement.pk), before={field: before[field] for field in changed},
            after={field: after[field] for field in changed}, source="service", unit_id=statement.unit_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0015_schedule_descriptions_vi"),
        ("audit", "0006_audit_indexes_without_like"),
    ]

    operations = [migrations.RunPython(imports_read, migrations.RunPython.noop)]

"""The ledger as rows for auditors: one row per journal line, carrying everything its entry's hash covers.

`ledger_audit_rows` is a generator that `export_ledger` writes with `csv.writer`; the columns
are `AUDIT_COLUMNS`, and `docs/ledger.md` has the standalone script that recomputes the hash
chain from such a file. Rows come in chain order (entry pk, then line pk), read in pk batches,
so memory stays flat for millions of lines. For a consistent file, call it inside one
REPEATABLE READ transaction.
"""

from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType

from fundmgr.orgs.models import OrgUnit

from .hashing import source_label
from .models import Account, Fund, JournalEntry, JournalLine

AUDIT_COLUMNS = [
    "entry_id", "date", "unit", "memo", "source", "reverses_hash", "reversal_reason",
    "previous_hash", "hash", "account", "fund", "debit", "credit",
]


def ledger_audit_rows(*, batch_size: int = 10_000) -> Iterator[list]:
    account_codes = dict(Account.objects.values_list("pk", "code"))
    fund_codes = dict(Fund.objects.values_list("pk", "code"))
    unit_codes = dict(OrgUnit.objects.values_list("pk", "code"))
    source_types = {pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    after_pk = 0
    while True:
        entries = list(
            JournalEntry.objects.filter(pk__gt=after_pk)
            .order_by("pk")
            .values_list(
                "pk", "date", "unit_id", "memo", "source_type_id", "source_id", "reverses__hash",
                "reversal_reason", "previous_hash", "hash",
            )[:batch_size]
        )
        if not entries:
            return
        by_pk = {entry[0]: entry for entry in entries}
        lines = (
            JournalLine.objects.filter(entry_id__gte=entries[0][0], entry_id__lte=entries[-1][0])
            .order_by("entry_id", "pk")
            .values_list("entry_id", "account_id", "fund_id", "debit", "credit")
        )
        for entry_id, account_id, fund_id, debit, credit in lines:
            pk, date, unit_id, memo, type_id, source_id, reverses_hash, reason, previous, digest = by_pk[entry_id]
            source = source_label(*source_types[type_id], source_id) if type_id else ""
            yield [
                pk, date.isoformat(), unit_codes[unit_id], memo, source, reverses_hash or "", reason,
                previous, digest, account_codes[account_id], fund_codes[fund_id], debit, credit,
            ]
        after_pk = entries[-1][0]

"""Logs to prove things about: the demo data (`demo_seeded`), or made-up entries, synced, with a checkpoint over them,
signed as the daily job signs it (`checkpoint_take`, with the tests' development key)."""

import hashlib
from pathlib import Path

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Account, Fund, JournalEntry, JournalLine
from fundmgr.orgs.models import OrgUnit
from fundmgr.transparency.models import Checkpoint
from fundmgr.transparency.services import checkpoint_take

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "transparency_verify.py"


def checkpoint_over_the_log() -> Checkpoint:
    """A signed checkpoint over the whole log (the last one when the log has not grown since)."""
    return checkpoint_take()


def entry_hash(number: int) -> str:
    return hashlib.sha256(f"entry {number}".encode()).hexdigest()


def add_entries(count: int) -> None:
    """`count` entries with made-up hashes, written straight into the journal: the tree reads nothing
    of an entry but its pk order and its hash, and this is fast. Each has two lines of 1 dong,
    since PostgreSQL checks at commit that an entry balances."""
    fund = Fund.objects.first()
    if fund is None:
        accounts.chart_install()
        unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh", code="TH", kind=OrgUnit.Kind.PROVINCE)
        fund = Fund.objects.create(code="QKH", name="Quỹ Khuyến học", unit=unit)
    cash, income = Account.objects.order_by("pk")[:2]
    start = JournalEntry.objects.count()
    entries = JournalEntry.objects.bulk_create(
        JournalEntry(
            unit_id=fund.unit_id, date="2025-01-29", memo=f"entry {number}",
            previous_hash=entry_hash(number - 1) if number else "0" * 64, hash=entry_hash(number),
        )
        for number in range(start, start + count)
    )
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=account, fund=fund, debit=debit, credit=1 - debit)
        for entry in entries for account, debit in ((cash, 1), (income, 0))
    )

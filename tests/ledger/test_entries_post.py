"""`entries_post`: several entries in one pass, each as `entry_post` would post it.

- The entries, their lines, hashes (chained from the head in order), and audit rows are those
  `entry_post` writes one by one from the same head; `ledger_verify` accepts the chain.
- One malformed posting refuses them all: nothing written, the head unmoved.
- The statements do not grow with the number of entries.
- On PostgreSQL, the application's role moves the chain head several links at once this way
  (migration 0009), and still cannot move it by a count that is not the number of new entries.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry, JournalLine, LedgerChainHead
from fundmgr.ledger.services import Line, Posting, entries_post, entry_post, ledger_verify

DAY = datetime.date(2025, 6, 1)
pytestmark = pytest.mark.django_db


def _postings(province, fund, count, start=1):
    return [
        Posting(unit=province, date=DAY, memo=f"Ủng hộ số {index}",
                lines=[Line(accounts.BANK, fund, debit=index * 1000), Line(accounts.DONATION_INCOME, fund, credit=index * 1000)])
        for index in range(start, start + count)
    ]


def _written(since_entry, since_audit):
    entries = list(JournalEntry.objects.filter(pk__gt=since_entry).order_by("pk"))
    return {
        "entries": [(e.memo, e.date, e.unit_id, e.previous_hash, e.hash, e.created_by_id) for e in entries],
        "lines": list(JournalLine.objects.filter(entry__in=entries).order_by("pk").values_list(
            "account__code", "fund_id", "debit", "credit")),
        "audit": [
            (a.action, a.model_label, a.after["hash"], a.after["total"], a.unit_id)
            for a in AuditEvent.objects.filter(pk__gt=since_audit, model_label="ledger.journalentry").order_by("pk")
        ],
        "head": LedgerChainHead.objects.values_list("last_hash", "entry_count").get(),
    }


class _Rollback(Exception):
    pass


def test_entries_post_writes_what_entry_post_writes_one_by_one(province, make_fund):
    fund = make_fund("QKH-TH")
    entry_post(**{**_postings(province, fund, 1, start=99)[0].__dict__})  # a head to continue from
    since_entry = JournalEntry.objects.latest("pk").pk
    since_audit = AuditEvent.objects.latest("pk").pk
    results = []
    for bulk in (True, False):
        try:
            with transaction.atomic():
                if bulk:
                    posted = entries_post(postings=_postings(province, fund, 4))
                    assert [len(entry.posted_lines) for entry in posted] == [2, 2, 2, 2]
                else:
                    for posting in _postings(province, fund, 4):
                        entry_post(**posting.__dict__)
                results.append(_written(since_entry, since_audit))
                assert ledger_verify().ok
                raise _Rollback
        except _Rollback:
            pass
    assert results[0] == results[1]
    assert len(results[0]["entries"]) == 4 and results[0]["head"][1] == 5


def test_one_malformed_posting_refuses_them_all(province, make_fund):
    fund = make_fund("QKH-TH")
    postings = _postings(province, fund, 3)
    postings[1] = Posting(unit=province, date=DAY, memo="Lệch",
                          lines=[Line(accounts.BANK, fund, debit=5), Line(accounts.DONATION_INCOME, fund, credit=4)])
    with pytest.raises(ValidationError) as refusal:
        entries_post(postings=postings)
    assert refusal.value.code == "unbalanced"
    assert JournalEntry.objects.count() == 0 and JournalLine.objects.count() == 0


def test_the_statements_do_not_grow_with_the_entries(province, make_fund):
    fund = make_fund("QKH-TH")
    entries_post(postings=_postings(province, fund, 1))  # the head exists from here on
    counts = []
    for count in (2, 20):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            entries_post(postings=_postings(province, fund, count), savepoint=False)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert JournalEntry.objects.count() == 23 and ledger_verify().ok


@pytest.mark.postgres
def test_the_app_role_moves_the_head_several_links_only_by_their_number(province, make_fund):
    from .helpers import acting_as, app_role_create

    fund = make_fund("QKH-TH")
    app_role = app_role_create()
    with acting_as(app_role):
        entries = entries_post(postings=_postings(province, fund, 3))
    assert LedgerChainHead.objects.values_list("last_entry_id", "last_hash", "entry_count").get() == (
        entries[-1].pk, entries[-1].hash, 3)
    # Back one link and forward again by a wrong count: refused, for the role and for the owner.
    for sql, params in [
        ("UPDATE ledger_ledgerchainhead SET entry_count = entry_count + 2", []),
        ("UPDATE ledger_ledgerchainhead SET last_entry_id = %s, last_hash = %s, entry_count = 2",
         [entries[1].pk, entries[1].hash]),
    ]:
        with pytest.raises(DatabaseError, match="only moves one link forward"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert ledger_verify().ok

"""Many treasurers spending from one fund at once: the fund never goes below zero.

200 attempts to pay 1.000.000 ₫ from a fund holding 10.000.000 ₫, from threads that each hold
their own database connection. Exactly 10 succeed, whatever the interleaving; the chain stays
one chain (every posting queued on the chain head).
"""

import datetime
import threading

import pytest
from django.db import connection

from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry
from fundmgr.ledger.selectors import fund_available, fund_balances
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post, ledger_verify

DAY = datetime.date(2025, 4, 1)
ATTEMPTS = 200
PAYMENT = 1_000_000


def spend_race(province, fund, *, threads: int) -> dict[str, int]:
    """Run ATTEMPTS spends spread over `threads` threads that start together; count outcomes."""
    outcomes: list[str] = []
    outcome_lock = threading.Lock()
    start = threading.Barrier(threads)
    per_thread = ATTEMPTS // threads

    def work():
        try:
            start.wait()
            for _ in range(per_thread):
                try:
                    entry_post(
                        unit=province, date=DAY, memo="Chi học bổng",
                        lines=[
                            Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=PAYMENT),
                            Line(accounts.BANK, fund, credit=PAYMENT),
                        ],
                    )
                    outcome = "paid"
                except InsufficientFunds:
                    outcome = "refused"
                except Exception as error:  # noqa: BLE001 - anything else is a bug the assertion will show
                    outcome = f"error: {error!r}"
                with outcome_lock:
                    outcomes.append(outcome)
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@pytest.mark.django_db(transaction=True)
def test_two_hundred_spends_from_ten_million(province, make_fund):
    fund = make_fund("QKH-TH")
    entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=10 * PAYMENT), Line(accounts.DONATION_INCOME, fund, credit=10 * PAYMENT)],
    )
    assert fund_available(fund) == 10_000_000

    # PostgreSQL: 40 connections at once (the server allows 100); SQLite: 8 writers queueing
    # on the database lock (IMMEDIATE transactions, 30 s timeout).
    counts = spend_race(province, fund, threads=40 if connection.vendor == "postgresql" else 8)

    assert counts == {"paid": 10, "refused": 190}
    assert fund_balances() == {fund.pk: 0}
    assert fund_available(fund) == 0
    assert JournalEntry.objects.count() == 11
    verification = ledger_verify()
    assert verification.ok, verification.message
    assert verification.entries_checked == 11

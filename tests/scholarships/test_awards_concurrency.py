"""The committee and the treasurers working at once: approvals never promise more than a fund
holds, and voucher numbers stay 1..N without gaps.

Two programs share a fund of 10.000.000 ₫ and each proposes ten 1.000.000 ₫ awards (a proposal
promises nothing yet). Twenty approvals race from threads with their own connections: exactly
ten succeed. Then the ten approved awards are paid from threads at once: vouchers 1..10.
On SQLite the writers queue on the database lock; on PostgreSQL on the fund and counter rows.
"""

import datetime
import threading

import pytest
from django.db import connection

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, LedgerChainHead
from fundmgr.ledger.selectors import fund_available, fund_balances
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post, ledger_verify
from scholarships.models import Award, Disbursement
from scholarships.services import awards

from .conftest import make_student

DAY = datetime.date(2026, 11, 20)
RUBRIC = [{"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score",
           "bands": [{"at_least": "0", "points": 1}]}]


def race(function, items, *, threads):
    """Call `function(item)` for every item from `threads` threads that start together."""
    outcomes, lock, start = [], threading.Lock(), threading.Barrier(threads)
    chunks = [items[index::threads] for index in range(threads)]

    def work(chunk):
        try:
            start.wait()
            for item in chunk:
                try:
                    function(item)
                    outcome = "ok"
                except InsufficientFunds:
                    outcome = "refused"
                except Exception as error:  # noqa: BLE001 - anything else is a bug the assertion will show
                    outcome = f"error: {error!r}"
                with lock:
                    outcomes.append(outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {outcome: outcomes.count(outcome) for outcome in set(outcomes)}


@pytest.mark.django_db(transaction=True)
def test_racing_approvals_and_payments(units):
    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    fund = Fund.objects.create(code="QKH", name="Quỹ Khuyến học", unit=units.province)
    entry_post(unit=units.province, date=DAY, memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, fund, debit=10_000_000), Line(accounts.DONATION_INCOME, fund, credit=10_000_000),
    ])
    for program_number in range(2):
        program = awards.program_create(
            unit=units.province, code=f"P{program_number}", name=f"Chương trình {program_number}",
            school_year="2026-2027", award_amount=1_000_000, rubric=RUBRIC, funds={fund: 10_000_000},
        )
        for number in range(10):
            student = make_student(units.school_a, national_id=f"0383130{program_number}{number:04d}")
            awards.nomination_create(program=program, student=student)
        assert awards.allocation_run(program=program).funded_count == 10
    proposed = list(Award.objects.filter(status="proposed").order_by("pk"))
    assert len(proposed) == 20

    threads = 10 if connection.vendor == "postgresql" else 4
    counts = race(lambda award: awards.award_approve(award=award), proposed, threads=threads)

    assert counts == {"ok": 10, "refused": 10}
    assert Award.objects.filter(status="approved").count() == 10
    assert fund_available(fund) == 0

    approved = list(Award.objects.filter(status="approved").order_by("pk"))
    counts = race(
        lambda award: awards.award_disburse(award=award, method="cash", paid_on=DAY, recipient_name="Phụ huynh"),
        approved, threads=threads,
    )

    assert counts == {"ok": 10}
    assert sorted(Disbursement.objects.values_list("sequence", flat=True)) == list(range(1, 11))
    assert fund_balances() == {fund.pk: 0} and fund_available(fund) == 0
    assert ledger_verify().ok

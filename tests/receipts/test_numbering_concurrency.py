"""Receipt numbers under concurrent payments and rolled-back transactions: 1..N, no gap, no duplicate.

Four processes (each its own interpreter and database connection, started together at a
barrier, before any counter row exists) record payments with `payment_record`, which issues the
receipt in its transaction; every tenth transaction raises after the receipt was issued and
rolls back. The committed receipts must be numbered exactly 1..N. With pytest-django the test
database has its own name (`test_…`), which the children do not know: it is passed to them, and
they set it before Django connects.
"""

import multiprocessing
import queue
import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from donations.models import Payment
from receipts.models import Receipt, ReceiptCounter

from .processes import record_payments_in_child

PROCESSES = 4


def run_concurrent_payments(province, fund, donor, *, total: int, through_ledger: bool) -> list[tuple]:
    jobs = [(index, index % 10 == 9) for index in range(total)]  # every tenth rolls back
    per_process = [jobs[offset::PROCESSES] for offset in range(PROCESSES)]
    db_name = settings.DATABASES["default"]["NAME"]
    ids = {"unit": province.pk, "fund": fund.pk, "donor": donor.pk}
    connections.close_all()  # nothing of the parent's connection travels to the children
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=record_payments_in_child,
                        args=(db_name, settings.MEDIA_ROOT, ids, part, start, results, through_ledger))
        for part in per_process
    ]
    for process in processes:
        process.start()
    outcomes = []
    deadline = time.monotonic() + 240
    try:
        while len(outcomes) < total and time.monotonic() < deadline:
            try:
                outcomes.append(results.get(timeout=1))
            except queue.Empty:
                if not any(process.is_alive() for process in processes):
                    break
        if len(outcomes) < total:
            pytest.fail(f"only {len(outcomes)} of {total} payments reported back (exit codes "
                        f"{[process.exitcode for process in processes]})")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    return outcomes


def assert_numbered_one_to_n(outcomes, province, *, total: int):
    errors = [outcome for outcome in outcomes if outcome[0] == "error"]
    assert errors == []
    committed = {index: number for status, index, number in outcomes if status == "committed"}
    rolled_back = {index: number for status, index, number in outcomes if status == "rolled back"}
    n = total - total // 10
    assert (len(committed), len(rolled_back)) == (n, total // 10)

    year = timezone.localdate().year
    receipts = list(Receipt.objects.filter(unit=province, year=year).order_by("sequence"))
    assert [receipt.sequence for receipt in receipts] == list(range(1, n + 1))  # no gap, no duplicate
    assert [receipt.number for receipt in receipts] == [f"PT-{year}-{sequence:06d}" for sequence in range(1, n + 1)]
    assert ReceiptCounter.objects.get(unit=province, year=year).last_number == n
    # Every committed payment has its receipt, with the number its transaction saw.
    by_amount = {receipt.amount: receipt.number for receipt in receipts}
    assert by_amount == {1_000_000 + index: number for index, number in committed.items()}
    assert Payment.objects.count() == n
    assert Payment.objects.filter(receipt__isnull=True).count() == 0
    # A rolled-back transaction's number was given back: taken again by a later one (or it was the last).
    assert all(int(number.rsplit("-", 1)[1]) <= n + 1 for number in rolled_back.values())


# "payment_record": the real path (payment, journal entry, receipt in one transaction).
# "receipt only": a payment row and its receipt, no ledger posting: the counter's lock alone.
PATHS = [pytest.param(True, id="payment_record"), pytest.param(False, id="receipt-only")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through_ledger", PATHS)
def test_two_hundred_concurrent_payments_on_postgresql_are_numbered_without_gaps(province, fund, donor, through_ledger):
    assert connection.vendor == "postgresql"
    outcomes = run_concurrent_payments(province, fund, donor, total=200, through_ledger=through_ledger)
    assert_numbered_one_to_n(outcomes, province, total=200)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through_ledger", PATHS)
def test_fifty_concurrent_payments_are_numbered_without_gaps(province, fund, donor, through_ledger):
    outcomes = run_concurrent_payments(province, fund, donor, total=50, through_ledger=through_ledger)
    assert_numbered_one_to_n(outcomes, province, total=50)

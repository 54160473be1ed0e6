"""Payments into one fund do not queue behind each other on the fund (PostgreSQL).

`payment_record` locks the pledge it pays (payments of one pledge must see each other's
amounts), the donor's honor roll row, one of the campaign's sharded counter rows, and, last,
the ledger's chain head and the receipt counter of the unit and year, held only until the
commit that follows. It does not lock the fund: money coming in never overspends it.

- Eight threads, each paying its own donor's pledge into the same fund, started at a barrier,
  all commit; the receipts of the unit's year are numbered 1..8 without a gap; the ledger
  verifies; the campaign's totals equal a full recount.
- While another transaction holds the fund's lock (`funds_lock`, as a disbursement does while it
  checks the balance), a payment into that fund commits: with a lock timeout, a wait would fail
  it. (The lock is FOR NO KEY UPDATE: a FOR UPDATE would block even the foreign-key check of
  the payment's row.)
- Eight threads paying the same pledge: its row lock serialises them, so five pay it in full and
  the rest are refused as overpayments, and the totals (moved by each payment under the donor's
  row lock) equal a recount.
- A removal request of the pledge filed during a payment (or a bank import chunk) that pays it,
  in either order: the honor roll's total equals a recount.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from donations import progress, services
from donations.models import Payment, Pledge
from fundmgr.ledger.services import funds_lock, ledger_verify
from receipts.models import Receipt

from .conftest import campaign_make

WRITERS = 8


def _pledge(campaign, treasurer, index) -> Pledge:
    pledge, _ = services.pledge_create(
        campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual", email=f"d{index}@example.vn",
        amount=10_000_000, list_on_honor_roll=True, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    return pledge


def _pay(pledge_pk, treasurer_pk, start, amount):
    from django.contrib.auth import get_user_model

    try:
        pledge = Pledge.objects.select_related("donor", "campaign__unit").get(pk=pledge_pk)
        treasurer = get_user_model().objects.get(pk=treasurer_pk)
        if start is not None:
            start.wait(timeout=60)
        with connection.cursor() as cursor:
            # A payment that waited this long on a lock fails instead of passing late.
            cursor.execute("SET lock_timeout = '20s'")
        payment = services.payment_record(
            donor=pledge.donor, pledge=pledge, amount=amount, method="cash", unit=pledge.campaign.unit,
            received_on=timezone.localdate(), recorded_by=treasurer,
        )
        return payment.pk
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_payments_into_one_fund_all_commit_with_gap_free_receipts(unit, fund, treasurer):
    campaign = campaign_make(unit=unit, fund=fund)
    pledges = [_pledge(campaign, treasurer, index) for index in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(_pay, pledge.pk, treasurer.pk, start, 1_000_000 + index)
                   for index, pledge in enumerate(pledges)]
        payment_pks = [future.result(timeout=120) for future in futures]  # re-raises a thread's error

    assert len(set(payment_pks)) == WRITERS
    assert Payment.objects.filter(fund=fund).count() == WRITERS
    year = timezone.localdate().year
    assert sorted(Receipt.objects.filter(unit=unit, year=year).values_list("sequence", flat=True)) == list(
        range(1, WRITERS + 1))
    assert ledger_verify().ok
    figures = progress.campaign_figures(campaign)
    assert figures == progress.campaign_figures(campaign, recount=True)
    assert figures["received"] == sum(1_000_000 + index for index in range(WRITERS))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_does_not_wait_for_a_transaction_holding_the_funds_lock(unit, fund, treasurer):
    campaign = campaign_make(unit=unit, fund=fund)
    pledge = _pledge(campaign, treasurer, 1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_fund():
        try:
            with transaction.atomic():
                funds_lock([fund])  # as a disbursement or an award approval holds it
                locked.set()
                release.wait(timeout=120)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        holder = pool.submit(hold_the_fund)
        assert locked.wait(timeout=60)
        try:
            payment_pk = pool.submit(_pay, pledge.pk, treasurer.pk, None, 2_000_000).result(timeout=120)
        finally:
            release.set()
        holder.result(timeout=60)
    assert Payment.objects.get(pk=payment_pk).receipt.sequence == 1


def _pay_or_refusal(pledge_pk, treasurer_pk, start, amount):
    from django.core.exceptions import ValidationError

    try:
        return _pay(pledge_pk, treasurer_pk, start, amount)
    except ValidationError as error:
        return error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_pledge_see_each_other_and_keep_the_totals_exact(unit, fund, treasurer):
    # The pledge's row lock serialises them: each reads what the earlier ones paid (so the one
    # that would pay more than is left is refused), and each moves the donor's honor roll row
    # under its lock by its own amount, so the totals equal a recount whatever the order.
    campaign = campaign_make(unit=unit, fund=fund)
    pledge = _pledge(campaign, treasurer, 1)  # 10,000,000 pledged, listed on the honor roll
    start = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(_pay_or_refusal, pledge.pk, treasurer.pk, start, 2_000_000) for _ in range(WRITERS)]
        outcomes = [future.result(timeout=120) for future in futures]

    paid = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, int)]
    assert len(paid) == 5 and len(refused) == WRITERS - 5
    assert all("overpayment_reason" in error.message_dict for error in refused)
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED
    figures = progress.campaign_figures(campaign)
    assert figures == progress.campaign_figures(campaign, recount=True)
    assert progress.tally_mismatches() == []
    assert figures["received"] == 10_000_000
    assert ledger_verify().ok


def _until_a_backend_waits_for_a_lock():
    observer = connections.create_connection("default")
    try:
        for _attempt in range(1200):
            with observer.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock'")
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.05)
        pytest.fail("the second transaction never waited for the first one's lock")
    finally:
        observer.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("first", "payment_by"), [
    ("request", "payment_record"), ("payment", "payment_record"), ("request", "bank import"),
])
def test_a_removal_request_filed_during_a_payment_of_its_pledge_keeps_the_honor_roll_exact(
    unit, fund, treasurer, first, payment_by,
):
    # A payment reads whether its pledge has a removal request right after taking the pledge's
    # lock, and a request takes that lock before it inserts: whichever comes first, the other
    # waits, and the payment's amount is on the honor roll exactly when no request preceded it.
    # (Read in the locking statement itself, the answer would come from the snapshot taken before
    # the wait, and the payment would add its amount after the request took the pledge off.)
    from donations.services.bank_statement import statement_import
    from tests.donations.test_bank_import_bulk import DAY_TEXT, generic

    campaign = campaign_make(unit=unit, fund=fund)
    pledge = _pledge(campaign, treasurer, 1)  # listed on the honor roll
    services.payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method="cash", unit=unit,
                            received_on=timezone.localdate(), recorded_by=treasurer)
    holding, release = threading.Event(), threading.Event()

    def request():
        services.honor_roll_removal_request(pledge=Pledge.objects.get(pk=pledge.pk))

    def pay():
        if payment_by == "bank import":
            content = generic([(DAY_TEXT, "500.000", f"ung ho {pledge.reference}", "FT-REMOVAL-1", "")])
            assert statement_import(unit=unit, file_name="r.csv", content=content, created_by=treasurer).lines_matched == 1
            return
        paid = Pledge.objects.select_related("donor").get(pk=pledge.pk)
        services.payment_record(donor=paid.donor, pledge=paid, amount=500_000, method="cash", unit=unit,
                                received_on=timezone.localdate(), recorded_by=treasurer)

    def hold(function):
        try:
            with transaction.atomic():
                function()
                holding.set()
                assert release.wait(timeout=120)
        finally:
            connections.close_all()

    def wait(function):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '20s'")  # a deadlock or a long wait fails the thread
            function()
        finally:
            connections.close_all()

    holder, waiter = (pay, request) if first == "payment" else (request, pay)
    with ThreadPoolExecutor(max_workers=2) as pool:
        held = pool.submit(hold, holder)
        assert holding.wait(timeout=60)
        waiting = pool.submit(wait, waiter)
        try:
            _until_a_backend_waits_for_a_lock()
        finally:
            release.set()
        held.result(timeout=60)
        waiting.result(timeout=120)

    assert Payment.objects.filter(pledge=pledge).count() == 2
    assert progress.tally_mismatches() == []
    assert progress.campaign_figures(campaign) == progress.campaign_figures(campaign, recount=True)
    assert not progress.pledges_publicly_listed([Pledge.objects.get(pk=pledge.pk)])

"""200 pledge submissions at once, 50 of them repeating an idempotency key: 150 pledges, no errors.

The repeats are submitted right after their originals, so with 40 threads each pair runs at the
same moment: on PostgreSQL the second INSERT waits on the first one's uncommitted row, fails on
the unique key once it commits, and the service reads the winner's pledge in its savepoint.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from donations import services
from donations.models import Donor, Pledge, PledgeInstallment
from donations.services import pledges as pledge_services

from .conftest import campaign_make

SUBMISSIONS = 200
REPEATS = 50
THREADS = 40  # PostgreSQL allows 100 connections here, shared with other test runs


def _submit(campaign_pk, index, key, start):
    from campaigns.models import Campaign

    start.wait()
    try:
        campaign = Campaign.objects.get(pk=campaign_pk)
        pledge, created = services.pledge_create(
            campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
            email=f"donor{index}@example.vn", amount=100_000 + index, installments=2,
            channel=Pledge.Channel.FORM, idempotency_key=key,
        )
        return key, pledge.pk, created
    finally:
        connections.close_all()


def _run(unit, fund, monkeypatch):
    queued = []
    monkeypatch.setattr(pledge_services, "_queue_pledge_confirmation", queued.append)
    campaign = campaign_make(unit=unit, fund=fund)
    calls = []
    for index in range(SUBMISSIONS - REPEATS):
        calls.append((index, f"key-{index:04d}"))
        if index < REPEATS:
            calls.append((index, f"key-{index:04d}"))  # the double submission, right behind it
    assert len(calls) == SUBMISSIONS
    start = threading.Barrier(min(THREADS, SUBMISSIONS))
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [
            pool.submit(_submit, campaign.pk, index, key, start if n < THREADS else threading.Barrier(1))
            for n, (index, key) in enumerate(calls)
        ]
        results = [future.result() for future in futures]  # re-raises any error of a thread

    by_key: dict[str, set[int]] = {}
    for key, pledge_pk, _created in results:
        by_key.setdefault(key, set()).add(pledge_pk)
    assert all(len(pks) == 1 for pks in by_key.values())  # every repeat got the original pledge
    assert sum(created for _key, _pk, created in results) == SUBMISSIONS - REPEATS
    assert Pledge.objects.count() == SUBMISSIONS - REPEATS
    assert PledgeInstallment.objects.count() == 2 * (SUBMISSIONS - REPEATS)
    assert Donor.objects.count() == SUBMISSIONS - REPEATS  # a losing attempt left no donor behind
    assert sorted(queued) == sorted(Pledge.objects.values_list("pk", flat=True))  # one e-mail per pledge


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_on_postgresql(unit, fund, monkeypatch):
    _run(unit, fund, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_on_sqlite(unit, fund, monkeypatch):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the SQLite pass runs this one")
    _run(unit, fund, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_a_repeat_that_arrives_while_the_first_is_uncommitted_gets_the_first_pledge(unit, fund, monkeypatch):
    """The race itself, step by step: B checks the key while A's insert is not yet committed."""
    import time

    monkeypatch.setattr(pledge_services, "_queue_pledge_confirmation", lambda pk: None)
    campaign = campaign_make(unit=unit, fund=fund)
    a_inserted, release_a = threading.Event(), threading.Event()
    original_insert = pledge_services._pledge_insert

    def insert_then_wait(**kwargs):
        pledge = original_insert(**kwargs)
        if threading.current_thread().name == "A":
            a_inserted.set()
            release_a.wait(10)
        return pledge

    monkeypatch.setattr(pledge_services, "_pledge_insert", insert_then_wait)
    results = {}

    def submit(name):
        try:
            results[name] = services.pledge_create(
                campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", phone="0912345678",
                amount=500_000, channel=Pledge.Channel.FORM, idempotency_key="same-key",
            )
        except Exception as error:  # noqa: BLE001 - reported below
            results[name] = error
        finally:
            connections.close_all()

    a = threading.Thread(target=submit, args=("A",), name="A")
    a.start()
    assert a_inserted.wait(10)
    b = threading.Thread(target=submit, args=("B",), name="B")
    b.start()
    time.sleep(0.5)  # B has checked the key (seen nothing committed) and waits on A
    release_a.set()
    a.join(10)
    b.join(10)

    (pledge_a, created_a), (pledge_b, created_b) = results["A"], results["B"]
    assert (created_a, created_b) == (True, False)
    assert pledge_a.pk == pledge_b.pk
    assert Pledge.objects.count() == 1 and Donor.objects.count() == 1

"""Transfers repeated at the same moment on PostgreSQL: 12 requests, 4 keys each sent three times
at once, make exactly 4 journal entries, and every repeat answers its key's first entry.

The repeats race their original: the second INSERT of a key waits on the first one's uncommitted
row (`fundmgr.idempotency`), fails on the unique index once it commits, and answers the winner's entry.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from fundmgr.ledger.models import JournalEntry
from fundmgr.ledger.services import Line, entry_post
from tests.ledger.helpers import chart_install

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, client_for

KEYS = 4
REPEATS = 3


def _post(user_pk, key, amount, start):
    from django.contrib.auth import get_user_model

    start.wait()
    try:
        user = get_user_model().objects.get(pk=user_pk)
        response = client_for(user).post(
            "/api/v1/transfers/",
            {"from_fund": "QKH-TH", "to_fund": "NCUM", "amount": amount, "date": DAY.isoformat(), "memo": f"Chuyển {key}"},
            format="json", HTTP_IDEMPOTENCY_KEY=key,
        )
        return key, response.status_code, response.json().get("id")
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_make_one_entry_per_key(unit, fund, second_fund, treasurer):
    chart_install()  # a transactional test before this one emptied the chart
    entry_post(unit=unit, date=DAY, memo="Số dư đầu kỳ", lines=[Line("112", fund, debit=10_000_000),
                                                                Line("511", fund, credit=10_000_000)])
    before = JournalEntry.objects.count()
    calls = [(f"chuyen-{index}", 100_000 * (index + 1)) for index in range(KEYS) for _ in range(REPEATS)]
    start = threading.Barrier(len(calls))
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = [f.result() for f in [pool.submit(_post, treasurer.pk, key, amount, start) for key, amount in calls]]

    assert JournalEntry.objects.count() == before + KEYS
    assert sorted(status for _key, status, _id in results) == [200] * (KEYS * (REPEATS - 1)) + [201] * KEYS
    by_key = {}
    for key, _status, entry_id in results:
        by_key.setdefault(key, set()).add(entry_id)
    assert all(len(ids) == 1 for ids in by_key.values())
    assert sorted(JournalEntry.objects.get(pk=ids.pop()).lines.get(account__code="336", debit__gt=0).debit
                  for ids in by_key.values()) == [100_000, 200_000, 300_000, 400_000]

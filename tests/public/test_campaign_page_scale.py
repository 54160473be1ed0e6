"""The campaign page costs the same at 10 and at 10,000 pledges: its figures come from running
totals (`donations/services/tallies.py`), never from a scan of the campaign's pledges; rendered
(a miss of the cache of rendered pages) it runs the same statements, and from the cache none.

The 10,000 pledges and payments are inserted with `bulk_create` (the services would take minutes)
and their totals summed by `tallies_rebuild`, the command an operator runs after such a load; the
page's figures are then checked against a full recount of the records.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations import progress
from donations.models import Donor, Payment, Pledge
from donations.services.tallies import tallies_rebuild
from fundmgr.core.page_version import public_pages_changed
from tests.campaigns import factories
from tests.public.page_helpers import without_token

pytestmark = pytest.mark.django_db


def _page_queries(client, campaign) -> tuple[list[str], bytes]:
    """The statements of the page rendered (a miss of the page cache), checking on the way that
    the next request is served from the cache without a single query."""
    client.get(f"/c/{campaign.slug}/")  # warm what is cached per process (translations, site)
    public_pages_changed()  # a new version: the next request renders the page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/c/{campaign.slug}/")
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as hit:
        again = client.get(f"/c/{campaign.slug}/")
    assert again.status_code == 200 and len(hit) == 0, [query["sql"] for query in hit.captured_queries]
    assert without_token(again) == without_token(response)
    return [query["sql"] for query in queries.captured_queries], without_token(response)


def _bulk_pledges(campaign, funds, *, count: int, start: int) -> None:
    today = timezone.localdate()
    donors = Donor.objects.bulk_create(
        Donor(unit=campaign.unit, kind="individual", name=f"Nhà hảo tâm số {start + n}") for n in range(count)
    )
    now = timezone.now()
    pledges = Pledge.objects.bulk_create(
        Pledge(
            reference=f"TKH26-B{start + n:06d}", donor=donor, campaign=campaign, fund=funds[n % 2],
            amount=1_000_000 + n, channel=Pledge.Channel.IMPORT, list_on_honor_roll=n % 3 != 0,
            anonymous=n % 7 == 0, confirmed_at=now,
        )
        for n, donor in enumerate(donors)
    )
    Payment.objects.bulk_create(
        Payment(
            donor_id=pledge.donor_id, pledge=pledge, fund_id=pledge.fund_id, unit=campaign.unit, amount=100_000 + n,
            method=Payment.Method.CASH, received_on=today - datetime.timedelta(days=n % 9),
        )
        for n, pledge in enumerate(pledges)
    )


def test_the_campaign_page_costs_the_same_queries_at_10_and_at_ten_thousand_pledges(client, campaign, funds):
    first = [factories.pledge_make(campaign, amount=2_000_000 + n, name=f"Người thứ {n}", email=f"{n}@example.vn")
             for n in range(10)]
    for n, pledge in enumerate(first):
        factories.payment_make(pledge, amount=500_000 + n)
    small_queries, small_page = _page_queries(client, campaign)
    assert progress.campaign_figures(campaign) == progress.campaign_figures(campaign, recount=True)

    _bulk_pledges(campaign, funds, count=9_990, start=10)
    tallies_rebuild()
    assert Pledge.objects.filter(campaign=campaign).count() == 10_000
    large_queries, large_page = _page_queries(client, campaign)

    # The same statements: the campaign with its three totals, its funds with theirs, money by
    # day, the honor roll's page along its index (and the session / checkpoint lookups of the page).
    assert len(large_queries) == len(small_queries), (small_queries, large_queries)
    assert not any("donations_pledge" in sql or "donations_payment" in sql for sql in large_queries)
    figures = progress.campaign_figures(campaign)
    assert figures == progress.campaign_figures(campaign, recount=True)
    assert figures["received"] == sum(500_000 + n for n in range(10)) + sum(100_000 + n for n in range(9_990))
    assert large_page != small_page
    assert "Nhà hảo tâm số" in large_page.decode()  # the honor roll's top comes from the bulk donors

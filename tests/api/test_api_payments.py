"""Pledges and payments lists: amount ranges, search without diacritics, ordering, the payments'
cursor, and the same queries for 5 and 50 rows."""

import pytest

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import fresh, pledges_paid

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
PLEDGES = "/api/v1/pledges/"


def test_filters_search_and_ordering(api, campaign):
    pledges_paid(campaign, 1, paid=300_000)
    pledges_paid(campaign, 1, start=1, paid=2_000_000)
    assert [p["amount"] for p in api.get(PAYMENTS, {"amount_min": 1_000_000}).json()["results"]] == [2_000_000]
    assert [p["amount"] for p in api.get(PAYMENTS, {"ordering": "amount"}).json()["results"]] == [300_000, 2_000_000]
    assert [p["amount"] for p in api.get(PAYMENTS, {"ordering": "-amount"}).json()["results"]] == [2_000_000, 300_000]
    assert [p["donor_name"] for p in api.get(PAYMENTS, {"q": "NHA HAO TAM 1"}).json()["results"]] == ["Nhà hảo tâm 1"]
    assert api.get(PAYMENTS, {"voided": "true"}).json()["results"] == []
    assert [p["amount"] for p in api.get(PLEDGES, {"amount_max": 1_000_000}).json()["results"]] == [300_000]
    assert [p["donor_name"] for p in api.get(PLEDGES, {"q": "nhà hảo tâm 0"}).json()["results"]] == ["Nhà hảo tâm 0"]
    assert [p["amount"] for p in api.get(PLEDGES, {"ordering": "amount"}).json()["results"]] == [300_000, 2_000_000]


def test_payments_page_by_cursor(api, campaign):
    pledges_paid(campaign, 3, paid=100_000)
    first = api.get(PAYMENTS, {"limit": 2}).json()
    assert set(first) == {"next", "previous", "results"} and len(first["results"]) == 2
    rest = api.get(first["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None


# Payments: memberships and the page (donor, pledge, fund, unit joined); a cursor page has no count.
# Pledges: memberships, the count, the page (sums as subqueries), the installments (one prefetch).
@pytest.mark.parametrize(("url", "queries"), [(PAYMENTS, 2), (PLEDGES, 4)])
def test_the_same_queries_for_5_and_50_rows(api, treasurer, campaign, url, queries, django_assert_num_queries):
    pledges_paid(campaign, 5, paid=100_000)
    with django_assert_num_queries(queries):
        small = api.get(url, {"limit": 100}).json()["results"]
    pledges_paid(campaign, 45, start=5, paid=100_000)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        large = api.get(url, {"limit": 100}).json()["results"]
    assert (len(small), len(large)) == (5, 50)

"""Campaigns in the API: public figures from money that arrived; drafts only for their own units."""

import pytest

from campaigns.models import Campaign
from donations.models import Pledge
from donations.services import payment_record, pledge_create

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, campaign_make, client_for, fresh, pledges_paid

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/"


def test_anonymous_reads_open_and_closed_campaigns_with_received_money_only(campaign, unit, fund):
    campaign_make(unit=unit, fund=fund, slug="nhap-2027", status=Campaign.Status.DRAFT, prefix="TKH27")
    campaign_make(unit=unit, fund=fund, slug="tet-2025", status=Campaign.Status.CLOSED, prefix="TKH25")
    paid, voided = pledges_paid(campaign, 2, amount=2_000_000, paid=500_000)
    # A stranger types 900 billion into the public form: not confirmed, nothing received.
    pledge_create(campaign=campaign, donor_name="Khách lạ", donor_kind="individual", amount=900_000_000_000,
                  channel=Pledge.Channel.FORM)
    # A payment voided later no longer counts.
    from donations.services import payment_void
    payment_void(payment=voided.payments.get(), reason="Ghi nhầm", by=None)

    response = client_for().get(URL, {"ordering": "starts_on"})

    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert set(rows) == {"tet-khuyen-hoc-2026", "tet-2025"}  # the draft is not public
    row = rows["tet-khuyen-hoc-2026"]
    assert (row["received"], row["received_display"], row["goal"], row["received_percent"]) == (
        500_000, "500.000\u00a0₫", 6_000_000_000, 0
    )
    assert row["pledged"] == 4_000_000  # the two confirmed pledges; the stranger's 900 billion counts nothing
    assert (row["unit"], row["default_fund"], row["funds"]) == ("TH", "QKH-TH", ["QKH-TH"])
    assert client_for().get(f"{URL}nhap-2027/").status_code == 404


def test_signed_in_users_also_read_their_units_drafts_not_others(campaign, other_campaign, unit, fund, other_unit,
                                                                  other_fund, treasurer, stranger):
    campaign_make(unit=unit, fund=fund, slug="nhap-th", status=Campaign.Status.DRAFT, prefix="THD")
    campaign_make(unit=other_unit, fund=other_fund, slug="nhap-na", status=Campaign.Status.DRAFT, prefix="NAD")
    mine = {row["slug"] for row in client_for(treasurer).get(URL).json()["results"]}
    theirs = {row["slug"] for row in client_for(stranger).get(URL).json()["results"]}
    assert mine == {"tet-khuyen-hoc-2026", "tet-nghe-an-2026", "nhap-th"}
    assert theirs == {"tet-khuyen-hoc-2026", "tet-nghe-an-2026", "nhap-na"}
    assert client_for(stranger).get(f"{URL}nhap-th/").status_code == 404


def test_filters_search_without_diacritics_and_ordering(campaign, other_campaign):
    pledges_paid(campaign, 1, paid=700_000)
    client = client_for()
    assert [r["slug"] for r in client.get(URL, {"q": "nghe an"}).json()["results"]] == ["tet-nghe-an-2026"]
    assert [r["slug"] for r in client.get(URL, {"q": "NGHỆ"}).json()["results"]] == ["tet-nghe-an-2026"]
    assert [r["slug"] for r in client.get(URL, {"unit": "TH"}).json()["results"]] == ["tet-khuyen-hoc-2026"]
    assert [r["slug"] for r in client.get(URL, {"received_min": 700_000}).json()["results"]] == ["tet-khuyen-hoc-2026"]
    assert [r["slug"] for r in client.get(URL, {"fund": "QKH-NA"}).json()["results"]] == ["tet-nghe-an-2026"]
    by_received = [r["slug"] for r in client.get(URL, {"ordering": "-received"}).json()["results"]]
    assert by_received == ["tet-khuyen-hoc-2026", "tet-nghe-an-2026"]
    # A column outside the whitelist is ignored, not sorted by.
    assert client.get(URL, {"ordering": "bank_account_number"}).status_code == 400  # not in the whitelist


def test_writes_are_not_offered(api, campaign):
    assert api.post(URL, {"name": "x"}, format="json").status_code == 405
    assert client_for().delete(f"{URL}{campaign.slug}/").status_code in (401, 403, 405)
    assert Campaign.objects.count() == 1


def _campaigns(unit, fund, start, count):
    for index in range(start, start + count):
        made = campaign_make(unit=unit, fund=fund, slug=f"chien-dich-{index}", prefix=f"C{index}")
        pledge, _ = pledge_create(campaign=made, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
                                  amount=1_000_000, channel=Pledge.Channel.ADMIN)
        payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method="cash", received_on=DAY,
                       unit=unit)


# Anonymous: the count, the page (figures as subqueries), the campaigns' funds (one prefetch).
# Signed in: the user's memberships first.
@pytest.mark.parametrize(("signed_in", "queries"), [(False, 3), (True, 4)])
def test_the_list_runs_the_same_queries_for_5_and_50_campaigns(unit, fund, treasurer, signed_in, queries,
                                                                django_assert_num_queries):
    _campaigns(unit, fund, 0, 5)
    client = client_for(treasurer if signed_in else None)
    with django_assert_num_queries(queries):
        small = client.get(URL, {"limit": 100})
    _campaigns(unit, fund, 5, 45)
    client = client_for(fresh(treasurer) if signed_in else None)
    with django_assert_num_queries(queries):
        large = client.get(URL, {"limit": 100})
    assert (small.json()["count"], large.json()["count"]) == (5, 50)
    assert {row["received"] for row in large.json()["results"]} == {1_000_000}

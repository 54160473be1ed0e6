"""Campaign progress, read as a worked example.

The campaign (goal 6.000.000.000 ₫) has four pledges:
  An        10.000.000 ₫ to the general fund, paid 4.000.000 on day 1 and 6.000.000 on day 3
  An again   2.000.000 ₫ to the Nâng cánh ước mơ fund (same e-mail: the same donor), unpaid
  Công ty B 50.000.000 ₫, a business, paid 20.000.000 on day 3, collected by a ward branch
  Cường      7.000.000 ₫, cancelled
So: pledged 62.000.000 (the cancelled pledge does not count), received 30.000.000, donors 2.
"""

import datetime

import pytest

from donations import progress as selectors
from donations.services import pledge_cancel
from fundmgr.orgs.models import OrgUnit

from . import factories

pytestmark = pytest.mark.django_db

DAY_1 = datetime.date(2026, 1, 10)
DAY_3 = datetime.date(2026, 1, 12)


@pytest.fixture
def worked_example(campaign, unit):
    ward = OrgUnit.objects.create(name="Hội Khuyến học phường Hạc Thành", code="TH-14797",
                                  kind=OrgUnit.Kind.COMMUNE, parent=unit)
    general, dreams = campaign.funds.get(code="QKH-TH"), campaign.funds.get(code="QHB-NCUM")
    an = factories.pledge_make(campaign, amount=10_000_000, name="Nguyễn Văn An", email="an@example.com", fund=general)
    an_again = factories.pledge_make(campaign, amount=2_000_000, name="Nguyễn Văn An", email="an@example.com",
                                     fund=dreams, anonymous=True)
    company = factories.pledge_make(campaign, amount=50_000_000, name="Công ty B", kind="business",
                                    tax_code="0100112437", email="b@example.com", fund=general)
    cancelled = factories.pledge_make(campaign, amount=7_000_000, name="Trần Cường", email="c@example.com")
    pledge_cancel(pledge=cancelled, reason="Ghi nhầm", by=None)
    factories.payment_make(an, amount=4_000_000, received_on=DAY_1)
    factories.payment_make(an, amount=6_000_000, received_on=DAY_3)
    factories.payment_make(company, amount=20_000_000, received_on=DAY_3, unit=ward)
    return {"an": an, "an_again": an_again, "company": company, "ward": ward, "general": general, "dreams": dreams}


def test_totals(campaign, worked_example, django_assert_num_queries):
    with django_assert_num_queries(1):  # the campaign with three subquery annotations
        progress = selectors.campaign_progress(campaign)
    assert progress == selectors.Progress(goal=6_000_000_000, pledged=62_000_000, received=30_000_000, donor_count=2)
    assert progress.received_percent == 0  # 30 million of 6 billion: 0.5 %, shown as 0 in whole percent
    assert progress.pledged_percent == 1


def test_the_campaign_list_carries_the_same_totals_in_one_query(campaign, worked_example, unit, funds,
                                                                django_assert_num_queries):
    factories.campaign_make(unit=unit, funds=funds, slug="other", prefix="OTH")
    with django_assert_num_queries(1):
        rows = {c.slug: (c.pledged, c.received, c.donor_count) for c in selectors.campaigns_with_progress()}
    assert rows == {campaign.slug: (62_000_000, 30_000_000, 2), "other": (0, 0, 0)}


def test_by_fund(campaign, worked_example):
    shares = {share.label: (share.pledged, share.received, share.pledge_count)
              for share in selectors.progress_by_fund(campaign)}
    assert shares == {
        "Quỹ Khuyến học tỉnh Thanh Hóa": (60_000_000, 30_000_000, 2),
        "Quỹ học bổng \"Nâng cánh ước mơ\"": (2_000_000, 0, 1),
        "Quỹ Khuyến học – Khuyến tài Lam Sơn": (0, 0, 0),
        "Quỹ Khuyến học Lê Khả Phiêu": (0, 0, 0),
    }


def test_by_donor_kind(campaign, worked_example):
    assert [(s.key, s.pledged, s.received, s.pledge_count) for s in selectors.progress_by_donor_kind(campaign)] == [
        ("individual", 12_000_000, 10_000_000, 2),
        ("business", 50_000_000, 20_000_000, 1),
    ]


def test_by_unit_pledges_follow_the_donor_and_payments_the_collecting_unit(campaign, worked_example, unit):
    assert [(s.label, s.pledged, s.received) for s in selectors.progress_by_unit(campaign)] == [
        (unit.name, 62_000_000, 10_000_000),
        (worked_example["ward"].name, 0, 20_000_000),
    ]


def test_received_by_day(campaign, worked_example):
    assert selectors.received_by_day(campaign) == [(DAY_1, 4_000_000), (DAY_3, 26_000_000)]


def test_honor_roll_lists_money_received_largest_first_anonymous_hidden_no_contacts(campaign, worked_example):
    # Until the trust fix the roll listed what donors promised: An's unpaid anonymous 2.000.000
    # stood on it, and Công ty B with its 50.000.000 promise. It lists what arrived.
    unlisted = factories.pledge_make(campaign, amount=3_000_000, name="Lê Không Ghi Danh", email="d@example.com",
                                     honor_roll=False)
    factories.payment_make(unlisted, amount=3_000_000, received_on=DAY_3)
    page = selectors.honor_roll(campaign)
    assert [(str(e.name), e.amount, e.anonymous) for e in page.entries] == [
        ("Công ty B", 20_000_000, False),
        ("Nguyễn Văn An", 10_000_000, False),
    ]
    assert (page.number, page.start, page.has_previous, page.has_next) == (1, 1, False, False)
    assert set(vars(page.entries[0])) == {"name", "donor_kind", "amount", "anonymous"}  # nothing else to leak

    factories.payment_make(worked_example["an_again"], amount=500_000, received_on=DAY_3)
    assert [(str(e.name), e.amount, e.anonymous) for e in selectors.honor_roll(campaign).entries] == [
        ("Công ty B", 20_000_000, False),
        ("Nguyễn Văn An", 10_000_000, False),
        # An's anonymous gift is a line of its own, not added to the line with An's name.
        ("Nhà hảo tâm ẩn danh", 500_000, True),
    ]


def test_a_voided_payment_is_received_nowhere(campaign, worked_example, unit):
    # An's second payment (6.000.000 on day 3) is voided: its receipt was voided and the ledger
    # entry reversed (`payment_void`); the row stays, but the money was never received.
    voided = worked_example["an"].payments.get(amount=6_000_000)
    factories.payment_void_row(voided)

    assert selectors.campaign_progress(campaign).received == 24_000_000
    assert {c.slug: c.received for c in selectors.campaigns_with_progress()} == {campaign.slug: 24_000_000}
    assert {s.label: s.received for s in selectors.progress_by_fund(campaign)}["Quỹ Khuyến học tỉnh Thanh Hóa"] == 24_000_000
    assert [(s.key, s.received) for s in selectors.progress_by_donor_kind(campaign)] == [
        ("individual", 4_000_000), ("business", 20_000_000),
    ]
    assert [(s.label, s.received) for s in selectors.progress_by_unit(campaign)] == [
        (unit.name, 4_000_000), (worked_example["ward"].name, 20_000_000),
    ]
    assert selectors.received_by_day(campaign) == [(DAY_1, 4_000_000), (DAY_3, 20_000_000)]

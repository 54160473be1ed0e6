"""The demo campaign: created once, with the four demo funds and the unrestricted one as default."""

import datetime

import pytest

from campaigns.demo import seed_demo
from campaigns.models import Campaign

from . import factories

pytestmark = pytest.mark.django_db


def test_the_demo_campaign_is_seeded_once(unit, funds):
    assert seed_demo() == "campaign tet-khuyen-hoc-2026 created with 4 funds"
    assert seed_demo().startswith("campaign tet-khuyen-hoc-2026 exists")
    campaign = Campaign.objects.get()
    assert campaign.name == "Tết khuyến học Xuân Bính Ngọ 2026"
    assert (campaign.slug, campaign.lunar_year, campaign.reference_prefix) == ("tet-khuyen-hoc-2026", 2026, "TKH26")
    assert (campaign.unit.code, campaign.status, campaign.goal) == ("TH", Campaign.Status.OPEN, 6_000_000_000)
    assert sorted(campaign.funds.values_list("code", flat=True)) == sorted(code for code, *_ in factories.FUNDS)
    assert campaign.default_fund.code == "QKH-TH"
    assert campaign.bank_bin == "970436"
    # From six weeks before Tết Bính Ngọ (17/02/2026) to the eve of Tết Đinh Mùi (06/02/2027).
    assert (campaign.starts_on, campaign.ends_on) == (datetime.date(2026, 1, 3), datetime.date(2027, 2, 5))


def test_without_the_funds_the_seed_waits(unit):
    assert seed_demo() == "skipped: the unit TH or its demo funds are not seeded"
    assert not Campaign.objects.exists()

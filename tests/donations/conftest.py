"""Fixtures of the donations tests: a province unit, two funds, an open Tết campaign."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit


@pytest.fixture
def unit(db):
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def other_unit(db):
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Nghệ An", code="NA", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def ward(unit):
    """A commune-level unit below the province `unit`: Hạc Thành ward."""
    return OrgUnit.objects.create(name="Hội Khuyến học phường Hạc Thành", code="TH-HT", kind=OrgUnit.Kind.COMMUNE, parent=unit)


@pytest.fixture
def fund(unit):
    return Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)


@pytest.fixture
def second_fund(unit):
    return Fund.objects.create(code="NCUM", name="Quỹ học bổng Nâng cánh ước mơ", unit=unit)


@pytest.fixture
def foreign_fund(unit):
    """A fund of the unit that the campaign does not collect for."""
    return Fund.objects.create(code="LKP", name="Quỹ Khuyến học Lê Khả Phiêu", unit=unit)


def campaign_make(*, unit, fund, funds=(), slug="tet-khuyen-hoc-2026", prefix="TKH26", status=Campaign.Status.OPEN,
                  starts_on=None, ends_on=None):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Tết khuyến học Xuân Bính Ngọ 2026",
        slug=slug,
        unit=unit,
        lunar_year=2026,
        reference_prefix=prefix,
        starts_on=starts_on or today - datetime.timedelta(days=10),
        ends_on=ends_on or today + datetime.timedelta(days=60),
        goal=6_000_000_000,
        default_fund=fund,
        status=status,
        bank_bin="970436",
        bank_name="Vietcombank",
        bank_account_number="0011004123456",
        bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.set([fund, *funds])
    return campaign


@pytest.fixture
def campaign(unit, fund, second_fund):
    return campaign_make(unit=unit, fund=fund, funds=[second_fund])


@pytest.fixture
def treasurer(db, django_user_model, unit):
    from fundmgr.orgs.models import Membership

    user = django_user_model.objects.create_user(username="thuquy", password="x" * 12, is_staff=True)
    Membership.objects.create(user=user, unit=unit, role=Membership.Role.TREASURER)
    return user


@pytest.fixture
def treasurer_client(client, treasurer):
    """The Django test client logged in as the unit's treasurer (the admin's pages)."""
    client.force_login(treasurer)
    return client

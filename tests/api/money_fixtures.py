"""Fixtures of the money and ledger API tests: two provinces, their funds and campaigns, a
treasurer, an auditor and a stranger (a treasurer of the other province).

Imported by name in each `test_api_*.py` of the money resources (tests/api/ is shared with the
other API tests, which bring their own fixtures).
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Campaign
from donations.models import Pledge
from donations.services import payment_record, pledge_create
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership, OrgUnit

DAY = timezone.localdate() - datetime.timedelta(days=1)


def campaign_make(*, unit, fund, slug, status=Campaign.Status.OPEN, name="Tết khuyến học Xuân Bính Ngọ 2026",
                  prefix="TKH26", goal=6_000_000_000):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name=name, slug=slug, unit=unit, lunar_year=2026, reference_prefix=prefix,
        starts_on=today - datetime.timedelta(days=10), ends_on=today + datetime.timedelta(days=60), goal=goal,
        default_fund=fund, status=status, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC",
    )
    campaign.funds.set([fund])
    return campaign


def member(django_user_model, username, unit, role):
    user = django_user_model.objects.create_user(username=username, password="x" * 12)
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def fresh(user):
    """The user as a new request loads it: no memberships cached from an earlier request."""
    return type(user).objects.get(pk=user.pk)


def pledges_paid(campaign, count, *, start=0, amount=None, paid=1_000_000, by=None):
    """`count` pledges of `campaign` of `amount` (default: `paid`), each paid `paid` (a receipt
    each), through the services."""
    amount = amount or paid or 1_000_000
    pledges = []
    for index in range(start, start + count):
        pledge, _ = pledge_create(
            campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual", phone=f"09{index:08d}",
            amount=amount, channel=Pledge.Channel.ADMIN,
        )
        if paid:
            payment_record(donor=pledge.donor, pledge=pledge, amount=paid, method="bank_transfer", received_on=DAY,
                           unit=campaign.unit, bank_reference=f"FT-{campaign.slug}-{index}", recorded_by=by)
        pledges.append(pledge)
    return pledges


@pytest.fixture
def unit(db):
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def other_unit(db):
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Nghệ An", code="NA", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def fund(unit):
    return Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)


@pytest.fixture
def second_fund(unit):
    return Fund.objects.create(code="NCUM", name="Quỹ học bổng Nâng cánh ước mơ", unit=unit)


@pytest.fixture
def other_fund(other_unit):
    return Fund.objects.create(code="QKH-NA", name="Quỹ Khuyến học tỉnh Nghệ An", unit=other_unit)


@pytest.fixture
def campaign(unit, fund):
    return campaign_make(unit=unit, fund=fund, slug="tet-khuyen-hoc-2026")


@pytest.fixture
def other_campaign(other_unit, other_fund):
    return campaign_make(unit=other_unit, fund=other_fund, slug="tet-nghe-an-2026", prefix="TNA26",
                         name="Tết khuyến học Nghệ An 2026")


@pytest.fixture
def treasurer(django_user_model, unit):
    return member(django_user_model, "thuquy", unit, Membership.Role.TREASURER)


@pytest.fixture
def auditor(django_user_model, unit):
    return member(django_user_model, "kiemtra", unit, Membership.Role.AUDITOR)


@pytest.fixture
def stranger(django_user_model, other_unit):
    """A treasurer of the other province."""
    return member(django_user_model, "thuquy-nghean", other_unit, Membership.Role.TREASURER)


@pytest.fixture
def api(treasurer):
    return client_for(treasurer)

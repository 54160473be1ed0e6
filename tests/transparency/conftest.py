"""Fixtures of the transparency tests: a province with a fund, an auditor, a treasurer, and a way to post."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.models import Membership, OrgUnit
from fundmgr.orgs.services import membership_grant
from tests.ledger.helpers import chart_install

DAY = datetime.date(2025, 5, 1)


@pytest.fixture
def province(db):
    chart_install()
    return OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)


@pytest.fixture
def fund(province):
    return Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=province)


def member(unit, role, username, email=""):
    user = get_user_model().objects.create_user(username=username, email=email, password="x-pass-2026")
    membership_grant(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def auditor(province):
    return member(province, Membership.Role.AUDITOR, "kiemtra", "kiemtra@example.vn")


@pytest.fixture
def treasurer(province):
    return member(province, Membership.Role.TREASURER, "thuquy", "thuquy@example.vn")


@pytest.fixture
def nominator(province):
    return member(province, Membership.Role.NOMINATOR, "decu", "decu@example.vn")


@pytest.fixture
def post(province, fund):
    """post(amount, ...) -> the entries: donations received, Dr bank / Cr donation income."""

    def post_many(*amounts):
        return [
            entry_post(
                unit=province, date=DAY, memo=f"Ủng hộ {amount}",
                lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
            )
            for amount in amounts
        ]

    return post_many

"""Fixtures of the public-pages tests: the Thanh Hóa province, its four funds, an open campaign."""

import pytest

from . import factories


@pytest.fixture
def unit(db):
    return factories.province_make()


@pytest.fixture
def funds(unit):
    return factories.funds_make(unit)


@pytest.fixture
def campaign(unit, funds):
    return factories.campaign_make(unit=unit, funds=funds)


@pytest.fixture
def no_form_delay(settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0


@pytest.fixture
def treasurer(db, django_user_model, unit):
    from fundmgr.orgs.models import Membership

    user = django_user_model.objects.create_user(username="thuquy", password="thu-quy-2026!", is_staff=True)
    Membership.objects.create(user=user, unit=unit, role=Membership.Role.TREASURER)
    return user

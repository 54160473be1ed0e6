"""`selectors.campaign_for_money` and `unit_for_money`: the campaign by slug and the unit by code as
a user may name them in a money write of the API (the pledge POST, the bank-statement upload): their
units and those below, where their role may view money; nothing else, and another unit's campaign
or unit is the same None as one that does not exist."""

import pytest

from campaigns.models import Campaign
from donations import selectors
from fundmgr.orgs.models import Membership

from .conftest import campaign_make

pytestmark = pytest.mark.django_db


def user_with(django_user_model, username, *memberships, **fields):
    user = django_user_model.objects.create_user(username=username, password="x" * 12, **fields)
    for unit, role in memberships:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def ward_campaign(ward, fund):
    return campaign_make(unit=ward, fund=fund, slug="tet-hac-thanh-2026", prefix="THT26", status=Campaign.Status.CLOSED)


@pytest.fixture
def other_campaign(other_unit, db):
    from fundmgr.ledger.models import Fund

    fund = Fund.objects.create(code="QKH-NA", name="Quỹ Khuyến học tỉnh Nghệ An", unit=other_unit)
    return campaign_make(unit=other_unit, fund=fund, slug="tet-nghe-an-2026", prefix="TNA26")


def test_a_campaign_of_the_users_unit_or_below_is_found_whatever_its_status(
    treasurer, campaign, ward_campaign, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the user's memberships (then kept on the user), the campaign
        found = selectors.campaign_for_money(treasurer, campaign.slug)
    assert found == campaign and found.unit == campaign.unit
    with django_assert_num_queries(1):
        assert selectors.campaign_for_money(treasurer, ward_campaign.slug) == ward_campaign


def test_another_units_campaign_is_none_as_a_missing_one_is(treasurer, campaign, other_campaign, ward_campaign, ward,
                                                           django_user_model):
    assert selectors.campaign_for_money(treasurer, "khong-co-2026") is None
    assert selectors.campaign_for_money(treasurer, other_campaign.slug) is None
    # A ward's treasurer sees their ward, not the province above it.
    ward_treasurer = user_with(django_user_model, "thuquy-hacthanh", (ward, Membership.Role.TREASURER))
    assert selectors.campaign_for_money(ward_treasurer, ward_campaign.slug) == ward_campaign
    assert selectors.campaign_for_money(ward_treasurer, campaign.slug) is None


def test_only_roles_that_may_view_money_find_it(campaign, unit, django_user_model):
    nominator = user_with(django_user_model, "decu", (unit, Membership.Role.NOMINATOR))
    committee = user_with(django_user_model, "hoidong", (unit, Membership.Role.COMMITTEE))
    auditor = user_with(django_user_model, "kiemtra", (unit, Membership.Role.AUDITOR))
    assert selectors.campaign_for_money(nominator, campaign.slug) is None
    assert selectors.campaign_for_money(committee, campaign.slug) is None
    # Found is not allowed: the auditor's pledge is refused by `pledge_create` (access_units).
    assert selectors.campaign_for_money(auditor, campaign.slug) == campaign


def test_a_superuser_finds_every_campaign_and_an_inactive_member_none(campaign, other_campaign, unit, django_user_model):
    root = user_with(django_user_model, "root", is_superuser=True)
    assert selectors.campaign_for_money(root, other_campaign.slug) == other_campaign
    gone = user_with(django_user_model, "danghi", (unit, Membership.Role.TREASURER), is_active=False)
    assert selectors.campaign_for_money(gone, campaign.slug) is None


def test_a_unit_is_found_by_code_in_the_users_units_and_below_in_one_query(
    treasurer, unit, ward, other_unit, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the user's memberships (then kept on the user), the unit
        assert selectors.unit_for_money(treasurer, "TH") == unit
    with django_assert_num_queries(1):
        assert selectors.unit_for_money(treasurer, "TH-HT") == ward


def test_another_unit_is_none_as_a_missing_code_is(treasurer, unit, ward, other_unit, django_user_model):
    assert selectors.unit_for_money(treasurer, "XX") is None
    assert selectors.unit_for_money(treasurer, "NA") is None
    ward_treasurer = user_with(django_user_model, "thuquy-hacthanh", (ward, Membership.Role.TREASURER))
    assert selectors.unit_for_money(ward_treasurer, "TH-HT") == ward
    assert selectors.unit_for_money(ward_treasurer, "TH") is None


def test_a_unit_is_found_by_the_roles_that_may_view_money_as_a_campaign_is(unit, other_unit, django_user_model):
    nominator = user_with(django_user_model, "decu", (unit, Membership.Role.NOMINATOR))
    auditor = user_with(django_user_model, "kiemtra", (unit, Membership.Role.AUDITOR))
    root = user_with(django_user_model, "root", is_superuser=True)
    gone = user_with(django_user_model, "danghi", (unit, Membership.Role.TREASURER), is_active=False)
    assert selectors.unit_for_money(nominator, "TH") is None
    assert selectors.unit_for_money(auditor, "TH") == unit  # found; the import service refuses them
    assert selectors.unit_for_money(root, "NA") == other_unit
    assert selectors.unit_for_money(gone, "TH") is None

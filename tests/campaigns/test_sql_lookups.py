"""The lookups every pledge POST (and every payment) makes, read by SQL written out
(`fundmgr/core/sql_rows.py`): each
gives the same instances, field for field, as the ORM query it replaced, on SQLite (whose dates,
times and booleans need the ORM's converters) as on PostgreSQL."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import campaign_public
from donations.models import Pledge
from donations.services import pledge_create
from donations.services.payments import pledge_locked_with_funds
from fundmgr.api.models import ApiToken
from fundmgr.api.services import api_token_create, api_token_find
from fundmgr.ledger.models import Fund
from fundmgr.ledger.selectors import fund_by_code

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_campaign_of_the_form_is_the_orm_s_with_its_unit_and_default_fund(campaign, django_assert_num_queries):
    expected = Campaign.objects.select_related("unit", "default_fund").get(pk=campaign.pk)
    with django_assert_num_queries(1):
        found = campaign_public(campaign.slug)
        unit, fund = found.unit, found.default_fund  # joined: no further query
    assert fields_of(found) == fields_of(expected)
    assert fields_of(unit) == fields_of(expected.unit)
    assert fields_of(fund) == fields_of(expected.default_fund)
    assert isinstance(found.starts_on, datetime.date) and isinstance(fund.is_active, bool)


def test_no_campaign_for_a_draft_or_an_unknown_slug(campaign):
    assert campaign_public("no-such-campaign") is None
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert campaign_public(campaign.slug) is None


def test_the_fund_by_code_is_the_orm_s_with_its_unit(funds, django_assert_num_queries):
    fund = Fund.objects.select_related("unit").order_by("pk").first()
    with django_assert_num_queries(1):
        found = fund_by_code(fund.code)
        unit = found.unit
    assert fields_of(found) == fields_of(fund)
    assert fields_of(unit) == fields_of(fund.unit)
    assert fund_by_code("NO-SUCH-FUND") is None
    assert fund_by_code("") is None


def test_the_token_is_found_with_its_user(treasurer, django_assert_num_queries):
    row, plain = api_token_create(
        user=treasurer, name="kế toán", scope=ApiToken.Scope.READ_WRITE,
        expires_at=timezone.now() + datetime.timedelta(days=1), by=treasurer,
    )
    expected = ApiToken.objects.select_related("user").get(pk=row.pk)
    with django_assert_num_queries(1):
        found = api_token_find(plain)
        user = found.user
    assert fields_of(found) == fields_of(expected)
    assert fields_of(user) == fields_of(expected.user)
    assert isinstance(found.expires_at, datetime.datetime) and timezone.is_aware(found.expires_at)
    assert api_token_find(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None


def test_the_pledge_of_a_payment_is_the_orm_s_with_its_fund_campaign_and_their_units(campaign, treasurer,
                                                                                     django_assert_num_queries):
    pledge, _ = pledge_create(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", email="an@example.vn",
        amount=2_000_000, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    expected = Pledge.objects.select_related("fund__unit", "campaign__unit").get(pk=pledge.pk)
    with django_assert_num_queries(1):
        found = pledge_locked_with_funds(pledge.pk)
        parents = (found.fund, found.fund.unit, found.campaign, found.campaign.unit)  # joined: no further query
    assert fields_of(found) == fields_of(expected)
    for parent, expected_parent in zip(
        parents, (expected.fund, expected.fund.unit, expected.campaign, expected.campaign.unit), strict=True,
    ):
        assert fields_of(parent) == fields_of(expected_parent)
    assert isinstance(found.created_at, datetime.datetime) and isinstance(found.list_on_honor_roll, bool)
    with pytest.raises(Pledge.DoesNotExist):
        pledge_locked_with_funds(pledge.pk + 1000)


def test_the_campaign_of_the_api_is_the_orm_s_with_its_unit_whatever_its_status(campaign, django_assert_num_queries):
    from campaigns.selectors import campaign_with_unit

    expected = Campaign.objects.select_related("unit").get(pk=campaign.pk)
    with django_assert_num_queries(1):
        found = campaign_with_unit(campaign.slug)
        unit = found.unit  # joined: no further query
    assert fields_of(found) == fields_of(expected)
    assert fields_of(unit) == fields_of(expected.unit)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert campaign_with_unit(campaign.slug).status == Campaign.Status.DRAFT  # the API's scope decides, not the status
    assert campaign_with_unit("no-such-campaign") is None


def test_the_memberships_are_the_orm_s(treasurer, unit, django_user_model, django_assert_num_queries):
    from fundmgr.orgs.models import Membership, OrgUnit
    from fundmgr.orgs.scoping import user_memberships

    child = OrgUnit.objects.create(name="Chi hội trường THPT Lam Sơn", code="LS", kind=OrgUnit.Kind.BRANCH, parent=unit)
    Membership.objects.create(user=treasurer, unit=child, role=Membership.Role.AUDITOR)
    fresh = django_user_model.objects.get(pk=treasurer.pk)
    with django_assert_num_queries(1):
        found = user_memberships(fresh)
        assert user_memberships(fresh) is found  # kept on the user: one query per request
    assert sorted(found) == sorted(Membership.objects.filter(user=treasurer).values_list("role", "unit__path"))
    assert len(found) == 2
    nobody = django_user_model.objects.create_user(username="khach", password="khach-2026!")
    assert user_memberships(nobody) == []

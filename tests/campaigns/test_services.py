"""Opening and closing a campaign."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from campaigns import services
from campaigns.models import Campaign
from campaigns.services import campaign_close, campaign_open
from fundmgr.ledger.models import Fund

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(unit, funds):
    return factories.campaign_make(unit=unit, funds=funds, status=Campaign.Status.DRAFT)


def test_a_draft_opens_and_then_closes(draft):
    assert campaign_open(campaign=draft).status == Campaign.Status.OPEN
    assert campaign_close(campaign=draft).status == Campaign.Status.CLOSED
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.CLOSED


def test_a_closed_campaign_may_reopen(draft):
    campaign_open(campaign=draft)
    campaign_close(campaign=draft)
    assert campaign_open(campaign=draft).status == Campaign.Status.OPEN


def test_opening_an_open_campaign_is_refused(campaign):
    with pytest.raises(ValidationError) as error:
        campaign_open(campaign=campaign)
    assert error.value.messages == ["Chiến dịch đã đang nhận ủng hộ."]


def test_closing_a_draft_is_refused_and_changes_nothing(draft):
    with pytest.raises(ValidationError) as error:
        campaign_close(campaign=draft)
    assert error.value.messages == ["Chỉ đóng được chiến dịch đang nhận ủng hộ."]
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


def test_opening_needs_the_default_fund_among_the_funds_and_a_sane_account(draft, funds):
    draft.funds.set(funds[1:])
    Campaign.objects.filter(pk=draft.pk).update(bank_bin="9704", bank_account_number="001-234")
    Fund.objects.filter(pk=funds[1].pk).update(is_active=False)
    with pytest.raises(ValidationError) as error:
        campaign_open(campaign=draft)
    assert error.value.messages == [
        "Quỹ mặc định phải là một trong các quỹ nhận của chiến dịch.",
        "Chiến dịch có quỹ đã ngừng hoạt động.",
        "Mã BIN ngân hàng phải gồm 6 chữ số.",
        "Số tài khoản chỉ gồm chữ số và chữ cái.",
    ]
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


def test_a_treasurer_of_another_unit_may_not_open_close_or_edit_a_campaign(draft, django_user_model):
    from django.core.exceptions import PermissionDenied

    from campaigns.services import campaign_save
    from fundmgr.orgs.models import Membership

    elsewhere = factories.province_make(code="NA", name="Hội Khuyến học tỉnh Nghệ An")
    outsider = django_user_model.objects.create_user(username="thuquy-na", password="x-2026-thu-quy!")
    Membership.objects.create(user=outsider, unit=elsewhere, role=Membership.Role.TREASURER)

    with pytest.raises(PermissionDenied):
        campaign_open(campaign=draft, by=outsider)
    draft.name = "Đổi tên bởi người ngoài"
    with pytest.raises(PermissionDenied):
        campaign_save(campaign=draft, by=outsider)
    stored = Campaign.objects.get(pk=draft.pk)
    assert (stored.status, stored.name) == (Campaign.Status.DRAFT, "Tết khuyến học Xuân Bính Ngọ 2026")

    # Moving a campaign into a unit the treasurer holds still needs the unit it leaves.
    draft.refresh_from_db()
    draft.unit = elsewhere
    with pytest.raises(PermissionDenied):
        campaign_save(campaign=draft, by=outsider)
    assert Campaign.objects.get(pk=draft.pk).unit_id != elsewhere.pk


def test_the_campaign_s_own_treasurer_opens_and_closes_it(draft, treasurer):
    assert campaign_open(campaign=draft, by=treasurer).status == Campaign.Status.OPEN
    assert campaign_close(campaign=draft, by=treasurer).status == Campaign.Status.CLOSED


@pytest.mark.parametrize(("today", "year", "name", "starts_on", "ends_on"), [
    # After Tết Bính Ngọ (17/02/2026) the next campaign is for Đinh Mùi (Tết 06/02/2027).
    (datetime.date(2026, 12, 7), 2027, "Tết khuyến học Xuân Đinh Mùi 2027",
     datetime.date(2026, 12, 26), datetime.date(2028, 1, 25)),
    # Within the six weeks before Tết the campaign starts today.
    (datetime.date(2027, 1, 10), 2027, "Tết khuyến học Xuân Đinh Mùi 2027",
     datetime.date(2027, 1, 10), datetime.date(2028, 1, 25)),
    # On New Year's Day 2026, still in lunar year Ất Tỵ, the coming Tết is Bính Ngọ's.
    (datetime.date(2026, 1, 1), 2026, "Tết khuyến học Xuân Bính Ngọ 2026",
     datetime.date(2026, 1, 6), datetime.date(2027, 2, 5)),
])
def test_a_new_campaign_starts_with_the_coming_tets_year_and_can_chi(today, year, name, starts_on, ends_on):
    defaults = services.campaign_defaults(today=today)
    assert defaults == {"lunar_year": year, "name": name, "starts_on": starts_on, "ends_on": ends_on}

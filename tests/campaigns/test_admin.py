"""Campaign admin: progress columns by annotation, scoping to the treasurer's units, open/close actions."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from fundmgr.core.lunar import can_chi
from fundmgr.orgs.models import Membership, OrgUnit

from . import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/campaigns/campaign/"


def campaigns_make(unit, funds, numbers):
    for number in numbers:
        campaign = factories.campaign_make(unit=unit, funds=funds, slug=f"c{number}", prefix=f"C{number}",
                                           name=f"Chiến dịch {number}")
        pledge = factories.pledge_make(campaign, amount=2_000_000, email=f"d{number}@example.com")
        factories.payment_make(pledge, amount=1_000_000)


def test_the_list_shows_progress_computed_by_the_database(client, treasurer, campaign):
    pledge = factories.pledge_make(campaign, amount=3_000_000_000, email="a@example.com")
    factories.payment_make(pledge, amount=1_500_000_000)
    client.force_login(treasurer)
    content = html.unescape(client.get(CHANGELIST).content.decode())
    assert "Tết khuyến học Xuân Bính Ngọ 2026" in content
    assert "3.000.000.000\u00a0₫" in content and "1.500.000.000\u00a0₫" in content
    assert '<progress value="25" max="100">' in content


def test_the_list_costs_the_same_queries_for_2_or_8_campaigns(client, treasurer, unit, funds):
    """The count is compared rather than pinned: the sidebar asks every registered admin (other
    apps' too) for its permissions, which this app does not control."""
    client.force_login(treasurer)
    counts = []
    for numbers in (range(0, 2), range(2, 8)):
        campaigns_make(unit, funds, numbers)
        client.get(CHANGELIST)  # warm up what is cached per process (content types, site)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST)
        assert len(response.context["cl"].result_list) == numbers.stop
        counts.append(len(queries))
        # This app's queries: the filtered and total counts, the lunar-year filter's choices, and
        # ONE query for the campaigns with their units and the pledged / received / donor subqueries.
        progress = [query["sql"] for query in queries.captured_queries if "donations_campaigntally" in query["sql"]]
        assert len(progress) == 1 and progress[0].startswith('SELECT "campaigns_campaign"."id"')
    assert counts[0] == counts[1]


def test_a_treasurer_sees_only_the_campaigns_of_their_units(client, django_user_model, campaign):
    other_unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Nghệ An", code="NA", kind=OrgUnit.Kind.PROVINCE)
    stranger = django_user_model.objects.create_user(username="na", password="x" * 12, is_staff=True)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)
    client.force_login(stranger)
    assert "Tết khuyến học" not in client.get(CHANGELIST).content.decode()
    assert client.get(f"{CHANGELIST}{campaign.pk}/change/").status_code in (302, 404)


def test_the_actions_open_and_close_through_the_services(client, treasurer, campaign, unit, funds):
    draft = factories.campaign_make(unit=unit, funds=funds, slug="nhap", prefix="NH", status=Campaign.Status.DRAFT)
    client.force_login(treasurer)
    response = client.post(CHANGELIST, {"action": "open_selected", "_selected_action": [draft.pk, campaign.pk]},
                           follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "Tết khuyến học Xuân Bính Ngọ 2026: Chiến dịch đã đang nhận ủng hộ.",
        "Đã mở 1 chiến dịch.",
    ]
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.OPEN
    client.post(CHANGELIST, {"action": "close_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.CLOSED


def test_the_change_page_breaks_progress_down(client, treasurer, campaign):
    factories.pledge_make(campaign, amount=4_000_000, email="a@example.com", kind="business", tax_code="0100112437")
    client.force_login(treasurer)
    content = html.unescape(client.get(f"{CHANGELIST}{campaign.pk}/change/").content.decode())
    assert "Theo loại nhà hảo tâm" in content and "Doanh nghiệp" in content
    assert "4.000.000\u00a0₫" in content
    assert 'name="status"' not in content  # the status changes only through the actions


def test_the_add_form_starts_with_the_coming_tets_year_and_shows_its_can_chi(client, treasurer, campaign):
    client.force_login(treasurer)
    defaults = services.campaign_defaults(today=timezone.localdate())
    page = client.get("/admin/campaigns/campaign/add/").content.decode()
    assert f'value="{defaults["name"]}"' in page
    assert f'value="{defaults["lunar_year"]}"' in page

    change = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert campaign.lunar_year_name in change
    assert campaign.lunar_year_name == can_chi(campaign.lunar_year)


def test_the_goal_takes_what_people_type_and_shows_it_with_dots(client, treasurer, campaign):
    from fundmgr.adminkit.forms import AmountField

    client.force_login(treasurer)
    page = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    field = page.context["adminform"].form.fields["goal"]
    assert isinstance(field, AmountField)
    assert field.clean("1.500.000.000") == field.clean("1,5 tỷ") == 1_500_000_000
    assert f'value="{campaign.goal:,}"'.replace(",", ".") in page.content.decode()

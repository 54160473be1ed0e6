"""The public pages: campaign list, campaign page (progress, chart, honor roll) and pledge confirmation."""

import datetime
import html
import re

import pytest
from django.conf import settings

from campaigns.models import Campaign
from donations.models import Pledge

from . import factories
from .test_vietqr import crc_ok, tlv_decode

pytestmark = pytest.mark.django_db

CAMPAIGN_URL = "/c/tet-khuyen-hoc-2026/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def assert_csp_friendly(content: str):
    """No inline script, no inline style: the pages run under `script-src 'self'; style-src 'self'`."""
    assert not re.search(r"<script(?![^>]*\ssrc=)", content)
    assert "<style" not in content
    assert " style=" not in content
    assert not re.search(r"<[^>]+\son[a-z]+=", content)  # no onclick= and the like


# --- list --------------------------------------------------------------------------------------------

def test_the_list_shows_open_campaigns_only(client, campaign, unit, funds):
    factories.campaign_make(unit=unit, funds=funds, slug="nhap", prefix="NH", name="Chiến dịch nháp",
                            status=Campaign.Status.DRAFT)
    factories.campaign_make(unit=unit, funds=funds, slug="cu", prefix="CU", name="Chiến dịch cũ",
                            status=Campaign.Status.CLOSED)
    factories.payment_make(factories.pledge_make(campaign, amount=3_000_000), amount=1_000_000)
    response = client.get("/")
    content = text(response)
    assert response.status_code == 200
    assert "Tết khuyến học Xuân Bính Ngọ 2026" in content
    assert "1.000.000\u00a0₫" in content and "3.000.000\u00a0₫" in content
    assert "Chiến dịch nháp" not in content and "Chiến dịch cũ" not in content
    assert_csp_friendly(response.content.decode())


# --- campaign page --------------------------------------------------------------------------------------

@pytest.fixture
def pledges(campaign):
    named = factories.pledge_make(campaign, amount=5_000_000, name="Trần Thị Hoa", email="hoa@example.com",
                                  phone="0912345678")
    hidden = factories.pledge_make(campaign, amount=2_000_000, name="Phạm Bí Mật", email="bimat@example.com",
                                   anonymous=True)
    unlisted = factories.pledge_make(campaign, amount=1_000_000, name="Lê Kín Đáo", email="kin@example.com",
                                     honor_roll=False)
    today = datetime.date.today()
    factories.payment_make(named, amount=5_000_000, received_on=today - datetime.timedelta(days=3))
    factories.payment_make(hidden, amount=500_000, received_on=today)
    return named, hidden, unlisted


def test_the_campaign_page_shows_goal_progress_and_totals(client, campaign, pledges):
    response = client.get(CAMPAIGN_URL)
    content = text(response)
    assert response.status_code == 200
    assert "6.000.000.000\u00a0₫" in content  # the goal
    assert "5.500.000\u00a0₫" in content  # received
    assert "8.000.000\u00a0₫" in content  # pledged
    assert re.search(r'<progress class="progress" value="0" max="100"', content)
    assert f'href="/c/{campaign.slug}/pledge/"' in content
    assert_csp_friendly(response.content.decode())


def test_the_honor_roll_lists_consenting_donors_and_never_contacts(client, campaign, pledges):
    content = text(client.get(CAMPAIGN_URL))
    roll = re.search(r'<ol class="honor-roll">(.*?)</ol>', content, re.S).group(1)
    names = re.findall(r'<span class="honor-roll__name">(.*?)</span>', roll)
    assert names == ["Trần Thị Hoa", "Nhà hảo tâm ẩn danh"]
    for secret in ("Phạm Bí Mật", "Lê Kín Đáo", "hoa@example.com", "bimat@example.com", "0912345678",
                   "+84912345678", "912345678"):
        assert secret not in content


def test_the_chart_is_inline_svg_drawn_on_the_server(client, campaign, pledges):
    content = client.get(CAMPAIGN_URL).content.decode()
    svg = re.search(r'<svg class="chart".*?</svg>', content, re.S).group(0)
    assert '<polyline class="chart-line"' in svg
    assert "Tiền đã nhận theo thời gian" in html.unescape(svg)
    # 5.500.000 received: the axis tops out at 8 million, in round steps of 2 million.
    assert all(f"{tick} triệu" in html.unescape(svg) for tick in (2, 4, 6, 8))
    assert "http" not in svg.replace('http://www.w3.org', '')  # nothing loaded from elsewhere


def test_without_money_in_there_is_no_chart(client, campaign):
    content = text(client.get(CAMPAIGN_URL))
    assert '<svg class="chart"' not in content
    assert "Chưa có khoản tiền nào được ghi nhận." in content


def test_the_page_in_english(client, campaign, pledges):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    content = text(client.get(CAMPAIGN_URL))
    assert '<html lang="en">' in content
    assert "Honor roll" in content and "Anonymous donor" in content and "Money received over time" in content


def test_a_draft_campaign_is_not_public(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(CAMPAIGN_URL).status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_the_campaign_page_costs_the_same_queries_for_5_or_50_pledges(client, campaign, count,
                                                                      django_assert_num_queries):
    for number in range(count):
        pledge = factories.pledge_make(campaign, amount=1_000_000 + number, name=f"Nhà hảo tâm {number}",
                                       email=f"donor{number}@example.com", anonymous=number % 3 == 0)
        if number % 2:
            factories.payment_make(pledge, amount=500_000,
                                   received_on=datetime.date.today() - datetime.timedelta(days=number % 7))
    # 1. the campaign with its pledged / received / donor-count subqueries
    # 2. per fund: pledged, received and count subqueries
    # 3. received per day (the chart)
    # 4. the honor roll's first page: money received per donor (name, kind, sum only), 51 rows at most
    # The anonymous visitor has no session cookie: no session or user query.
    with django_assert_num_queries(4):
        response = client.get(CAMPAIGN_URL)
    assert response.status_code == 200


# --- confirmation page --------------------------------------------------------------------------------

def test_the_confirmation_shows_reference_amount_words_bank_memo_and_qr(client, campaign):
    pledge = factories.pledge_make(campaign, amount=5_000_000, email="hoa@example.com")
    response = client.get(f"/p/{pledge.reference}/")
    content = text(response)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert pledge.reference in content
    assert "5.000.000\u00a0₫" in content
    assert "Năm triệu đồng" in content
    assert "0011004123456" in content and "HOI KHUYEN HOC TINH THANH HOA" in content
    assert f"UNG HO {pledge.reference}" in content
    assert '<svg viewBox="0 0' in content and 'class="qr-code"' in content
    payload = re.search(r'<code class="mono">([^<]+)</code>', content).group(1)
    root = tlv_decode(payload)
    assert crc_ok(payload)
    assert root["54"] == "5000000"
    assert tlv_decode(root["62"]) == {"08": f"UNG HO {pledge.reference}"}
    assert tlv_decode(tlv_decode(root["38"])["01"]) == {"00": "970436", "01": "0011004123456"}
    assert "hoa@example.com" not in content  # the page is public to whoever has the reference
    assert_csp_friendly(response.content.decode())


def test_with_installments_the_qr_asks_for_the_next_one(client, campaign):
    pledge = factories.pledge_make(campaign, amount=3_000_000, installments=3, email="a@example.com")
    factories.payment_make(pledge, amount=1_500_000)
    content = text(client.get(f"/p/{pledge.reference}/"))
    payload = re.search(r'<code class="mono">([^<]+)</code>', content).group(1)
    # Installments of 1.000.000 each; 1.500.000 paid covers the first and half the second.
    assert tlv_decode(payload)["54"] == "500000"
    assert "Lịch nộp" in content


def test_a_fulfilled_pledge_has_no_qr(client, campaign):
    pledge = factories.pledge_make(campaign, amount=1_000_000, email="a@example.com")
    Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.FULFILLED)
    content = text(client.get(f"/p/{pledge.reference}/"))
    assert "qr-code" not in content
    assert "Hội đã nhận đủ khoản ủng hộ này." in content


def test_an_unknown_reference_is_404(client, campaign):
    assert client.get("/p/TKH26-XXXXX/").status_code == 404


def test_the_form_and_the_confirmation_cost_few_queries(client, campaign, django_assert_num_queries):
    pledge = factories.pledge_make(campaign, amount=3_000_000, installments=3, email="a@example.com")
    # 1. the campaign (with its default fund), 2. the campaign's funds for the radio buttons
    with django_assert_num_queries(2):
        assert client.get(f"/c/{campaign.slug}/pledge/").status_code == 200
    # 1. the pledge with its campaign, fund and removal request, 2. its installments, 3. the sum of its payments
    with django_assert_num_queries(3):
        assert client.get(f"/p/{pledge.reference}/").status_code == 200

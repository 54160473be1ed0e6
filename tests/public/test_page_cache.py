"""The campaign page and the statement served from their cached bodies (`public/page_cache.py`):
no query between two changes, a new page right after every change that moves what they show,
nothing of one visitor in another's page, and only the pages' own links cached."""

import html
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from donations.models import Payment, Pledge
from donations.services import (
    donor_update,
    honor_roll_removal_request,
    payment_record,
    pledge_cancel,
    pledge_write_off,
    receipt_void,
)
from fundmgr.core.page_version import VERSION_KEY, public_pages_changed
from tests.campaigns import factories
from tests.public.page_helpers import csrf_value, without_token

pytestmark = pytest.mark.django_db

NAME = "Trần Thị Hoa"


_references = itertools.count(1)


def pay(pledge, amount, *, bank_reference=""):
    bank_reference = bank_reference or f"FT2605{next(_references):08d}"
    return payment_record(donor=pledge.donor, pledge=pledge, amount=amount, method=Payment.Method.BANK_TRANSFER,
                          received_on=timezone.localdate(), unit=pledge.campaign.unit, bank_reference=bank_reference)


@pytest.fixture
def listed(campaign):
    pledge = factories.pledge_make(campaign, amount=5_000_000, name=NAME, honor_roll=True)
    pay(pledge, 2_000_000, bank_reference="FT26050001HOA1")
    return pledge


def urls(campaign) -> list[str]:
    return [f"/c/{campaign.slug}/", f"/c/{campaign.slug}/statement/"]


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def warm(client, campaign) -> None:
    """Both pages rendered and cached, and served once from the cache without a query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls(campaign):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == 0, [query["sql"] for query in queries.captured_queries]


def test_a_second_visitor_gets_the_cached_page_with_a_token_of_their_own(campaign, listed):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    url = f"/c/{campaign.slug}/"
    one = first.get(url)
    warm(second, campaign)
    two = second.get(url)
    assert without_token(one) == without_token(two)
    assert csrf_value(one) != csrf_value(two)
    assert b"csrfTokenOfTheRequester" not in one.content + two.content
    # The token in the cached page is the visitor's own: the language switch works with it.
    response = second.post("/i18n/setlang/", {"language": "en", "next": url,
                                               "csrfmiddlewaretoken": csrf_value(two).decode()})
    assert response.status_code == 302
    assert '<html lang="en">' in page(second, url)


def test_a_logged_in_treasurer_s_page_leaks_nothing_to_the_public(client, campaign, listed, treasurer):
    staff = Client()
    staff.force_login(treasurer)
    for url in urls(campaign):
        mine = staff.get(url)
        assert mine.status_code == 200
        theirs = client.get(url)  # from the cache the treasurer's request filled
        assert without_token(theirs) == without_token(mine)
        assert b"thuquy" not in theirs.content
        assert csrf_value(theirs) != csrf_value(mine)
        assert "sessionid" not in theirs.cookies


def test_each_language_has_its_own_page(client, campaign, listed):
    for url in urls(campaign):
        for _twice in range(2):  # rendered, then from the cache
            assert '<html lang="vi">' in page(client, url)
            english = html.unescape(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
            assert '<html lang="en">' in english


def test_only_the_pages_own_links_are_cached(client, campaign, listed, django_assert_num_queries):
    url = f"/c/{campaign.slug}/"
    for own in (url, f"{url}?page=1", f"/c/{campaign.slug}/statement/?after=2026-01-01.1"):
        client.get(own)
        with django_assert_num_queries(0):
            assert client.get(own).status_code == 200
    for other in (f"{url}?page=1&utm_source=zalo", f"{url}?page=01", f"{url}?x=1",
                  f"/c/{campaign.slug}/statement/?amount=2.000.000"):
        client.get(other)
        response = client.get(other)
        assert response.status_code == 200
        assert b"csrfTokenOfTheRequester" not in response.content
    public_pages_changed()
    with django_assert_num_queries(4):  # rendered again: see test_campaign_page_scale for the four
        client.get(url)


def test_a_page_past_the_end_and_an_unknown_campaign_are_not_cached(client, campaign, listed):
    assert client.get(f"/c/{campaign.slug}/?page=2").status_code == 404
    assert client.get("/c/khong-co/").status_code == 404
    assert client.get("/c/khong-co/statement/").status_code == 404


# --- every change that moves what the pages show, right after it ---------------------------------

def test_a_payment_moves_both_pages(client, campaign, listed):
    warm(client, campaign)
    pay(listed, 777_000, bank_reference="FT26050002HOA2")
    assert "2.777.000" in page(client, urls(campaign)[0])
    assert "777.000" in page(client, urls(campaign)[1])


def test_a_void_moves_both_pages(client, campaign, listed, treasurer):
    second = pay(listed, 777_000)
    warm(client, campaign)
    assert "2.777.000" in page(client, urls(campaign)[0])
    assert "<dd>2</dd>" in page(client, urls(campaign)[1])  # payments on the statement
    receipt_void(receipt=second.receipt, reason="Ghi nhầm", voided_by=treasurer)
    assert "2.777.000" not in page(client, urls(campaign)[0])
    assert "<dd>1</dd>" in page(client, urls(campaign)[1])


def test_a_write_off_and_a_cancellation_move_the_page(client, campaign, listed, treasurer):
    other = factories.pledge_make(campaign, amount=9_000_000, name="Lê Văn Tám")
    warm(client, campaign)
    assert "14.000.000" in page(client, urls(campaign)[0])  # pledged: 5 + 9 millions
    pledge_cancel(pledge=other, reason="Nhà hảo tâm rút lại", by=treasurer)
    assert "14.000.000" not in page(client, urls(campaign)[0])
    warm(client, campaign)
    pledge_write_off(pledge=listed, reason="Không thu được", by=treasurer)
    listed.refresh_from_db()
    assert listed.status == Pledge.Status.WRITTEN_OFF
    # A write-off moves no public figure: the page stays right, whether rendered again or not.
    assert "2.000.000" in page(client, urls(campaign)[0])


def test_a_removal_request_takes_the_name_off_both_pages_at_once(client, campaign, listed):
    warm(client, campaign)
    assert all(NAME in page(client, url) for url in urls(campaign))
    honor_roll_removal_request(pledge=listed)
    assert all(NAME not in page(client, url) for url in urls(campaign))
    assert "Nhà hảo tâm …HOA1" in page(client, urls(campaign)[1])


def test_a_donor_renamed_is_renamed_on_both_pages(client, campaign, listed):
    warm(client, campaign)
    donor_update(donor=listed.donor, name="Trần Thị Hoà Bình")
    assert all("Trần Thị Hoà Bình" in page(client, url) for url in urls(campaign))


def test_a_campaign_edited_or_closed_changes_its_page(client, campaign, listed):
    from campaigns.services import campaign_close, campaign_save

    warm(client, campaign)
    campaign.name = "Tết khuyến học Bính Ngọ"
    campaign_save(campaign=campaign)
    assert all("Tết khuyến học Bính Ngọ" in page(client, url) for url in urls(campaign))
    assert "Ủng hộ ngay" in page(client, urls(campaign)[0])
    campaign_close(campaign=campaign)
    assert "Ủng hộ ngay" not in page(client, urls(campaign)[0])


def test_money_out_of_the_campaign_s_fund_moves_the_statement(client, campaign, listed, funds):
    from fundmgr.ledger import accounts
    from fundmgr.ledger.services import Line, entry_post

    warm(client, campaign)
    before = page(client, urls(campaign)[1])
    fund = listed.fund
    entry_post(unit=campaign.unit, date=timezone.localdate(), memo="Chi học bổng", lines=[
        Line(account=accounts.SCHOLARSHIP_EXPENSE, fund=fund, debit=300_000, credit=0),
        Line(account=accounts.BANK, fund=fund, debit=0, credit=300_000),
    ])
    assert page(client, urls(campaign)[1]) != before
    assert "1.700.000" in page(client, urls(campaign)[1])  # the fund's closing balance: 2,000,000 − 300,000


def test_a_lost_version_never_brings_back_an_old_page(client, campaign, listed):
    from django.core.cache import cache

    warm(client, campaign)  # a body of 2,000,000 received, under the current version
    pay(listed, 777_000)
    cache.delete(VERSION_KEY)  # evicted: the next reader makes a new version, not an old one
    assert "2.777.000" in page(client, urls(campaign)[0])


def test_without_the_cache_the_pages_are_rendered_not_an_error(client, campaign, listed, monkeypatch):
    from django.core.cache import cache

    class DownCache:
        def __getattr__(self, name):
            def refuse(*args, **kwargs):
                raise ConnectionError("redis is down")
            return refuse

    import fundmgr.core.page_version as page_version
    import public.page_cache as page_cache

    monkeypatch.setattr(page_version, "cache", DownCache())
    monkeypatch.setattr(page_cache, "cache", DownCache())
    assert NAME in page(client, urls(campaign)[0])
    pay(listed, 777_000)  # the bump fails quietly; the payment commits
    assert "2.777.000" in page(client, urls(campaign)[0])
    monkeypatch.undo()
    cache.clear()


def test_a_new_day_renders_the_page_again(client, campaign, listed, monkeypatch, django_assert_num_queries):
    import datetime

    import public.page_cache as page_cache

    warm(client, campaign)  # the chart ends today, the statement's period too
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(page_cache.timezone, "localdate", lambda: tomorrow)
    with django_assert_num_queries(4):
        assert client.get(urls(campaign)[0]).status_code == 200


def test_every_key_the_pages_write_expires_but_their_version(client, campaign, listed, redis_url, settings):
    """Under memory pressure Redis evicts only keys with an expiry (`maxmemory-policy volatile-lru`,
    docs/operations.md): the cached bodies and sums may go, the broker's queues and the pages'
    version, which never expire, stay. So every key a visit writes must expire, but the version."""
    import redis
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                                   "KEY_PREFIX": "ttl-test"}}
    server = redis.Redis.from_url(redis_url)
    try:
        for url in urls(campaign):
            assert client.get(url).status_code == 200
            assert client.get(url).status_code == 200
        keys = {key.decode(): server.ttl(key) for key in server.scan_iter("ttl-test:*")}
        version = caches["default"].make_key(VERSION_KEY)
        assert keys.pop(version) == -1  # no expiry: losing it would only cost renders, but it is tiny
        assert sum(":statement:v3:" in key for key in keys) == 2, keys  # its sums, under their version and as latest
        assert len(keys) >= 4, keys  # and the two bodies
        assert all(ttl > 0 for ttl in keys.values()), keys
    finally:
        for key in server.scan_iter("ttl-test:*"):
            server.delete(key)

"""200 pledge forms sent at once over HTTP, 50 of them a second copy of another (same idempotency
key, sent side by side so the two race): exactly 150 pledges, and every answer is a 303 to the
right confirmation page. PostgreSQL only: it is the system of record in production, and the one
where the loser of an idempotency race waits on the winner's uncommitted row.
"""

import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from donations.models import Pledge, PledgeEmail

from . import factories

REQUESTS = 200
REPEATS = 50
# The live server runs one thread, hence one PostgreSQL connection, per request in flight; the
# server allows 100 connections and other test runs may share it.
CLIENT_THREADS = 24


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_pledges_with_50_repeated_keys_make_150_pledges(live_server, settings, mailoutbox):
    settings.PLEDGE_FORM_MIN_SECONDS = 0  # the form is posted straight back
    settings.PLEDGE_RATE_LIMIT_PER_IP = "100000/m"  # every request comes from 127.0.0.1
    settings.PLEDGE_RATE_LIMIT_PER_EMAIL = "100000/h"
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit))
    server = urlsplit(live_server.url)
    path = f"/c/{campaign.slug}/pledge/"

    # One visit to the form gives the CSRF cookie and token, and a signed start time.
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200
    cookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookie.load(header)
    csrf_cookie = cookie["csrftoken"].value
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    started = factories.hidden_value(page, "started")

    keys = [f"concurrency-key-{number:04d}-{'x' * 8}" for number in range(REQUESTS - REPEATS)]
    # Each repeated key is sent right after its first copy, so the two are in flight together.
    plan = [key for number, key in enumerate(keys) for _copy in range(2 if number < REPEATS else 1)]
    assert len(plan) == REQUESTS and len(set(plan)) == REQUESTS - REPEATS
    start = threading.Barrier(CLIENT_THREADS)

    def send(key: str, index: int):
        if index < CLIENT_THREADS:
            start.wait()  # the first wave leaves together
        body = urlencode(factories.valid_form_data(
            campaign, idempotency_key=key, started=started, email=f"{key}@example.com",
            csrfmiddlewaretoken=csrf_token,
        ))
        connection = http.client.HTTPConnection(server.hostname, server.port, timeout=60)
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": live_server.url + path,
        })
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return key, answer.status, answer.getheader("Location")

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(send, plan, range(REQUESTS)))

    assert [status for _key, status, _location in results] == [303] * REQUESTS
    locations = {}
    for key, _status, location in results:
        assert locations.setdefault(key, location) == location  # both copies lead to the same pledge
    assert Pledge.objects.count() == REQUESTS - REPEATS
    by_key = dict(Pledge.objects.values_list("idempotency_key", "reference"))
    assert {key: f"/p/{reference}/" for key, reference in by_key.items()} == locations
    # One confirmation e-mail per pledge, not per request.
    assert PledgeEmail.objects.filter(kind="confirmation", status="sent", sent_at__isnull=False).count() == (
        REQUESTS - REPEATS
    )
    assert len(mailoutbox) == REQUESTS - REPEATS

"""Throttles on every endpoint: per token or user, per anonymous IP (stricter), per IP for all.

The limiter's clock is held at one instant early in a window (`rate_limit_clock`), so a slow
machine cannot split a test's requests across two windows.
"""

import pytest
from rest_framework.test import APIClient

from .conftest import token_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings, rate_limit_clock):
    def set_rates(**rates):
        settings.API_THROTTLE_RATES = {"token": "100/m", "user": "100/m", "anonymous": "100/m", "ip": "100/m", **rates}

    return set_rates


def _throttled(response):
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "message", "errors"}
    return int(response["Retry-After"])


def test_anonymous_callers_are_throttled_by_ip_with_retry_after(rates, rate_limit_clock):
    rates(anonymous="3/m")
    client = APIClient()
    assert [client.get("/api/v1/").status_code for _ in range(3)] == [200, 200, 200]
    retry_after = _throttled(client.get("/api/v1/"))
    # The clock is one second into an hour: 59 seconds are left of the minute's window.
    assert retry_after == 59


def test_each_token_has_its_own_budget(rates, treasurer, make_user):
    rates(token="2/m")
    first, second = token_client(token_for(treasurer)), token_client(token_for(treasurer))
    assert [first.get("/api/v1/pledges/").status_code for _ in range(2)] == [200, 200]
    _throttled(first.get("/api/v1/pledges/"))
    assert second.get("/api/v1/pledges/").status_code == 200


def test_a_session_user_counts_by_user(rates, client, treasurer):
    rates(user="2/m")
    client.force_login(treasurer)
    assert [client.get("/api/v1/pledges/").status_code for _ in range(2)] == [200, 200]
    _throttled(client.get("/api/v1/pledges/"))


def test_many_tokens_from_one_address_share_the_address_limit(rates, treasurer):
    rates(ip="3/m")
    clients = [token_client(token_for(treasurer)) for _ in range(4)]
    assert [client.get("/api/v1/pledges/").status_code for client in clients[:3]] == [200, 200, 200]
    _throttled(clients[3].get("/api/v1/pledges/"))
    other_address = clients[3].get("/api/v1/pledges/", REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 200


def test_a_throttled_write_creates_nothing(rates, treasurer):
    from donations.models import Pledge

    rates(token="1/m")
    client = token_client(token_for(treasurer))
    client.get("/api/v1/pledges/")
    response = client.post("/api/v1/pledges/", {"campaign": "x", "donor_name": "A", "amount": 5}, format="json")
    _throttled(response)
    assert Pledge.objects.count() == 0

"""Odd inputs to the scholarship endpoints answer 400 or 404, never a 500: numbers past a 64-bit
integer or past a column's precision in filters, ids and bodies, and NUL characters in searches."""

import pytest

from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past a signed 64-bit integer


@pytest.mark.parametrize("url, params", [
    ("/api/v1/students/", {"score_min": HUGE}),
    ("/api/v1/students/", {"score_max": "-0.0000000001"}),
    ("/api/v1/students/", {"q": "\x00"}),
    ("/api/v1/scholarship-programs/", {"q": "\x00"}),
    ("/api/v1/nominations/", {"score_min": "1e40"}),
    ("/api/v1/awards/", {"amount_min": "1e40"}),
    ("/api/v1/awards/", {"q": f"HB-{HUGE}"}),
    ("/api/v1/awards/", {"run": HUGE}),
    ("/api/v1/disbursements/", {"year": HUGE}),
    ("/api/v1/disbursements/", {"amount_max": "-1e40"}),
    (f"/api/v1/awards/{HUGE}/", {}),
])
def test_odd_filters_and_ids_are_not_a_500(client, people, six, url, params):
    client.force_login(people["superuser"])
    response = client.get(url, params)
    assert response.status_code in (200, 400, 404), (response.status_code, response.content[:300])


@pytest.mark.parametrize("url, body", [
    (f"/api/v1/awards/{HUGE}/approve/", None),
    ("/api/v1/awards/grant/", {"nomination": 10**30, "fund": "x", "reason": "y"}),
    ("/api/v1/disbursements/", {"award": 10**30, "method": "cash", "paid_on": "0001-01-01", "recipient_name": "x"}),
    ("/api/v1/nominations/", {"program": "\x00", "student": "HS-999999999"}),
    ("/api/v1/allocation-runs/", {"program": "\x00"}),
])
def test_odd_bodies_are_not_a_500(client, people, six, url, body):
    client.force_login(people["superuser"])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (400, 404), (response.status_code, response.content[:300])

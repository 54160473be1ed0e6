"""Redis down (the cache of the rate limits, and the Celery broker): the pledge form and the API
still take pledges, each with its confirmation e-mail recorded as due in the pledge's own
transaction; once the broker is back, the requeue beat sends each confirmation once.

Both the cache and the broker point at a port where nothing listens (connections are refused at
once), and this process publishes for real (not eagerly), as production does. The strongest
form of this test, with a real redis-server stopped and started and a real worker, is in
tests/faults/test_redis_down_pledges.py (PostgreSQL pass).
"""

import datetime
import logging

import pytest
from django.core import mail
from rest_framework.test import APIClient

from donations.models import Pledge, PledgeEmail
from receipts.services import deliveries_requeue_stale
from tests.campaigns import factories
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, publish_to):
    """The cache and the broker point at a port where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    publish_to(url)
    return url


def test_with_redis_down_the_form_and_the_api_take_pledges_and_the_beat_sends_each_confirmation_once(
    redis_down, campaign, treasurer, settings, client, caplog, celery_setting, django_capture_on_commit_callbacks
):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    caplog.set_level(logging.WARNING)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/c/{campaign.slug}/pledge/", factories.valid_form_data(campaign, email="binh@example.com")
        )
    assert response.status_code == 303
    form_pledge = Pledge.objects.get(channel=Pledge.Channel.FORM)
    assert response["Location"] == f"/p/{form_pledge.reference}/"

    api = APIClient()
    api.force_login(treasurer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/pledges/", {
            "campaign": campaign.slug, "donor_name": "Công ty CP Sữa Việt", "donor_kind": "business",
            "email": "lienhe@suaviet.vn", "amount": 30_000_000,
        }, format="json", HTTP_IDEMPOTENCY_KEY="redis-down-1")
    assert response.status_code == 201
    api_pledge = Pledge.objects.get(channel=Pledge.Channel.API)
    assert response.json()["reference"] == api_pledge.reference

    # Both limits of the form and both of the API (caller, address) were let through, with a log line
    # each; both enqueues failed, logged.
    assert caplog.text.count("not checked, the cache is unavailable") == 4
    assert caplog.text.count("could not enqueue donations.tasks.pledge_confirmation_send") == 2
    # The e-mails are recorded as due, none sent.
    rows = PledgeEmail.objects.order_by("pledge_id")
    assert list(rows.values_list("pledge_id", "kind", "status", "attempts")) == [
        (form_pledge.pk, "confirmation", "pending", 0), (api_pledge.pk, "confirmation", "pending", 0),
    ]
    assert mail.outbox == []

    # The broker is back (eager here; tests/faults has the real worker): the beat's requeue job
    # finds the two pending rows and each confirmation goes out once.
    celery_setting("task_always_eager", True)
    later = datetime.timedelta(0)
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            deliveries_requeue_stale(older_than=later)
    assert sorted(message.to[0] for message in mail.outbox) == ["binh@example.com", "lienhe@suaviet.vn"]
    assert list(rows.values_list("status", "attempts")) == [("sent", 1), ("sent", 1)]
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_requeue_stale(older_than=later) == 0
    assert len(mail.outbox) == 2


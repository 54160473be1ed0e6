"""Redis stopped: the public pledge form still takes a pledge (its rate limits fail open, the
enqueue of the confirmation fails and is logged); Redis started again with a worker and beat:
the confirmation e-mail goes out once, without anyone doing anything.

Redis is both the cache of the rate limits and the broker. This test's own redis-server is not
running when the donor posts the form; the confirmation's job row, written in the pledge's
transaction, is what beat's requeue job (here every 2 seconds, rows older than 3 seconds) finds.
"""

import logging
import re

import pytest
from django.test import Client

from donations.models import Pledge, PledgeEmail
from tests.campaigns import factories
from tests.workers import beat_requeue_every, wait_until

from .conftest import MAIL_SEPARATOR


def messages_with(rig, pattern: bytes) -> int:
    """Complete messages in the mail directory whose text matches `pattern`."""
    if not rig.mail_dir.exists():
        return 0
    count = 0
    for path in rig.mail_dir.iterdir():
        for chunk in path.read_bytes().split(MAIL_SEPARATOR)[:-1]:
            count += bool(re.search(pattern, chunk))
    return count


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pledge_made_while_redis_is_down_is_confirmed_once_it_is_back(rig, chart, publish_to, settings, caplog):
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit))
    beat_requeue_every(2, older_than_seconds=3)
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": rig.redis.url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    assert not rig.redis.answers()  # Redis is down: the cache and the broker
    publish_to(rig.redis.url)
    caplog.set_level(logging.WARNING)

    response = Client().post(
        f"/c/{campaign.slug}/pledge/", factories.valid_form_data(campaign, email="binh@example.com")
    )

    assert response.status_code == 303
    pledge = Pledge.objects.get()
    assert response["Location"] == f"/p/{pledge.reference}/"
    assert caplog.text.count("not checked, the cache is unavailable") == 2  # per IP, per e-mail
    assert "could not enqueue donations.tasks.pledge_confirmation_send" in caplog.text
    email = PledgeEmail.objects.get()
    assert (email.pledge_id, email.kind, email.status) == (pledge.pk, "confirmation", "pending")

    # Redis comes back, with a worker and beat; nobody touches the pledge.
    rig.redis.start()
    rig.worker.start()
    rig.beat.start()
    wait_until(
        lambda: PledgeEmail.objects.filter(status="sent").exists(), timeout=90, interval=0.5,
        what="the pledge's confirmation e-mail",
    )
    message_id = rf"Message-ID: <pledge-email\.{email.pk}\.{pledge.reference}@".encode()
    assert messages_with(rig, message_id) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.recipient) == ("sent", 1, "binh@example.com")
    assert "re-enqueued" in rig.worker.log()

"""After-commit enqueues reuse one broker connection per process (the app's pool) instead of
opening one per call, and a connection that failed is not handed to the next caller."""

import kombu
import redis

from fundmgr.celery import app as celery_app
from fundmgr.core import outbox
from tests.conftest import free_port


@celery_app.task(name="tests.kernel.outbox_noop")
def outbox_noop(value):
    return value


def _count_connects(monkeypatch) -> list:
    opened = []
    factory = kombu.Connection._connection_factory

    def counting(self):
        opened.append(self)
        return factory(self)

    monkeypatch.setattr(kombu.Connection, "_connection_factory", counting)
    return opened


def test_twenty_enqueues_open_one_broker_connection(redis_url, publish_to, monkeypatch):
    publish_to(redis_url)
    opened = _count_connects(monkeypatch)
    try:
        assert sum(outbox.enqueue_many([(outbox_noop, (n,))]) for n in range(20)) == 20
        assert len(opened) == 1
    finally:
        redis.Redis.from_url(redis_url).delete("celery")  # no worker here: drop the 20 messages


def test_a_broker_that_is_down_fails_each_enqueue_quickly_without_keeping_the_broken_connection(
    publish_to, monkeypatch
):
    publish_to(f"redis://127.0.0.1:{free_port()}/0")
    opened = _count_connects(monkeypatch)
    assert outbox.enqueue_many([(outbox_noop, (1,))]) == 0
    assert outbox.enqueue_many([(outbox_noop, (2,))]) == 0
    assert len(opened) >= 2  # each call tried to connect afresh

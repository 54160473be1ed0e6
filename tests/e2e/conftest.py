"""Browser tests: Debian's chromium driven by Playwright against `live_server`."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _tasks_run_eagerly(settings):
    # tests/conftest.py sets `celery_app.conf.task_always_eager`, but with the "CELERY" namespace
    # Celery looks up CELERY_TASK_ALWAYS_EAGER in the Django settings first, which is False when
    # REDIS_URL is set (the PostgreSQL pass): the override is lost there. Set the Django setting.
    settings.CELERY_TASK_ALWAYS_EAGER = True

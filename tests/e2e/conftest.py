"""Browser tests: Debian's chromium driven by Playwright against `live_server`."""

import os

import pytest
from pytest_django.fixtures import _set_suffix_to_test_databases

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Same database file as tests/campaigns, which runs in the same command (see its conftest).
    _set_suffix_to_test_databases(suffix="public")


@pytest.fixture(autouse=True)
def _tasks_run_eagerly(settings):
    # tests/conftest.py sets `celery_app.conf.task_always_eager`, but with the "CELERY" namespace
    # Celery looks up CELERY_TASK_ALWAYS_EAGER in the Django settings first, which is False when
    # REDIS_URL is set (the PostgreSQL pass): the override is lost there. Set the Django setting.
    settings.CELERY_TASK_ALWAYS_EAGER = True

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

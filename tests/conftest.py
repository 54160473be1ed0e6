"""Suite-wide fixtures and the rule for tests that need real services.

The suite runs twice (see the Makefile): on SQLite, and on PostgreSQL with Redis. A test marked
`postgres` runs only in the second pass. A test that needs a service that does not answer is
skipped on a developer's machine, but fails when `CI` is set: CI must prove it, not skip it.
"""

import os
import shutil
import socket

import pytest
from django.conf import settings
from django.utils import translation

from fundmgr.celery import app as celery_app

IN_CI = bool(os.environ.get("CI"))
ARTIFACTS_DIR = settings.BASE_DIR / "var" / "test-artifacts"


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def require_service(available: bool, what: str) -> None:
    """Skip when `what` is missing, but fail under CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required when CI is set, and it is not available")
    pytest.skip(f"{what} is not available")


def require_executable(name: str) -> str:
    path = shutil.which(name)
    require_service(path is not None, f"the program {name!r}")
    return path


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="PostgreSQL only; runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _eager_celery_by_default(settings):
    """Tasks run in-process unless a test asks for the real broker (it then sets this itself).

    Celery's Django-backed configuration looks the key up in Django's settings before its own
    changes, so both are set.
    """
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Vietnamese).

    A request handled by an earlier test leaves its language active in the thread (LocaleMiddleware
    activates it, nothing resets it), so a test without a request, such as the bank-statement
    parser's, read English messages depending on which tests ran before it.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def redis_url():
    """A real Redis server for tests about the broker, in both passes of `make test`."""
    from urllib.parse import urlparse

    url = os.environ.get("TEST_REDIS_URL") or settings.REDIS_URL or "redis://127.0.0.1:6379/14"
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2):
            reachable = True
    except OSError:
        reachable = False
    require_service(reachable, f"a Redis server at {url}")
    return url


@pytest.fixture
def artifacts_dir():
    """Where tests leave screenshots and PNGs for a person to look at."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR

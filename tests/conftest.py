"""Suite-wide fixtures and the rule for tests that need real services.

The suite runs twice (see the Makefile): on SQLite, and on PostgreSQL with Redis. A test marked
`postgres` runs only in the second pass. A test that needs a service that does not answer is
skipped on a developer's machine, but fails when `CI` is set: CI must prove it, not skip it.
"""

import hashlib
import os
import shutil
import socket
import time
from types import SimpleNamespace

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


def unit_tree(*units):
    """Create an association tree and return its units as attributes.

    `units`: (attribute, code, kind, name, parent attribute or None), parents first; `kind` is an
    `OrgUnit.Kind` value. Each folder's conftest declares its own tree with it.
    """
    from fundmgr.orgs.models import OrgUnit

    tree = SimpleNamespace()
    for attribute, code, kind, name, parent in units:
        parent_unit = getattr(tree, parent) if parent else None
        setattr(tree, attribute, OrgUnit.objects.create(name=name, code=code, kind=kind, parent=parent_unit))
    return tree


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="PostgreSQL only; runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _cheap_flush_on_postgres():
    """After a transactional test, empty the tables that have rows instead of truncating all of
    them (tests/fast_flush.py): seconds a test on PostgreSQL."""
    if not on_postgres():
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    from tests.fast_flush import sql_flush

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


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
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Files the code stores (receipt PDFs, reports, checkpoint copies) go to this session's
    temporary folder, not to the developer's var/media beside the demo's own; folders that look at
    the files set a folder per test (tests/receipts, tests/reports), the real-worker rigs their own."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


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

    from fundmgr.core.page_version import local_forget

    cache.clear()
    local_forget()  # the version this process trusts for a moment: from the cache just emptied
    yield


@pytest.fixture(autouse=True)
def _api_throttles_out_of_the_way(settings):
    """Tests that fire hundreds of API requests (hostile input, schemathesis) are not about throttling;
    the throttling tests (tests/api/test_throttling.py) set their own small rates."""
    settings.API_THROTTLE_RATES = dict.fromkeys(settings.API_THROTTLE_RATES, "100000/m")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The real hasher is slow on purpose (about a second a password on a busy machine): tests that
    create users with passwords, log in or seed the demo would spend most of their time hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(scope="session")
def _transparency_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("transparency")


@pytest.fixture(autouse=True)
def _transparency_files(settings, _transparency_dir, request):
    """Checkpoints (taken by `seed_demo` too) go to a file of the test's own, signed with a key of the
    run's own: never into the worktree's var/."""
    settings.TRANSPARENCY_SIGNING_KEY = ""
    settings.TRANSPARENCY_SIGNING_KEY_FILE = ""
    settings.TRANSPARENCY_DEV_KEY_FILE = str(_transparency_dir / "signing-key.pem")
    name = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    settings.TRANSPARENCY_CHECKPOINT_FILE = str(_transparency_dir / f"checkpoints-{name}.jsonl")


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker, _transparency_dir):
    """`seed_demo` run once for the session (tests/demo_snapshot.py), with the settings every test has."""
    from tests.demo_snapshot import DemoSnapshot, snapshot_settings

    with django_db_blocker.unblock():
        return DemoSnapshot.take(snapshot_settings(_transparency_dir))


@pytest.fixture
def demo_seeded(db, _demo_snapshot, settings):
    """The database as `manage.py seed_demo` leaves it, in this test's transaction, without the 20 to
    50 seconds the command takes: its rows are put back from the session's one run. The command's
    output is the fixture's value."""
    settings.DEBUG = True
    return _demo_snapshot.restore()


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


def free_port() -> int:
    """A port nothing listens on (bound, then released): connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def celery_setting():
    """Change a Celery setting of this process for one test: `celery_setting("task_always_eager", True)`.

    The app reads Django's settings with the CELERY namespace, so its keys are the namespaced
    names; assigning `app.conf.task_always_eager` does not change what the app reads.
    """
    changed = []

    def change(name: str, value):
        key = f"CELERY_{name.upper()}"
        changed.append((key, celery_app.conf.get(key)))
        celery_app.conf[key] = value

    yield change
    for key, value in reversed(changed):
        celery_app.conf[key] = value


@pytest.fixture
def publish_to(celery_setting, monkeypatch):
    """Make this test process publish (not run eagerly) to the given broker URL: `publish_to(url)`."""

    def publish(url: str) -> None:
        celery_setting("task_always_eager", False)
        celery_setting("broker_url", url)
        # The app keeps its connection and producer pools: new ones for this broker, for this test.
        monkeypatch.setattr(celery_app, "_pool", None)
        monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)

    yield publish
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()


@pytest.fixture
def artifacts_dir():
    """Where tests leave screenshots and PNGs for a person to look at."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def rate_limit_clock(monkeypatch):
    """Hold the rate limiter's clock at one instant, early in a window.

    The limits count hits in fixed windows (`fundmgr.security.rate_limit`): on a slow machine a
    test's requests could straddle a window's end, and the count would start again half-way.
    """
    import types

    from fundmgr.security import rate_limit

    frozen = (time.time() // 3600 + 1) * 3600 + 1  # one second into the next hour: in every window size
    monkeypatch.setattr(rate_limit, "time", types.SimpleNamespace(time=lambda: frozen))
    return frozen


def jobs_queued(callbacks) -> list:
    """The after-commit callbacks of `django_capture_on_commit_callbacks` that queue work: without
    the public pages' version bump, which every write that moves a public page registers."""
    from fundmgr.core.page_version import version_bump

    return [callback for callback in callbacks if callback is not version_bump]

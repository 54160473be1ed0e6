"""The version of the public pages: one token in the cache that every write moving what a public
page shows changes.

The campaign page and the public statement are served from their rendered bodies, each cached
with the token read before it was rendered and served only while the token is the same
(`public/page_cache.py`), so that a visitor's request between two payments costs no query.
Whatever changes a figure, a name or a line of those pages calls `public_pages_changed()` in its
transaction: the running totals (payments, voids, confirmations, cancellations, removal requests,
donor merges, a rebuild), every ledger posting (the statement's money out and balances), a
campaign's details or status, a fund's details, a donor's name or kind. What changes without
passing there (an organisation unit renamed in the admin, a raw SQL fix) shows when the cached
bodies expire, within minutes.

Why a random token, set twice:
- after the commit (`on_commit`): a reader reads the token *before* it reads the database, so a
  body rendered from data older than a commit can only be stored under a token read before that
  commit's bump, never under the one that follows it. That is the bump that makes the cache right;
- inside the writer's transaction, for the writer's own reads before its commit (and the tests,
  whose transactions never commit): the change is marked on the thread's connection, and a page
  read through that same connection bumps first (`_pending_bump`). A writer that reads no page
  (every payment, pledge and posting in production) makes no round trip for it: one bump per
  transaction, after commit, however many payments it writes. A reader that renders the old data
  under this intermediate token is harmless: the bump after commit leaves that token behind;
- random, not a counter: if the cache loses the token (eviction, a restart) while old bodies
  survive, a counter started again from 0 would serve them again; a new random token cannot.

Each worker process trusts the version it last read for a quarter of a second
(`recent_version`), and keeps its own copies of the bodies (`public/page_cache.py`): most hits
then cost no round trip to the cache either, which on a busy machine costs more than the whole
rest of the request. The price: a process other than the writer's serves the old page for at
most that long after the commit.

A write that rolls back leaves at most the intermediate token, under which the data did not
change. If the cache is unreachable when a writer bumps, the bodies already cached stay until
they expire (`public/page_cache.py` keeps them a few minutes): the bound on how stale a page can
be when Redis fails between a commit and its bump.
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "public-pages:version"
# How long a process trusts the version it last read before asking the cache again (settings
# PUBLIC_PAGES_VERSION_CHECK_SECONDS; 0: every request asks).
VERSION_CHECK_SECONDS = 0.25
logger = logging.getLogger(__name__)
# The version this process last read or set, and when (time.monotonic()); one tuple, replaced
# whole, so the threads of a worker never see half of it.
_seen: tuple[str | None, float] = (None, 0.0)


def _remember(version: str | None) -> None:
    global _seen
    _seen = (version, time.monotonic())


def local_forget() -> None:
    """Forget the version this process holds (a test that empties the cache)."""
    global _seen
    _seen = (None, 0.0)


def recent_version() -> str | None:
    """The version this process read or set less than `VERSION_CHECK_SECONDS` ago, else None: a
    worker serving hundreds of requests a second asks the cache a few times a second, not for
    each request. In the process that wrote, the new version counts at once; in the others, at
    most that many seconds later."""
    _pending_bump()
    version, read_at = _seen
    interval = getattr(settings, "PUBLIC_PAGES_VERSION_CHECK_SECONDS", VERSION_CHECK_SECONDS)
    if version is None or time.monotonic() - read_at >= interval:
        return None
    return version


def _token() -> str:
    return secrets.token_hex(8)


def version_bump() -> None:
    token = _token()
    _remember(token)
    transaction.get_connection().public_pages_pending = False
    try:
        cache.set(VERSION_KEY, token, None)
    except Exception as error:  # noqa: BLE001 - redis-py's ConnectionError, TimeoutError, …
        logger.warning("public pages' version not moved, the cache is unavailable (%s: %s)", type(error).__name__, error)


def public_pages_changed() -> None:
    """Something a public page shows is being written: move the version after commit, and before
    any page this connection reads until then."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        version_bump()
        return
    connection.public_pages_pending = True
    if any(callback is version_bump for _ids, callback, *_rest in connection.run_on_commit):
        return  # one bump after commit is enough for a transaction that writes many payments
    transaction.on_commit(version_bump)


def _pending_bump() -> None:
    """Bump now if this thread's connection wrote something public that it has not committed: its
    own reads must not be served a body from before its writes."""
    if getattr(transaction.get_connection(), "public_pages_pending", False):
        version_bump()


def public_pages_version_with(key: str) -> tuple[str | None, object]:
    """The current version (made when the cache has none) and the value under `key`, read in one
    round trip; (None, None) when the cache is unreachable (then nothing is cached or served from
    the cache)."""
    _pending_bump()
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, _token(), None)
            version = cache.get(VERSION_KEY)
        _remember(version)
        return version, found.get(key)
    except Exception as error:  # noqa: BLE001
        logger.warning("public pages served uncached, the cache is unavailable (%s: %s)", type(error).__name__, error)
        return None, None

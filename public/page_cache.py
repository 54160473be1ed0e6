"""The campaign page and the public statement, served from their rendered bodies.

At Tết a campaign page is read thousands of times between two payments; rendering it each time
(its queries, the SVG chart, fifty rows of the honor roll) made it cost 100 times a bare view.
Its body is now cached with:

- the public pages' version (`fundmgr.core.page_version`), which every write that moves a figure,
  a name or a line changes, in its transaction and again after its commit, and which is read
  before the database, so a body of older data is never stored as a newer version's; a body is
  served only to a request that reads the same version;
- under a key of today's date (the chart and the statement end today), the visitor's language,
  and the path with its query string, which must be one of the page's own links (`?page=3`, a
  statement cursor): anything else (a search, a download, a stray parameter) is rendered for that
  request only, so nobody fills the cache with made-up addresses. One body per key: a new
  version's body replaces the old one.

A hit is one round trip to the cache (the version and the body, MGET) and no query; most hits
not even that: a worker trusts the version it read for a quarter of a second and keeps its own
copy of the bodies (`fundmgr.core.page_version.recent_version`, `_bodies`). Nothing personal is stored: the
pages show no user, no message and no pledge; the one thing per visitor, the CSRF token of the
language switch, is rendered as a placeholder and replaced in each response by the requester's
own token (which also sets their CSRF cookie as Django's tag does). A cached body lives a few
minutes at most (`PAGE_SECONDS`), the bound on staleness should the cache miss a version bump.
Only complete answers (200) are stored; a statement whose sums are still the previous version's
(being recomputed, `StatementSummary.current`) is served but not stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from fundmgr.core.page_version import public_pages_version_with, recent_version

PAGE_SECONDS = 300
# Letters and digits only, like a real token, so the template's escaping leaves it as it is.
CSRF_PLACEHOLDER = "csrfTokenOfTheRequesterXq7Zk2Pw9"
logger = logging.getLogger(__name__)
# This process's copies of the bodies: key → ((version, body, content type), until when, in
# time.monotonic()); emptied when full.
_bodies: dict[str, tuple[tuple[str, bytes, str], float]] = {}
LOCAL_BODIES_MAX = 500

# The query strings a page's own links make, by parameter: a honor roll page number, a cursor.
HONOR_ROLL_PAGE = re.compile(r"^[1-9]\d{0,5}$")
STATEMENT_CURSOR = re.compile(r"^\d{4}-\d{2}-\d{2}\.\d{1,18}$")


def own_link(request, **patterns: re.Pattern) -> bool:
    """Whether the request's query string has at most one of the parameters `patterns` names, once,
    matching its pattern: a link the page itself makes, worth caching."""
    query = request.GET
    if len(query) > 1:
        return False
    return all(name in patterns and len(query.getlist(name)) == 1 and patterns[name].match(query[name])
               for name in query)


def _personal(request, body: bytes) -> bytes:
    return body.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())


def _keep(key: str, entry: tuple[str, bytes, str]) -> None:
    if key in _bodies and _bodies[key][0] is entry:
        return  # served again from this process's copy: it keeps its own time limit
    if key not in _bodies and len(_bodies) >= LOCAL_BODIES_MAX:
        _bodies.clear()
    _bodies[key] = (entry, time.monotonic() + PAGE_SECONDS)


def page_key(request) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"public-page:v1:{timezone.localdate().isoformat()}:{get_language()}:{path}"


def cached_page(request, render: Callable[[dict], tuple[HttpResponse, bool]], *, cacheable: bool) -> HttpResponse:
    """The page from the cache, else `render(extra_context)` → (response, whether it may be stored).

    `render` must put `extra_context` into its template's context (it carries the placeholder of
    the CSRF token). One round trip to the cache reads the version and the stored body, which is
    served only if it was rendered under that same version; otherwise the page is rendered and
    stored with the version read before it (overwriting whatever body that address had)."""
    if not cacheable:
        response, _storable = render({})
        return response
    key = page_key(request)
    version = recent_version()
    local, until = _bodies.get(key, (None, 0.0)) if version is not None else (None, 0.0)
    if local is None or local[0] != version or until < time.monotonic():
        version, local = public_pages_version_with(key)
        if version is None:
            response, _storable = render({})
            return response
    if local is not None and local[0] == version:
        _version, body, content_type = local
        _keep(key, local)
        return HttpResponse(_personal(request, body), content_type=content_type)
    response, storable = render({"csrf_token": CSRF_PLACEHOLDER})
    if storable and response.status_code == 200 and not response.streaming:
        entry = (version, response.content, response["Content-Type"])
        _keep(key, entry)
        try:
            cache.set(key, entry, PAGE_SECONDS)
        except Exception as error:  # noqa: BLE001 - redis-py's ConnectionError, TimeoutError, …
            logger.warning("public page not cached (%s: %s)", type(error).__name__, error)
    if not response.streaming:
        response.content = _personal(request, response.content)
    return response

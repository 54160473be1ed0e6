"""Rate limits through Django's cache (Redis in production, so every web process shares them).

A limit is "count/period" (`"10/m"`, `"5/h"`): at most `count` hits per fixed window of the
period, per identity. Counting is one atomic step in Redis (`SET NX EX` and `INCR` in one MULTI
pipeline, one round trip), `cache.add` then `cache.incr` in the local-memory cache (under its
lock), so concurrent requests never both slip under the limit.
Identities (IP addresses, e-mail addresses) are hashed before they become cache keys: the cache
holds no personal data.

The client IP is `fundmgr.audit.context.client_ip`, the one rule the audit trail and the log-in
lock-out use too: X-Forwarded-For is trusted only for as many proxies as
`settings.NUMBER_OF_PROXIES` says sit in front of the app; anything further left in that header
was written by the client and could be forged to dodge the limit.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from fundmgr.audit.context import client_ip  # noqa: F401  (re-exported: callers use rate_limit.client_ip)

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """`"10/m"` → Rate(10, 60); also `"100/30s"`, `"5/h"`, `"1000/d"`."""
        count, _, period = text.partition("/")
        unit = period[-1:]
        multiple = period[:-1] or "1"
        if not count.isdigit() or unit not in _PERIODS or not multiple.isdigit() or int(multiple) == 0:
            raise ValueError(f"a rate is written like '10/m' or '5/h', not {text!r}")
        return cls(int(count), int(multiple) * _PERIODS[unit])


def hit(scope: str, identity: str, rate: Rate | str) -> bool:
    """Count one hit of `identity` in `scope`; False when it goes over the limit.

    When the cache cannot be reached (Redis down), the hit is allowed and a warning is logged:
    the limit fails open. A rate limit only slows down bots; a pledge turned away is money a
    donor meant to give, and the form keeps its other guards (CSRF, honeypot, the signed minimum
    time, the idempotency key). Falling back to the database was the other choice: it would put
    a write per request on the system of record exactly while one of its services is down, and
    need a table and its clean-up, for limits that are approximate anyway.
    """
    if isinstance(rate, str):
        rate = Rate.parse(rate)
    if rate.count == 0:
        return False
    window = int(time.time() // rate.period)
    digest = hashlib.sha256(f"{scope}\0{identity}".encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    try:
        count = _count(key, timeout=rate.period + 1)
    except Exception as error:  # noqa: BLE001 - redis-py's ConnectionError, TimeoutError, …
        logger.warning(
            "rate limit %s not checked, the cache is unavailable (%s: %s); allowing the request",
            scope, type(error).__name__, error,
        )
        return True
    return count <= rate.count


def _count(key: str, *, timeout: int) -> int:
    """Add one to the window's counter (made with `timeout` if new) and return it.

    On Redis (Django's RedisCache), one round trip: `SET NX EX` and `INCR` in one MULTI pipeline,
    atomic, where `cache.add` and `cache.incr` took three (`incr` asks EXISTS first). Elsewhere
    (the local-memory cache of the embedded mode), `add` then `incr`."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is not None:
        redis_key = cache.make_and_validate_key(key)
        pipeline = client_of(redis_key, write=True).pipeline(transaction=True)
        pipeline.set(redis_key, 0, ex=timeout, nx=True)
        pipeline.incr(redis_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def seconds_left(rate: Rate | str) -> int:
    """Seconds until the current window of `rate` ends (at least 1): a refused caller's Retry-After."""
    if isinstance(rate, str):
        rate = Rate.parse(rate)
    now = time.time()
    return max(1, math.ceil((now // rate.period + 1) * rate.period - now))

"""Rate limits through Django's cache (Redis in production, so every web process shares them).

A limit is "count/period" (`"10/m"`, `"5/h"`): at most `count` hits per fixed window of the
period, per identity. Counting is `cache.add` then `cache.incr`, both atomic in Redis (and in
the local-memory cache, under its lock), so concurrent requests never both slip under the limit.
Identities (IP addresses, e-mail addresses) are hashed before they become cache keys: the cache
holds no personal data.

The client IP comes from X-Forwarded-For only for as many proxies as `settings.NUMBER_OF_PROXIES`
says sit in front of the app; anything further left in that header was written by the client and
could be forged to dodge the limit.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

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


def client_ip(request) -> str:
    """The address of the client, trusting X-Forwarded-For for `NUMBER_OF_PROXIES` hops only."""
    proxies = getattr(settings, "NUMBER_OF_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    # Each of our proxies appends the address it was connected from: the client is `proxies`
    # entries from the right. Fewer entries means every entry came from our proxies.
    return hops[-proxies] if len(hops) >= proxies else hops[0]


def hit(scope: str, identity: str, rate: Rate | str) -> bool:
    """Count one hit of `identity` in `scope`; False when it goes over the limit."""
    if isinstance(rate, str):
        rate = Rate.parse(rate)
    if rate.count == 0:
        return False
    window = int(time.time() // rate.period)
    digest = hashlib.sha256(f"{scope}\0{identity}".encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=rate.period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=rate.period + 1)
        count = 1
    return count <= rate.count

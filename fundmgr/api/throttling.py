"""Throttling of every API endpoint, counted in the cache (Redis when REDIS_URL is set, so all web
processes share the counts) by `fundmgr.security.rate_limit`: fixed windows, atomic increments,
open when the cache is down (the same rule as the public pages' limits).

Two limits apply to every request, both from `settings.API_THROTTLE_RATES`:
- per caller: a token counts by itself (`token`), a logged-in session by its user (`user`), an
  anonymous caller by its IP address, under the stricter `anonymous` rate;
- per IP address (`ip`), whoever calls: many tokens behind one address cannot add up past it.
A refused request is a 429 with Retry-After (the seconds until the window ends).
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from fundmgr.security import rate_limit

from .models import ApiToken


def _rates() -> dict:
    return settings.API_THROTTLE_RATES


class _WindowThrottle(BaseThrottle):
    def __init__(self):
        self.rate = None

    def identity(self, request) -> tuple[str, str] | None:
        """`(rate name, identity)` of the caller for this limit."""
        raise NotImplementedError

    def allow_request(self, request, view):
        found = self.identity(request)
        if found is None:
            return True
        name, identity = found
        self.rate = _rates()[name]
        return rate_limit.hit(f"api-{name}", identity, self.rate)

    def wait(self):
        return rate_limit.seconds_left(self.rate) if self.rate else None


class CallerThrottle(_WindowThrottle):
    def identity(self, request):
        token = request.auth
        if isinstance(token, ApiToken):
            return "token", str(token.pk)
        if request.user and request.user.is_authenticated:
            return "user", str(request.user.pk)
        return "anonymous", rate_limit.client_ip(request) or "unknown"


class AddressThrottle(_WindowThrottle):
    def identity(self, request):
        return "ip", rate_limit.client_ip(request) or "unknown"

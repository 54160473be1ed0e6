"""Who is acting, and from where: the request context that audit rows are stamped with.

`AuditContextMiddleware` binds the current request here (a `ContextVar`, so threads and async
tasks each see their own), and `audit_record` reads it: services never pass the user or the IP
address around. Code that runs outside a request (a command, a Celery task) binds an actor
itself with `bind(user=..., label=...)`, or leaves it empty and the row says "system".

The user is resolved lazily from the request: a request that writes no audit row costs no
query here.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class AuditContext:
    request: object | None = None
    explicit_user: object | None = None
    label: str = ""
    ip: str | None = None
    request_id: str = ""

    @property
    def user(self):
        """The acting user, or None for anonymous visitors and system work."""
        if self.explicit_user is not None:
            return self.explicit_user
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


_current: ContextVar[AuditContext | None] = ContextVar("fundmgr_audit_context", default=None)


def current() -> AuditContext:
    return _current.get() or AuditContext()


@contextmanager
def bind(*, request=None, user=None, label: str = "", ip: str | None = None, request_id: str = ""):
    """Make `user` (or the user of `request`) the actor of every audit row written inside."""
    if request is not None:
        ip = ip or client_ip(request)
        request_id = request_id or request_id_for(request)
    token = _current.set(
        AuditContext(request=request, explicit_user=user, label=label, ip=ip, request_id=request_id)
    )
    try:
        yield current()
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    """The client's IP address, trusting X-Forwarded-For only as far as our own proxies.

    Each proxy appends the address it received the request from, so with N trusted proxies
    (`settings.NUMBER_OF_PROXIES`) the client is the N-th entry from the right; everything to
    its left was written by the client and may be forged. Fewer entries than proxies means the
    request entered part-way down the chain: every entry was appended by our proxies, and the
    leftmost is the client. No header (or no proxies): the socket's address. Returns None for
    an unparseable address (then every such request shares one rate-limit bucket).

    The one implementation: audit rows, the log-in lock-out (`AXES_CLIENT_IP_CALLABLE`) and the
    rate limits (`fundmgr.security.rate_limit`, which imports it) all call this function.
    """
    proxies = getattr(settings, "NUMBER_OF_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            return _parse_ip(hops[-proxies] if len(hops) >= proxies else hops[0])
    return _parse_ip(remote)


def _parse_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def request_id_for(request) -> str:
    """The request's id: the one our proxy sent in X-Request-ID when it is well formed, else new."""
    existing = getattr(request, "audit_request_id", None)
    if existing:
        return existing
    offered = request.META.get("HTTP_X_REQUEST_ID", "") if getattr(settings, "NUMBER_OF_PROXIES", 0) else ""
    request_id = offered if _REQUEST_ID_PATTERN.match(offered) else uuid.uuid4().hex
    request.audit_request_id = request_id
    return request_id

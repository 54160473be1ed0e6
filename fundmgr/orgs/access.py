"""Who may write a record: the check every write service makes, itself, for each record it touches.

Admin actions, API views, forms, commands and tasks all call the same service, so the unit rule
lives here and in the services that call it, not in the callers: a list filtered by unit is not a
permission check for a write. A service names each record's unit (a fund's managing unit, a
pledge's campaign unit, a donor's unit, the unit a payment is received for) and asks
`access_units`, which refuses with `PermissionDenied` unless the actor holds the capability in
every one of them (in the unit or a unit above it).

`by=None` is the system acting on its own (the demo seed, beat jobs, a command run on the server
by its operator); every entry point that has a person passes that person, and an anonymous visitor
is a person without capabilities (`AnonymousUser`), who is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import OrgUnit
from .roles import user_can


def access_units(by, units: Iterable[OrgUnit | None], *, action: str, domain: str) -> None:
    """Refuse unless `by` may `action` in `domain` in each of `units` (None entries are skipped)."""
    if by is None:
        return
    for unit in units:
        if unit is not None and not user_can(by, action, domain, unit):
            raise PermissionDenied(
                _("Bạn không có quyền ghi vào đơn vị “%(unit)s”.") % {"unit": unit.name}
            )

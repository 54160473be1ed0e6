"""Every role × every endpoint × a row in the caller's own unit and one in another unit.

The endpoints come from the URL conf (`endpoints.api_routes`), the expected answer from the
view's own declaration (`api_domain`, `api_actions`, `public_actions`) read through
`fundmgr.api.permissions.required_capability` and the capability table (`user_can`):

  anonymous on a non-public action            401
  no capability for the action in any unit    403
  a row outside the units where it may view   404 (the scoped queryset does not find it)
  otherwise                                   allowed: 2xx, or 400/409/415/422 for the empty body sent

A view without a declaration, an action without a capability, or a resource without rows
(`endpoints.ROW_MAKERS`) fails here, so an endpoint cannot ship outside the matrix.
Each caller uses a read-write token (the token path is the integrations' path).
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from fundmgr.api.permissions import PUBLIC, required_capability, user_can_any
from fundmgr.orgs.models import Membership
from fundmgr.orgs.roles import Action

from .conftest import token_client, token_for
from .endpoints import ROW_MAKERS, api_routes, world_make

pytestmark = pytest.mark.django_db

# Allowed through: an answer, or a refusal of the empty JSON body sent (415 from an upload-only endpoint).
ALLOWED = frozenset({200, 201, 204, 400, 409, 415, 422})
PRINCIPALS = ["anonymous", "no-role", "superuser", *Membership.Role.values]
ROUTES = api_routes()


def capability_of(route, action):
    view = route.view()
    view.action = action
    return required_capability(view, action)


def test_every_endpoint_is_covered():
    """Each route declares a capability for each of its actions, and its resource has rows."""
    problems = []
    for route in ROUTES:
        for method, action in route.actions.items():
            try:
                capability_of(route, action)
            except ImproperlyConfigured as error:
                problems.append(f"{route.name} {method.upper()}: {error}")
        if route.basename not in ROW_MAKERS:
            problems.append(f"{route.name}: no row maker in tests/api/endpoints.py ROW_MAKERS")
    assert not problems, "\n".join(problems)
    assert {"api:pledge-list", "api:payment-detail", "api:award-list"} <= {route.name for route in ROUTES}


def expected_statuses(user, route, action, unit, row=None) -> frozenset[int]:
    domain, capability = capability_of(route, action)
    if domain == PUBLIC:
        return ALLOWED
    if user is None:
        return frozenset({401})
    if not user_can_any(user, capability, domain):
        return frozenset({403})
    if unit is not None:
        # A resource of several domains (report runs): a row is read by those of its own domain.
        domain = (row or {}).get("domain", domain)
        if not user_can_any(user, Action.VIEW, domain, unit):
            return frozenset({404})
        if not user_can_any(user, capability, domain, unit):
            return frozenset({403})
    return ALLOWED


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_permission_matrix(principal, units, make_user):
    world = world_make(units)
    own, other = units.commune_a, units.commune_b
    rows = {}
    for basename in {route.basename for route in ROUTES}:
        rows[basename] = {unit.pk: ROW_MAKERS[basename](world, unit, 1)[0] for unit in (own, other)}

    if principal == "anonymous":
        user, client = None, token_client("")
        client.credentials()
    else:
        user = make_user(
            f"u-{principal}", superuser=principal == "superuser",
            role=principal if principal in Membership.Role.values else None, unit=own,
        )
        client = token_client(token_for(user))

    mismatches = []
    checked = 0
    for route in ROUTES:
        targets = [None] if not route.kwargs else [own, other]
        for unit in targets:
            row = None if unit is None else rows[route.basename][unit.pk]
            kwargs = {} if unit is None else {name: row[name] for name in route.kwargs}
            url = reverse(route.name, kwargs=kwargs)
            for method, action in route.actions.items():
                expected = expected_statuses(user, route, action, unit, row)
                response = getattr(client, method)(url, {} if method != "get" else None, format="json")
                checked += 1
                where = "" if unit is None else (" (own unit)" if unit == own else " (other unit)")
                if response.status_code not in expected:
                    mismatches.append(f"{method.upper()} {url}{where}: {response.status_code}, expected {sorted(expected)}")
                elif response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"code", "message", "errors"}, (url, body)
    assert checked >= len(ROUTES)
    assert not mismatches, f"{principal}:\n" + "\n".join(mismatches)

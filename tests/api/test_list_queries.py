"""Every list endpoint runs the same number of queries for 5 rows and for 50.

The list endpoints come from the URL conf (`endpoints.api_routes`); the rows from `ROW_MAKERS`.
Each list is read by a token of a role that may view its domain in the unit, as a fresh request
each time (the user's memberships are read once per request).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fundmgr.api.permissions import PUBLIC, required_capability
from fundmgr.orgs.roles import roles_with

from .conftest import token_client, token_for
from .endpoints import ROW_MAKERS, api_routes, world_make

pytestmark = pytest.mark.django_db

LIST_ROUTES = [route for route in api_routes() if route.is_list and "get" in route.actions]


def reader_role(route) -> str | None:
    view = route.view()
    view.action = "list"
    domain, capability = required_capability(view, "list")
    if domain == PUBLIC:
        return None
    domains = domain if isinstance(domain, tuple) else (domain,)  # report runs: any of several
    return sorted(roles_with(capability, domains[0]))[0]


def rows(data) -> int:
    """The rows behind a list: its count, or for a cursor page (no count) the rows of the page."""
    return data["count"] if "count" in data else len(data["results"])


@pytest.mark.parametrize("route", LIST_ROUTES, ids=[route.name for route in LIST_ROUTES])
def test_a_list_costs_the_same_for_5_and_50_rows(route, units, make_user):
    world = world_make(units)
    role = reader_role(route)
    client = token_client(token_for(make_user("reader", role=role, unit=units.province))) if role else token_client("")
    if role is None:
        client.credentials()
    url = reverse(route.name)
    make = ROW_MAKERS[route.basename]

    client.get(url)  # the token's first use of the minute records it (one UPDATE): not part of the list
    make(world, units.commune_a, 5)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url, {"limit": 100})
    make(world, units.commune_a, 45)
    with CaptureQueriesContext(connection) as many:
        large = client.get(url, {"limit": 100})

    assert small.status_code == large.status_code == 200
    # The world has rows of its own (a campaign, a fund, an entry per unit): 45 more, whatever it began with.
    assert rows(small.json()) >= 5 and rows(large.json()) - rows(small.json()) == 45
    assert len(many) == len(few), "\n".join(query["sql"] for query in many.captured_queries)

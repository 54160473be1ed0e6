"""Schemathesis against /api/schema/, all checks on, on PostgreSQL: as an anonymous caller and as
a treasurer with a read-write token. No 5xx, no answer outside the schema (status, body, headers),
on every operation the schema lists, so the endpoints h5/h6 add are tested as they arrive.

Needs the `schemathesis` package (pinned in requirements/dev.txt). Without it the test is skipped
on a developer's machine and fails under CI (`require_service`).
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from fundmgr.wsgi import application
from tests.conftest import require_service

from .conftest import token_for
from .endpoints import ROW_MAKERS, world_make

try:
    import schemathesis
except ImportError:  # the lead installs it from requirements/dev.txt
    schemathesis = None

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EXAMPLES = settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def api_schema(db, units):
    """The schema as the site serves it, with rows behind every endpoint of both units."""
    world = world_make(units)
    for make in ROW_MAKERS.values():
        for unit in (units.commune_a, units.commune_b):
            make(world, unit, 2)
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


if schemathesis is not None:
    from schemathesis.config import SchemathesisConfig

    # Every check stays on. A schema says which requests are well formed, not which rows exist or
    # which business rules hold: a well-formed request naming no such campaign or donor, or an
    # amount the service refuses, is a 400 in the one error format (documented on each operation),
    # and a key reused with another body a 422. Those are the API refusing on purpose.
    CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"],
    }}})


if schemathesis is None:

    def test_schemathesis_is_installed():
        require_service(False, "the schemathesis package (requirements/dev.txt)")

else:
    schema = schemathesis.pytest.from_fixture("api_schema")

    @schema.parametrize()
    @EXAMPLES
    def test_the_api_keeps_its_schema_for_anonymous_callers(case):
        case.call_and_validate()

    @schema.parametrize()
    @EXAMPLES
    def test_the_api_keeps_its_schema_for_a_treasurer_with_a_token(case, treasurer):
        case.call_and_validate(headers={"Authorization": f"Bearer {token_for(treasurer)}"})

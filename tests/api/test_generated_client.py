"""An integrator's path: a Python client generated from `/api/schema/` (openapi-python-client)
records a payment against the running site with a token. The schema must be complete enough for
that: the request body, the Idempotency-Key header, the token scheme and the answer's model."""

import datetime
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from donations.models import Payment
from fundmgr.orgs.models import Membership

from .conftest import token_for
from .endpoints import make_pledges, world_make

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_records_a_payment(live_server, units, make_user, tmp_path, monkeypatch):
    world = world_make(units)
    [pledge] = make_pledges(world, units.commune_a, 1)
    treasurer = make_user("thuquy_a", role=Membership.Role.TREASURER, unit=units.commune_a)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))

    package = tmp_path / "fundmgr_client"
    # The generator formats its code with ruff, which it looks for on PATH (the virtualenv's).
    monkeypatch.setenv("PATH", f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema), "--output-path", str(package), "--meta", "none"],
        capture_output=True, text=True,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    client_module = importlib.import_module("fundmgr_client")
    create = importlib.import_module("fundmgr_client.api.v1.v1_payments_create")
    models = importlib.import_module("fundmgr_client.models")

    client = client_module.AuthenticatedClient(base_url=live_server.url, token=token_for(treasurer))
    body = models.PaymentCreate(
        pledge=pledge["reference"], amount=300_000, method=models.PaymentMethodEnum.BANK_TRANSFER,
        received_on=datetime.date.today(), bank_reference="FT-CLIENT-1",
    )
    first = create.sync_detailed(client=client, body=body, idempotency_key="client-1")
    again = create.sync_detailed(client=client, body=body, idempotency_key="client-1")

    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.parsed.amount == 300_000 and first.parsed.id == again.parsed.id
    payment = Payment.objects.get()
    assert (payment.pk, payment.pledge.reference, payment.recorded_by) == (first.parsed.id, pledge["reference"], treasurer)


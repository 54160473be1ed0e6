"""As the application's database role, a token can be used and revoked, never rewritten or deleted:
an injected statement cannot extend a token's expiry, widen its scope or swap its digest."""

import pytest
from django.db import DatabaseError, connection, transaction

from fundmgr.api.models import ApiToken
from fundmgr.api.services import api_token_revoke
from tests.ledger.helpers import acting_as, app_role_create

from .conftest import token_client, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_app_role_uses_and_revokes_tokens_and_rewrites_none(treasurer):
    plain = token_for(treasurer)
    token = ApiToken.objects.get()
    role = app_role_create()
    with acting_as(role):
        assert token_client(plain).get("/api/v1/pledges/").status_code == 200
        for sql in (
            "UPDATE api_apitoken SET expires_at = expires_at + interval '10 years'",
            "UPDATE api_apitoken SET scope = 'read-write', digest = 'x'",
            "DELETE FROM api_apitoken",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
        api_token_revoke(token=token, by=treasurer)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.last_used_at is not None

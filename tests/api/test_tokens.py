"""Integration tokens: stored hashed, shown once, refused when expired or revoked, scoped."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fundmgr.api.models import ApiToken
from fundmgr.api.services import api_token_create, api_token_revoke
from fundmgr.audit.models import AuditEvent

from .conftest import token_client, token_for

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_as_its_hash_with_a_visible_prefix_and_an_audit_row(treasurer):
    expires = timezone.now() + datetime.timedelta(days=90)
    token, plain = api_token_create(user=treasurer, name="Webhook ngân hàng", scope="read", expires_at=expires, by=treasurer)

    assert plain.startswith("khq_") and len(plain) > 40
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert token.prefix == plain[:12]
    stored = ApiToken.objects.values_list(flat=False).get(pk=token.pk)
    assert plain not in [str(value) for value in stored]
    event = AuditEvent.objects.get(model_label="api.apitoken", object_id=str(token.pk))
    assert (event.action, event.after["scope"], event.after["prefix"]) == ("create", "read", token.prefix)
    assert "digest" not in event.after


@pytest.mark.parametrize("days, field", [(0, "expires_at"), (-1, "expires_at"), (366, "expires_at")])
def test_an_expiry_must_be_ahead_and_within_a_year(treasurer, days, field):
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=treasurer, name="x", scope="read", expires_at=timezone.now() + datetime.timedelta(days=days))
    assert field in refused.value.message_dict
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_reads_the_api(treasurer, keyword):
    plain = token_for(treasurer)
    client = token_client("")
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {plain}")
    response = client.get("/api/v1/pledges/")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def _refusal(client):
    response = client.get("/api/v1/pledges/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["code"] == "authentication_failed"
    return body["message"]


def test_expired_revoked_and_unknown_tokens_are_401(treasurer):
    plain = token_for(treasurer)
    token = ApiToken.objects.get()
    assert _refusal(token_client(plain[:-2] + "xx")) == "Khóa API không đúng."
    assert _refusal(token_client("not-a-token")) == "Khóa API không đúng."

    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - datetime.timedelta(days=30), expires_at=now - datetime.timedelta(seconds=1)
    )
    assert _refusal(token_client(plain)) == "Khóa API đã hết hạn."

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + datetime.timedelta(days=1))
    api_token_revoke(token=token, by=treasurer)
    assert _refusal(token_client(plain)) == "Khóa API đã bị thu hồi."
    assert AuditEvent.objects.filter(model_label="api.apitoken", action="transition").count() == 1


def test_a_refusal_speaks_english_to_an_english_client(treasurer):
    client = token_client("khq_unknown")
    response = client.get("/api/v1/pledges/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "The API token is not valid."


def test_a_read_token_may_not_write(treasurer, units):
    client = token_client(token_for(treasurer, scope="read"))
    assert client.get("/api/v1/payments/").status_code == 200
    response = client.post("/api/v1/pledges/", {"campaign": "x", "donor_name": "A", "amount": 5}, format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": "Khóa API này chỉ có quyền đọc.", "errors": {}}


def test_a_read_write_token_writes_as_its_user(treasurer):
    client = token_client(token_for(treasurer))
    response = client.post("/api/v1/pledges/", {"campaign": "none", "donor_name": "A", "amount": 5}, format="json")
    assert response.status_code == 400  # reached the view: the campaign is not found
    assert response.json()["errors"] == {"campaign": ["Không tìm thấy chiến dịch."]}


def test_the_session_still_works_for_the_browser(client, treasurer):
    client.force_login(treasurer)
    assert client.get("/api/v1/pledges/").status_code == 200


def test_the_admin_shows_the_token_once_and_stores_only_its_hash(client, treasurer):
    client.force_login(treasurer)
    expires = (timezone.localtime() + datetime.timedelta(days=30)).replace(microsecond=0)
    response = client.post("/admin/api/apitoken/add/", {
        "name": "Bảng điều khiển tỉnh", "scope": "read",
        "expires_at_0": expires.strftime("%d/%m/%Y"), "expires_at_1": expires.strftime("%H:%M:%S"),
    })
    assert response.status_code == 200, response.content[:500]
    token = ApiToken.objects.get()
    page = response.content.decode()
    start = page.index('<code id="api-token">') + len('<code id="api-token">')
    plain = page[start:page.index("</code>", start)]
    assert hashlib.sha256(plain.encode()).hexdigest() == token.digest
    assert (token.user, token.scope) == (treasurer, "read")
    # Never again: the token's page shows the prefix only.
    detail = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert plain not in detail and token.prefix in detail
    assert token_client(plain).get("/api/v1/pledges/").status_code == 200


def test_the_admin_refuses_an_expiry_beyond_a_year(client, treasurer):
    client.force_login(treasurer)
    expires = timezone.localtime() + datetime.timedelta(days=400)
    response = client.post("/admin/api/apitoken/add/", {
        "name": "x", "scope": "read", "expires_at_0": expires.strftime("%d/%m/%Y"), "expires_at_1": "10:00:00",
    })
    assert "Khóa API có hạn tối đa 365 ngày." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_the_admin_revokes_and_lists_only_ones_own_tokens(client, treasurer, make_user):
    other = make_user("khac")
    token_for(other)
    plain = token_for(treasurer)
    mine = ApiToken.objects.get(user=treasurer)
    client.force_login(treasurer)
    listing = client.get("/admin/api/apitoken/").content.decode()
    assert mine.prefix in listing and ApiToken.objects.get(user=other).prefix not in listing
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert token_client(plain).get("/api/v1/pledges/").status_code == 401


def test_the_service_lets_a_person_manage_only_their_own_tokens(treasurer, make_user):
    other = make_user("kiemtra", role="auditor", unit=treasurer.memberships.first().unit)
    expires = timezone.now() + datetime.timedelta(days=30)
    with pytest.raises(PermissionDenied):
        api_token_create(user=treasurer, name="không phải của tôi", scope=ApiToken.Scope.READ, expires_at=expires, by=other)
    token, _plain = api_token_create(user=treasurer, name="của tôi", scope=ApiToken.Scope.READ, expires_at=expires, by=treasurer)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, by=other)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    root = make_user("root", superuser=True)
    assert api_token_revoke(token=token, by=root).revoked_at is not None

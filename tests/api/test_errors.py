"""One error format for every 4xx and 5xx under /api/, in the request's language, in the schema."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from donations.api.views import DonorViewSet

from .conftest import token_client, token_for

pytestmark = pytest.mark.django_db

FORMAT = {"code", "message", "errors"}


@pytest.fixture
def api(treasurer):
    return token_client(token_for(treasurer))


def test_the_root_lists_every_resource(api):
    response = APIClient().get("/api/v1/")
    assert response.status_code == 200
    resources = response.json()
    assert resources["pledge"].endswith("/api/v1/pledges/")
    assert {"donor", "pledge", "payment", "student", "scholarship-program", "award"} <= set(resources)


@pytest.mark.parametrize("language, message", [
    ("vi", "Không tìm thấy địa chỉ này trong API."), ("en", "This address does not exist in the API."),
])
def test_an_unknown_url_is_a_json_404(api, language, message):
    response = api.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": message, "errors": {}}


def test_a_row_outside_the_units_is_a_404_in_the_format(api):
    response = api.get("/api/v1/pledges/NOPE-1/")
    assert response.status_code == 404
    assert set(response.json()) == FORMAT and response.json()["code"] == "not_found"


def test_a_method_not_allowed_is_a_405_with_allow(api):
    response = api.delete("/api/v1/pledges/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_an_unsupported_media_type_is_a_415(api):
    response = api.post("/api/v1/pledges/", "a,b", content_type="text/csv")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")


def test_an_unacceptable_accept_is_a_406(api):
    response = api.get("/api/v1/pledges/", HTTP_ACCEPT="application/xml")
    assert (response.status_code, response.json()["code"]) == (406, "not_acceptable")


def test_field_errors_name_their_fields(api):
    response = api.post("/api/v1/payments/", {"amount": "many"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"] == "Dữ liệu gửi lên không hợp lệ."
    assert set(body["errors"]) >= {"amount", "method", "received_on"}


def test_an_unhandled_exception_is_a_json_500(api, monkeypatch):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(DonorViewSet, "get_queryset", broken)
    response = api.get("/api/v1/donors/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "The server had an error; please try again later.", "errors": {}}


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_error_and_each_operations_statuses(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert set(schema["components"]["schemas"]["Error"]["required"]) == FORMAT
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/payments/"]["post"]
    assert {"400", "401", "403", "413", "415", "422", "429", "500"} <= set(create["responses"])
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert any(parameter["name"] == "Idempotency-Key" and parameter["in"] == "header" for parameter in create["parameters"])
    detail = schema["paths"]["/api/v1/payments/{id}/"]["get"]
    assert {"401", "403", "404", "429"} <= set(detail["responses"])


def test_a_key_reused_with_another_body_is_a_422_in_the_format(api, units):
    from .endpoints import world_make

    world = world_make(units)
    campaign = world.campaigns[units.commune_a.pk]
    body = {"campaign": campaign.slug, "donor_name": "Nguyễn Văn An", "phone": "0912345678", "amount": 1_000_000}
    first = api.post("/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post("/api/v1/pledges/", {**body, "amount": 2_000_000}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json() == {
        "code": "idempotency_key_reused", "message": "Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác.",
        "errors": {"idempotency_key": ["Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."]},
    }

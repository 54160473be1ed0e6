"""The one error format of the API, for every 4xx and 5xx:

    {"code": "invalid", "message": "Dữ liệu gửi lên không hợp lệ.", "errors": {"amount": ["…"]}}

`code` is stable and meant for programs; `message` is for people, in the request's language
(Accept-Language: vi or en); `errors` maps a field (or `non_field_errors`) to its messages, and
is empty when no field is to blame. `api_exception_handler` (settings.REST_FRAMEWORK) shapes what
the views raise; `ApiErrorMiddleware` shapes what never reached a view (an unknown URL, a body
too large, a CSRF failure) and turns an unhandled exception under /api/ into a JSON 500.

A service's refusal becomes an answer here too: a Django ValidationError is a 400 with the same
field names and messages; an idempotency key reused for another request is a 422 that reveals
nothing of the first; a request for what was done already (`AlreadyDone`: a receipt voided
before) is a 409 with the service's code.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler

from fundmgr.idempotency.services import AlreadyDone, IdempotencyKeyReused

logger = logging.getLogger("django.request")


class IdempotencyKeyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class StateConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def service_errors(error: DjangoValidationError) -> APIException:
    if isinstance(error, IdempotencyKeyReused):
        return IdempotencyKeyConflict({"idempotency_key": error.message_dict["idempotency_key"]})
    if isinstance(error, AlreadyDone):
        return StateConflict(" ".join(error.messages), code=getattr(error, "code", None) or StateConflict.default_code)
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
        return serializers.ValidationError(detail)
    return serializers.ValidationError({"non_field_errors": error.messages})


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or {}}


def _field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as flat `{"field" or "field.sub" or "items.0.field": [messages]}`."""
    if isinstance(detail, dict):
        flat = {}
        for field, value in detail.items():
            flat.update(_field_errors(value, f"{prefix}.{field}" if prefix else str(field)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_field_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = [str(item) for item in (detail if isinstance(detail, list) else [detail])]
    return {prefix or "non_field_errors": messages} if messages else {}


def _body_of(exc: APIException) -> dict:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(detail)
        return error_body("invalid", _("Dữ liệu gửi lên không hợp lệ."), errors)
    if isinstance(detail, dict):
        # An APIException raised with field messages (the 422 of an idempotency key).
        errors = _field_errors(detail)
        first = next(iter(errors.values()), [""])[0]
        return error_body(exc.default_code, first or str(exc.default_detail), errors)
    code = getattr(detail, "code", None) or exc.default_code
    return error_body(str(code), str(detail))


def api_exception_handler(exc, context):
    """DRF's handler (status, WWW-Authenticate, Retry-After, rollback) with the one body."""
    if isinstance(exc, DjangoValidationError):
        exc = service_errors(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: ApiErrorMiddleware answers the 500
    response.data = _body_of(exc)
    return response


# What a request that never reached a view gets: its status says what went wrong.
_STATUS_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "request_too_large", 415: "unsupported_media_type",
    429: "throttled",
}


def _status_message(status_code: int) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        403: _("Bạn không có quyền thực hiện thao tác này."),
        404: _("Không tìm thấy địa chỉ này trong API."),
        405: _("Phương thức này không được hỗ trợ ở địa chỉ này."),
        413: _("Dữ liệu gửi lên quá lớn."),
    }
    return messages.get(status_code) or _("Máy chủ gặp lỗi; hãy thử lại sau.")


def _is_api(request) -> bool:
    return request.path_info.startswith(getattr(settings, "API_PATH_PREFIX", "/api/"))


def _json_error(request, status_code: int, code: str | None = None) -> JsonResponse:
    language = translation.get_language_from_request(request)
    with translation.override(language):
        body = error_body(code or _STATUS_CODES.get(status_code, "server_error"), _status_message(status_code))
    return JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})


class ApiErrorMiddleware:
    """Under /api/: an error answer that is not JSON becomes the one format; an unhandled
    exception becomes a JSON 500 (logged as Django logs it). Placed first, to see every answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            _is_api(request) and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = _json_error(request, response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500, "request": request})
        return _json_error(request, 500, "server_error")

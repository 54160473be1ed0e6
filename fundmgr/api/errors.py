"""A service's refusal as the API's answer: a ValidationError is a 400 with the same field names and
messages; an idempotency key reused for another request is a 422 that reveals nothing of the first."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from fundmgr.idempotency.services import IdempotencyKeyReused


class IdempotencyKeyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def service_errors(error: DjangoValidationError) -> APIException:
    if isinstance(error, IdempotencyKeyReused):
        return IdempotencyKeyConflict({"idempotency_key": error.message_dict["idempotency_key"]})
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
        return serializers.ValidationError(detail)
    return serializers.ValidationError({"non_field_errors": error.messages})

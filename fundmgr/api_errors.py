"""A service's ValidationError as the API's 400: the same field names, the same messages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
        return serializers.ValidationError(detail)
    return serializers.ValidationError({"non_field_errors": error.messages})

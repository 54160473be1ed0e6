"""The API's filter backend: django-filter, strict about what it was given.

django-filter treats a filter whose value is empty (`?status=`) or unreadable as a boolean
(`?overdue=maybe`) as if it were absent, and answers the whole list: a client with a typo gets
everything and never knows. Here such a value is a 400 that names the parameter; the schema's
types (booleans `true`/`false`, whole numbers for amounts, years and ids) are what the API
accepts, and a parameter the list does not know (`?statsu=open`) is a 400 too.
"""

import re

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django_filters import BooleanFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = frozenset({"true", "false"})
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# What every list reads besides its filters: the pages and the order.
PAGING_PARAMETERS = frozenset({"limit", "offset", "cursor", "ordering"})


def _is_integer_field(model, path: str) -> bool:
    """Whether `path` (`award__amount`) ends at an integer column: its filter takes whole numbers."""
    field = None
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        model = field.related_model or model
    return isinstance(field, models.IntegerField | models.ForeignKey)


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name in set(request.query_params) - set(filterset.filters) - PAGING_PARAMETERS:
            errors[name] = [_("Danh sách này không có tham số lọc này.")]
        for name, query_filter in filterset.filters.items():
            for value in request.query_params.getlist(name):
                if value == "":
                    errors[name] = [_("Tham số lọc này không được để trống.")]
                elif isinstance(query_filter, BooleanFilter) and value not in BOOLEAN_VALUES:
                    errors[name] = [_("Tham số lọc này chỉ nhận true hoặc false.")]
                elif (
                    isinstance(query_filter, NumberFilter) and not WHOLE_NUMBER.fullmatch(value)
                    and _is_integer_field(filterset._meta.model, query_filter.field_name)
                ):
                    errors[name] = [_("Tham số lọc này là một số nguyên.")]
        if errors:
            raise ValidationError(errors)
        return filterset

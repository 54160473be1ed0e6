"""The API's filter backend: django-filter, strict about what it was given.

django-filter treats a filter whose value is empty (`?status=`) or unreadable as a boolean
(`?overdue=maybe`) as if it were absent, and answers the whole list: a client with a typo gets
everything and never knows. Here such a value is a 400 that names the parameter; the schema's
types (booleans `true`/`false`) are what the API accepts.
"""

from django.utils.translation import gettext as _
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = frozenset({"true", "false"})


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name, query_filter in filterset.filters.items():
            for value in request.query_params.getlist(name):
                if value == "":
                    errors[name] = [_("Tham số lọc này không được để trống.")]
                elif isinstance(query_filter, BooleanFilter) and value not in BOOLEAN_VALUES:
                    errors[name] = [_("Tham số lọc này chỉ nhận true hoặc false.")]
        if errors:
            raise ValidationError(errors)
        return filterset

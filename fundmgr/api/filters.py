"""Filters every list of the API shares: ordering by a whitelist, and search by name without diacritics.

Ordering: each view names the fields it may be ordered by (`ordering_fields`, never "__all__", which
would let a caller sort by any column, hidden ones included); the primary key is appended as the
last key, so rows that tie keep one order from page to page (a cursor page needs that).

Names without diacritics ("Thanh Hoa" finds "Thanh Hóa"): donors store their name compared that way
(`name_normalized`); small tables that store no such column (funds, campaigns) are searched by
reading their names once (`names_matching`): one query however many rows match.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from fundmgr.core.contacts import name_normalize


class StableOrderingFilter(OrderingFilter):
    def get_schema_operation_parameters(self, view):
        fields = list(getattr(view, "ordering_fields", None) or [])
        (parameter,) = super().get_schema_operation_parameters(view)
        parameter["description"] = "sort by one of these fields; a leading '-' sorts descending"
        parameter["schema"] = {"type": "string", "enum": [f"{sign}{field}" for field in fields for sign in ("", "-")]}
        return [parameter]

    def remove_invalid_fields(self, queryset, fields, view, request):
        # DRF drops an order it does not know and answers unsorted; a typo here is a 400.
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len([field for field in fields if field]):
            raise ValidationError({self.ordering_param: [_("Không sắp xếp được theo trường này.")]})
        return valid

    def get_ordering(self, request, queryset, view):
        if request.query_params.get(self.ordering_param, None) == "":
            raise ValidationError({self.ordering_param: [_("Không sắp xếp được theo trường này.")]})
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            descending = bool(ordering) and ordering[0].startswith("-")
            ordering.append("-pk" if descending or not ordering else "pk")
        return ordering


def names_matching(queryset: QuerySet, text: str, *fields: str) -> QuerySet:
    """Rows of `queryset` whose `fields` contain `text`, compared without diacritics or case.

    For tables of tens or hundreds of rows (funds, campaigns): the names are read in one query and
    compared here; the answer is a filter by primary key, so the caller's query stays one query.
    """
    wanted = name_normalize(text)
    if not wanted:
        return queryset
    fields = fields or ("name",)
    matching = [
        row[0] for row in queryset.order_by().values_list("pk", *fields)
        if any(wanted in name_normalize(value or "") for value in row[1:])
    ]
    return queryset.filter(pk__in=matching)

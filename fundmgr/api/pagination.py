"""The API's two paginations: `?limit=` and `?offset=` (a page of at most 200 rows), and, for the
lists that grow with every payment (journal entries, receipts, bank-statement lines), a cursor
(`?cursor=` and `?limit=`, the same cap) that costs no COUNT and no OFFSET however deep one pages.

DRF's `LimitOffsetPagination` passes any integer it can read to the database: `?limit=10**19`
overflows the 64-bit LIMIT of SQLite and PostgreSQL (a 500), and a limit or offset it cannot read
is silently replaced by the default. Here a limit above the cap is cut to the cap (the answer's
`next` link leads on), and a limit or offset that is not a plain non-negative integer is a 400 that
says what is allowed, in Vietnamese (English in the catalogue).
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, LimitOffsetPagination

# ASCII digits only: int() also reads Arabic-Indic and other Unicode digits.
_NUMBER = re.compile(r"[0-9]+")
# Far past any table here, and with any limit still inside a signed 64-bit integer.
MAX_OFFSET = 10**15


MAX_PAGE_SIZE = 200


def _number(request, name: str) -> int | None:
    """The query parameter `name` as a non-negative integer; None when absent, -1 when unreadable."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if not _NUMBER.fullmatch(text):
        return -1
    # Read no more digits than needed: a number this long is past every bound anyway.
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def _page_size(request, name: str, default: int) -> int:
    limit = _number(request, name)
    if limit is None:
        return default
    if limit < 1:
        raise ValidationError({name: [
            _("Tham số limit phải là một số nguyên dương (mỗi trang tối đa %(maximum)d dòng).")
            % {"maximum": MAX_PAGE_SIZE}
        ]})
    return min(limit, MAX_PAGE_SIZE)


def _document_bounds(parameters: list[dict], limit_name: str, offset_name: str | None = None) -> list[dict]:
    for parameter in parameters:
        if parameter["name"] == limit_name:
            parameter["description"] = f"rows per page, at most {MAX_PAGE_SIZE} (a larger number is cut to it)"
            parameter["schema"] = {"type": "integer", "minimum": 1}
        elif parameter["name"] == offset_name:
            parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}
    return parameters


class ApiPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        return _document_bounds(parameters, self.limit_query_param, self.offset_query_param)

    def get_limit(self, request):
        return _page_size(request, self.limit_query_param, self.default_limit)

    def get_offset(self, request):
        offset = _number(request, self.offset_query_param)
        if offset is None:
            return 0
        if not 0 <= offset <= MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [
                _("Tham số offset phải là một số nguyên từ 0 đến %(maximum)d.") % {"maximum": MAX_OFFSET}
            ]})
        return offset


class ApiCursorPagination(CursorPagination):
    """`?cursor=` and `?limit=` (at most 200 rows): newest first unless the view's ordering says
    otherwise. The view's `OrderingFilter` may reorder; its first field is the cursor's position
    and the primary key breaks ties (`fundmgr.api.filters.StableOrderingFilter`)."""

    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-pk",)

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size)

    def get_schema_operation_parameters(self, view):
        return _document_bounds(super().get_schema_operation_parameters(view), self.page_size_query_param)

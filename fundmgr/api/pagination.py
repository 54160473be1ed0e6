"""The API's two paginations: `?limit=` and `?offset=` (a page of at most 200 rows), and, for the
lists that grow with every payment (journal entries, receipts, bank-statement lines), a cursor
(`?cursor=` and `?limit=`, the same cap) that costs no COUNT and no OFFSET however deep one pages.

DRF's `LimitOffsetPagination` passes any integer it can read to the database: `?limit=10**19`
overflows the 64-bit LIMIT of SQLite and PostgreSQL (a 500), and a limit or offset it cannot read
is silently replaced by the default. Here a limit above the cap is cut to the cap (the answer's
`next` link leads on), and a limit or offset that is not a plain non-negative integer is a 400 that
says what is allowed, in Vietnamese (English in the catalogue).
"""

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination

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


def _page_size(request, name: str, default: int, maximum: int) -> int:
    limit = _number(request, name)
    if limit is None:
        return default
    if limit < 1:
        raise ValidationError({name: [
            _("Tham số limit phải là một số nguyên dương (mỗi trang tối đa %(maximum)d dòng).")
            % {"maximum": maximum}
        ]})
    return min(limit, maximum)


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
        return _page_size(request, self.limit_query_param, self.default_limit, self.max_limit)

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
    otherwise (`?ordering=` by one whitelisted field; `fundmgr.api.filters.StableOrderingFilter`
    appends the primary key, in the same direction, to break ties).

    The cursor is a keyset: the position is the last row's (field, pk), and the next page starts
    after it (`field > value OR (field = value AND pk > pk)`). DRF's own cursor keeps only the
    field and skips the rows of a tie by OFFSET, capped at 1000: with more than 1000 receipts of one
    day or one amount it would serve the same page again. Here a page costs one indexed range
    whatever the ties.
    """

    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-pk",)

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def _get_position_from_instance(self, instance, ordering):
        value = super()._get_position_from_instance(instance, ordering)
        return json.dumps([value, instance.pk])

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = _keyset_ordering(self.get_ordering(request, queryset, view))
        self.cursor = self.decode_cursor(request)
        backwards = self.cursor is not None and self.cursor.reverse
        position = None if self.cursor is None else self.cursor.position
        # A "previous" link reads backwards from the first row of the page it came from.
        ordering = [_reversed(field) for field in self.ordering] if backwards else list(self.ordering)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = self._after(queryset, ordering[0], position)
        rows = list(queryset[: self.page_size + 1])
        self.page = rows[: self.page_size]
        more = len(rows) > len(self.page)
        if backwards:
            self.page.reverse()
        self.has_next = (position is not None) if backwards else more
        self.has_previous = more if backwards else (position is not None)
        self.next_position = self.previous_position = position
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        position = self._get_position_from_instance(self.page[-1], self.ordering) if self.page else self.next_position
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        position = self._get_position_from_instance(self.page[0], self.ordering) if self.page else self.previous_position
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=position))

    def decode_cursor(self, request):
        # A cursor that is not one of ours is bad input (400, naming it), not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None

    def _after(self, queryset, order: str, position: str):
        """Rows strictly after `position` (the keyset [value, pk]) in the order `order` names."""
        try:
            value, pk = json.loads(position)
            field = order.lstrip("-")
            lookup = "lt" if order.startswith("-") else "gt"
            return queryset.filter(Q(**{f"{field}__{lookup}": value}) | Q(**{field: value, f"pk__{lookup}": int(pk)}))
        except (TypeError, ValueError, DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None


def _keyset_ordering(ordering) -> tuple[str, ...]:
    """The first field of `ordering`, then the primary key in the same direction (the keyset)."""
    first = ordering[0]
    if first.lstrip("-") in ("pk", "id"):
        return ("-pk",) if first.startswith("-") else ("pk",)
    return (first, "-pk" if first.startswith("-") else "pk")


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"

"""The one pagination of the API: `?limit=` and `?offset=`, with a page of at most 200 rows.

DRF's `LimitOffsetPagination` passes any integer it can read to the database: `?limit=10**19`
overflows the 64-bit LIMIT of SQLite and PostgreSQL (a 500), and a limit or offset it cannot read
is silently replaced by the default. Here a limit above the cap is cut to the cap (the answer's
`next` link leads on), and a limit or offset that is not a plain non-negative integer is a 400 that
says what is allowed, in Vietnamese (English in the catalogue).
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

# ASCII digits only: int() also reads Arabic-Indic and other Unicode digits.
_NUMBER = re.compile(r"[0-9]+")
# Far past any table here, and with any limit still inside a signed 64-bit integer.
MAX_OFFSET = 10**15


class ApiPagination(LimitOffsetPagination):
    max_limit = 200

    def _number(self, request, name: str) -> int | None:
        text = request.query_params.get(name)
        if text is None or text == "":
            return None
        if not _NUMBER.fullmatch(text):
            return -1
        # Read no more digits than needed: a number this long is past every bound anyway.
        digits = text.lstrip("0") or "0"
        return int(digits) if len(digits) <= 18 else 10**18

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param)
        if limit is None:
            return self.default_limit
        if limit < 1:
            raise ValidationError({self.limit_query_param: [
                _("Tham số limit phải là một số nguyên dương (mỗi trang tối đa %(maximum)d dòng).")
                % {"maximum": self.max_limit}
            ]})
        return min(limit, self.max_limit)

    def get_offset(self, request):
        offset = self._number(request, self.offset_query_param)
        if offset is None:
            return 0
        if not 0 <= offset <= MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [
                _("Tham số offset phải là một số nguyên từ 0 đến %(maximum)d.") % {"maximum": MAX_OFFSET}
            ]})
        return offset

    def get_schema_operation_parameters(self, view):
        # The bounds the answers hold to, so that a generated client (and schemathesis) knows them.
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

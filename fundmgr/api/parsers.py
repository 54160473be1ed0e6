"""JSON bodies of the API, read with a bound on nesting.

Python's `json` parser recurses once per level: a body of a thousand nested brackets raises
RecursionError, which DRF does not catch (a 500). No body of this API nests more than a few
levels, so anything deeper than `MAX_DEPTH` is refused with a 400 and a message, whether the
parser gave up or finished.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def _depth_exceeds(value, limit: int) -> bool:
    # Iterative: the check must not recurse either.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth_exceeds(data, MAX_DEPTH)
        if too_deep:
            raise ParseError(_("Dữ liệu JSON lồng nhau quá sâu (tối đa %(depth)d cấp).") % {"depth": MAX_DEPTH})
        return data

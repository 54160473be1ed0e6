"""Searching the admin's lists: without diacritics and case, and by the codes people read on paper.

`FoldedSearchMixin` is the one search of every changelist with `search_fields`
(tests/adminkit/test_search.py holds every registered admin of the project to it): each word of
the search must appear, folded (`fundmgr.core.folding`), in one of the fields, so "nguyen thi hoa"
finds "Nguyễn Thị Hoà" and "Nguyễn Thị Hòa", and a code (`TKH26-7KQ3M`, a receipt number, a bank
reference) is found by its text. A word in quotes is one word ("\"thi hoa\"").

`CodeSearchMixin` adds the codes built from row ids (`HB-000123` an award, `HS-000123` a student).
"""

from __future__ import annotations

from django.contrib.admin.utils import get_fields_from_path, lookup_spawns_duplicates
from django.db.models import CharField, Q, TextField
from django.utils.text import smart_split, unescape_string_literal

from fundmgr.adminkit.scoping import is_row_id
from fundmgr.core.folding import fold


def search_words(search_term: str) -> list[str]:
    """The words of a search as Django's admin splits them (quotes keep words together), folded."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if folded := fold(bit).strip():
            words.append(folded)
    return words


class FoldedSearchMixin:
    """Search the `search_fields` (plain lookup paths: no `^`, `=` or `@` prefixes) folded.

    `extra_search(request, term)` may return a Q that also counts as a match (a phone number typed
    in any spelling): the rows it finds are added to those the words find.
    """

    def extra_search(self, request, search_term: str) -> Q | None:
        return None

    def get_search_results(self, request, queryset, search_term):
        search_fields = self.get_search_fields(request)
        words = search_words(search_term)
        if not search_fields or not words:
            return queryset, False
        paths = [field.lstrip("^=@") for field in search_fields]
        lookups = [f"{path}__fold__contains" if self._is_text(path) else f"{path}__icontains" for path in paths]
        query = Q()
        for word in words:
            query &= Q.create([(lookup, word) for lookup in lookups], connector=Q.OR)
        extra = self.extra_search(request, search_term.strip())
        if extra is not None:
            query |= extra
        may_have_duplicates = any(lookup_spawns_duplicates(self.opts, path) for path in paths)
        return queryset.filter(query), may_have_duplicates


    def _is_text(self, path: str) -> bool:
        field = get_fields_from_path(self.model, path)[-1]
        return isinstance(field, CharField | TextField)


class CodeSearchMixin(FoldedSearchMixin):
    """The folded search, and also the codes built from row ids.

    `code_lookups` maps a code's prefix to the lookup its number names (`{"HS-": "student_id"}`);
    the prefix "" lets a bare number be searched too. A code's number has at most 9 digits.
    """

    code_lookups: dict[str, str] = {}

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().upper()
        for prefix, lookup in self.code_lookups.items():
            number = term.removeprefix(prefix)
            if term.startswith(prefix) and is_row_id(number) and len(number) <= 9:
                results = results | queryset.filter(**{lookup: int(number)})
        return results, may_have_duplicates

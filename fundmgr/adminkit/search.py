"""Search by the codes people read on paper (`HB-000123` an award, `HS-000123` a student record)."""

from fundmgr.adminkit.scoping import is_row_id


class CodeSearchMixin:
    """Search the `search_fields`, and also the codes built from row ids.

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

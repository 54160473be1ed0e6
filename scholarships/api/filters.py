"""Filters of the scholarship API: units, programs, statuses, date and amount ranges, a search `q`
by the codes people read on paper and by names with or without diacritics (`Lo Thi Mai` finds
`Lò Thị Mai`), and `ordering` from an explicit list per resource.

A name is personal data: the students' `q` matches a child's name only among the rows whose
names the user may see (`shows_personal`, as in the admin), so a search cannot answer "is this
child on file?" for a child the user may only see masked. No other resource searches names.
"""

import re

import django_filters
from django.db.models import Q

from fundmgr.core.contacts import name_normalize

from ..models import AllocationRun, Award, Disbursement, Nomination, ScholarshipProgram, Student

# `HS-000123`, `HB-000123` or a bare number: a record's code is its row id behind a prefix.
_CODE = re.compile(r"(?:[A-Z]{2}-)?0*([0-9]{1,9})")


def code_number(value: str, prefix: str) -> int | None:
    """The row id named by `value` (`HS-000123`, `000123`, `123`), or None when it names none."""
    term = (value or "").strip().upper()
    match = _CODE.fullmatch(term)
    if match is None or (term[:1].isalpha() and not term.startswith(prefix)):
        return None
    return int(match.group(1))


def normalized_matches(rows, term: str) -> list[int]:
    """The ids of `rows` ((id, text, ...) tuples) with a text containing `term`, both compared
    without diacritics or case (`name_normalize`). The names are stored as typed, so the match is
    made here, over the one query that read them, and the list's query count stays fixed."""
    wanted = name_normalize(term)
    if not wanted:
        return []
    return [pk for pk, *texts in rows if any(text and wanted in name_normalize(text) for text in texts)]


class StableOrdering(django_filters.OrderingFilter):
    """An ordering from the whitelist, then by id, so that offset pages never overlap."""

    def filter(self, queryset, value):
        queryset = super().filter(queryset, value)
        if value:
            queryset = queryset.order_by(*queryset.query.order_by, "pk")
        return queryset


class StudentFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code")
    anonymised = django_filters.BooleanFilter(field_name="anonymised_at", lookup_expr="isnull", exclude=True)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    score_min = django_filters.NumberFilter(field_name="average_score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="average_score", lookup_expr="lte")
    q = django_filters.CharFilter(
        method="search", label="record code (HS-000123), school, or the child's name where you may see it",
    )
    ordering = StableOrdering(fields=("id", "grade", "average_score", "school_name", "created_at", "last_activity_on"))

    class Meta:
        model = Student
        fields = [
            "unit", "school_level", "grade", "academic_rank", "poor_household", "near_poor_household", "orphan",
            "disability", "ethnic_minority", "remote_area",
        ]

    def search(self, queryset, name, value):
        # A name is matched only where it is shown; the school everywhere.
        rows = queryset.values_list("pk", "school_name", "full_name", "shows_personal")
        ids = normalized_matches(
            ((pk, school, full_name if shown else "") for pk, school, full_name, shown in rows), value
        )
        number = code_number(value, "HS-")
        if number is not None:
            ids.append(number)
        return queryset.filter(pk__in=ids)


class ProgramFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code")
    award_amount_min = django_filters.NumberFilter(field_name="award_amount", lookup_expr="gte")
    award_amount_max = django_filters.NumberFilter(field_name="award_amount", lookup_expr="lte")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    q = django_filters.CharFilter(method="search", label="program code or name")
    ordering = StableOrdering(fields=("id", "code", "school_year", "award_amount", "created_at"))

    class Meta:
        model = ScholarshipProgram
        fields = ["unit", "status", "school_year"]

    def search(self, queryset, name, value):
        return queryset.filter(pk__in=normalized_matches(queryset.values_list("pk", "code", "name"), value))


class NominationFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", label="program code")
    unit = django_filters.CharFilter(field_name="student__unit__code", label="the student's unit code")
    student = django_filters.CharFilter(method="filter_student", label="student record code (HS-000123)")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    ordering = StableOrdering(fields=("id", "score", "created_at"))

    class Meta:
        model = Nomination
        fields = ["program", "unit", "student"]

    def filter_student(self, queryset, name, value):
        number = code_number(value, "HS-")
        return queryset.filter(student_id=number) if number is not None else queryset.none()


class AllocationRunFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", label="program code")
    unit = django_filters.CharFilter(field_name="program__unit__code", label="the program's unit code")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    funded_amount_min = django_filters.NumberFilter(field_name="funded_amount", lookup_expr="gte")
    funded_amount_max = django_filters.NumberFilter(field_name="funded_amount", lookup_expr="lte")
    ordering = StableOrdering(fields=("id", "created_at", "funded_count", "funded_amount"))

    class Meta:
        model = AllocationRun
        fields = ["program", "unit"]


class AwardFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", label="program code")
    unit = django_filters.CharFilter(field_name="program__unit__code", label="the program's unit code")
    student_unit = django_filters.CharFilter(field_name="student__unit__code", label="the student's unit code")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    decided_after = django_filters.DateFilter(field_name="decided_at", lookup_expr="date__gte")
    decided_before = django_filters.DateFilter(field_name="decided_at", lookup_expr="date__lte")
    q = django_filters.CharFilter(method="search", label="award code (HB-000123) or student record code (HS-000123)")
    ordering = StableOrdering(fields=("id", "amount", "status", "decided_at"))

    class Meta:
        model = Award
        fields = ["program", "unit", "status", "school_year", "run"]

    def search(self, queryset, name, value):
        term = value.strip().upper()
        if term.startswith("HS-"):
            number = code_number(term, "HS-")
            return queryset.filter(student_id=number) if number is not None else queryset.none()
        number = code_number(term, "HB-")
        return queryset.filter(pk=number) if number is not None else queryset.none()


class DisbursementFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="award__program__code", label="program code")
    unit = django_filters.CharFilter(field_name="unit__code", label="the paying unit's code")
    paid_after = django_filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_before = django_filters.DateFilter(field_name="paid_on", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="award__amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="award__amount", lookup_expr="lte")
    reversed = django_filters.BooleanFilter(field_name="reversed_at", lookup_expr="isnull", exclude=True,
                                            label="true: only reversed vouchers; false: only those that stand")
    q = django_filters.CharFilter(method="search", label="voucher number (PC-2026-000001) or award code (HB-000123)")
    ordering = StableOrdering(fields=("id", "paid_on", "number"))

    class Meta:
        model = Disbursement
        fields = ["program", "unit", "method", "year"]

    def search(self, queryset, name, value):
        term = value.strip().upper()
        query = Q(number=term)
        number = code_number(term, "HB-")
        if number is not None:
            query |= Q(award_id=number)
        return queryset.filter(query)

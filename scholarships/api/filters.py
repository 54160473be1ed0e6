"""Filters of the students API. No filter by name: a name is personal data, and a filter on it
would answer "is this child on file?" for rows the user may only see masked."""

import django_filters

from ..models import Award, Student


class StudentFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code")
    anonymised = django_filters.BooleanFilter(field_name="anonymised_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Student
        fields = [
            "unit", "school_level", "grade", "academic_rank", "poor_household", "near_poor_household", "orphan",
            "disability", "ethnic_minority", "remote_area",
        ]


class AwardFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code")

    class Meta:
        model = Award
        fields = ["program", "status", "school_year"]

"""django-filter filtersets of the ledger API (query parameters of the list endpoints)."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef

from fundmgr.api.filters import names_matching

from ..models import Fund, JournalEntry, JournalLine


class FundFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="managing unit code")
    balance_min = django_filters.NumberFilter(field_name="balance", lookup_expr="gte", label="balance at least (dong)")
    balance_max = django_filters.NumberFilter(field_name="balance", lookup_expr="lte", label="balance at most (dong)")
    q = django_filters.CharFilter(method="search", label="code or name (with or without diacritics)")

    class Meta:
        model = Fund
        fields = ["unit", "restriction", "is_endowment", "is_active", "balance_min", "balance_max", "q"]

    def search(self, queryset, name, value):
        return names_matching(queryset, value, "code", "name")


class JournalEntryFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code (the unit that posted the entry)")
    fund = django_filters.CharFilter(method="filter_fund", label="fund code: entries with a line of this fund")
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="posted on or after")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="posted on or before")
    source = django_filters.CharFilter(
        method="filter_source",
        label="source document: `app.model` (donations.payment) or `app.model:id` (donations.payment:42)",
    )
    reversal = django_filters.BooleanFilter(field_name="reverses", lookup_expr="isnull", exclude=True,
                                            label="true: only reversals; false: no reversals")

    class Meta:
        model = JournalEntry
        fields = ["unit", "fund", "date_after", "date_before", "source", "reversal"]

    def filter_fund(self, queryset, name, value):
        # EXISTS, not a join: an entry with two lines of the fund must come once.
        lines = JournalLine.objects.filter(entry=OuterRef("pk"), fund__code=value)
        return queryset.filter(Exists(lines))

    def filter_source(self, queryset, name, value):
        label, _separator, source_id = value.strip().partition(":")
        app_label, _dot, model = label.lower().partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            return queryset.none()
        queryset = queryset.filter(source_type=content_type)
        return queryset.filter(source_id=source_id) if source_id else queryset

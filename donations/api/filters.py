"""django-filter filtersets of the donations API (query parameters of the list endpoints)."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q

from fundmgr.core.contacts import name_normalize, phone_normalize

from .. import selectors
from ..models import Donor, Payment, Pledge


class DonorFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code")
    q = django_filters.CharFilter(method="search", label="name (with or without diacritics), phone, e-mail or tax code")

    class Meta:
        model = Donor
        fields = ["kind", "unit", "q"]

    def search(self, queryset, name, value):
        query = Q(name_normalized__contains=name_normalize(value)) | Q(email__iexact=value.strip())
        query |= Q(tax_code=value.strip())
        try:
            phone = phone_normalize(value)
        except ValidationError:
            phone = ""
        if phone:
            query |= Q(phone=phone)
        return queryset.filter(query)


class PledgeFilter(django_filters.FilterSet):
    campaign = django_filters.CharFilter(field_name="campaign__slug", label="campaign slug")
    fund = django_filters.CharFilter(field_name="fund__code", label="fund code")
    unit = django_filters.CharFilter(field_name="campaign__unit__code", label="unit code")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="overdue (installments due before today not paid)")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    confirmed = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True,
        label="confirmed by a treasurer (false: typed into the public form, waiting)",
    )
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="at least (dong)")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="at most (dong)")
    q = django_filters.CharFilter(method="search", label="reference, or donor's name (with or without diacritics)")

    class Meta:
        model = Pledge
        fields = ["campaign", "fund", "unit", "status", "channel", "donor", "overdue", "reference", "amount_min",
                  "amount_max", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(reference__iexact=value.strip()) | Q(donor__name_normalized__contains=name_normalize(value))
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return selectors.pledges_overdue(queryset) if value else selectors.pledges_not_overdue(queryset)


class PaymentFilter(django_filters.FilterSet):
    fund = django_filters.CharFilter(field_name="fund__code", label="fund code")
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code")
    campaign = django_filters.CharFilter(field_name="pledge__campaign__slug", label="campaign slug")
    pledge = django_filters.CharFilter(field_name="pledge__reference", label="pledge reference")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="at least (dong)")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="at most (dong)")
    voided = django_filters.BooleanFilter(field_name="voided_at", lookup_expr="isnull", exclude=True)
    q = django_filters.CharFilter(method="search", label="donor's name (with or without diacritics)")

    class Meta:
        model = Payment
        fields = ["method", "fund", "unit", "campaign", "pledge", "donor", "bank_reference", "amount_min",
                  "amount_max", "voided", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(donor__name_normalized__contains=name_normalize(value))

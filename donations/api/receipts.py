"""Receipts (phiếu thu) in the API: the register, a receipt's PDF, and voiding one with a reason.

The resource lives with the money-in API because voiding is the money-in use case
`donations.services.receipt_void` (it voids the payment, reverses its journal entry and marks the
receipt), which the receipts app may not call. The list is the user's units' receipts (domain
money), paged by cursor (it grows with every payment), in a fixed number of queries.

Voiding takes an Idempotency-Key: a repeat answers the voided receipt (200); without the key, a
receipt voided before is a 409, never a second void or a second reversing entry.

The PDF is the stored one when the job has rendered it, else drawn from the receipt's frozen copy
(the same bytes the job would store): a download never waits for the worker and never writes.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fundmgr.api.errors import service_errors
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.pagination import ApiCursorPagination
from fundmgr.api.renderers import FileDownloadNegotiation
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.core.contacts import name_normalize
from fundmgr.core.money import format_vnd
from fundmgr.orgs.roles import Action, Domain
from receipts.models import Receipt
from receipts.pdf import document_from_receipt, receipt_pdf_render

from .. import services


class ReceiptFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="issuing unit code")
    fund = django_filters.CharFilter(field_name="payment__fund__code", label="fund code")
    campaign = django_filters.CharFilter(field_name="payment__pledge__campaign__slug", label="campaign slug")
    date_after = django_filters.DateFilter(field_name="receipt_date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="receipt_date", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="at least (dong)")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="at most (dong)")
    q = django_filters.CharFilter(method="search", label="receipt number, or payer's name (with or without diacritics)")

    class Meta:
        model = Receipt
        fields = ["unit", "state", "year", "number", "payment", "payment_method", "fund", "campaign", "date_after",
                  "date_before", "amount_min", "amount_max", "q"]

    def search(self, queryset, name, value):
        # The payer's name is copied onto the receipt as typed; the donor's is also stored without
        # diacritics (and indexed), so the search goes through the payment's donor.
        return queryset.filter(
            Q(number__iexact=value.strip()) | Q(payment__donor__name_normalized__contains=name_normalize(value))
        )


class ReceiptSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount_display = serializers.SerializerMethodField()
    voided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Receipt
        fields = [
            "id", "number", "unit", "year", "receipt_date", "payment", "payer_name", "payer_address", "amount",
            "amount_display", "reason", "fund_name", "payment_method", "debit_account", "credit_account",
            "verification_code", "issued_at", "state", "void_reason", "voided_by", "voided_at", "void_entry",
        ]
        read_only_fields = fields

    def get_amount_display(self, receipt) -> str:
        return format_vnd(receipt.amount)


class ReceiptVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="why the receipt is voided; printed on the stamped copy")


class ReceiptViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, viewsets.ReadOnlyModelViewSet):
    """The receipt register of the user's units. A receipt is identified by its id: its number
    (PT-2026-000123) is unique only inside its issuing unit."""

    # Voiding writes a reversing entry: it takes an Idempotency-Key, and a receipt voided before
    # (without the key of that void) is a 409.
    idempotent_actions = frozenset({"void"})
    conflict_actions = frozenset({"void"})
    api_domain = Domain.MONEY
    api_actions = {"pdf": Action.VIEW, "void": Action.CHANGE}
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    filter_backends = [StrictFilterBackend, StableOrderingFilter]
    pagination_class = ApiCursorPagination
    ordering_fields = ["id", "receipt_date", "amount"]
    ordering = ["-pk"]

    def get_queryset(self):
        receipts = Receipt.objects.select_related("unit", "voided_by")
        return self.scoped(receipts)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the receipt as a PDF"),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileDownloadNegotiation, pagination_class=None,
            filter_backends=[])
    def pdf(self, request, pk=None):
        """The receipt as a PDF (stamped "ĐÃ HỦY" once voided)."""
        receipt = self.get_object()
        filename = f"{receipt.number}.pdf"
        if receipt.pdf:
            return FileResponse(receipt.pdf.open("rb"), content_type="application/pdf", filename=filename)
        content = receipt_pdf_render(document_from_receipt(receipt))
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    @extend_schema(request=ReceiptVoidSerializer, responses={200: ReceiptSerializer})
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def void(self, request, pk=None):
        """Void the receipt and its payment (the payment's entry is reversed); the number stays in the register.

        A repeat with the same Idempotency-Key and reason answers the voided receipt again (200);
        a receipt voided before is otherwise a 409 (`already_voided`).
        """
        receipt = self.get_object()
        serializer = ReceiptVoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.receipt_void(
                receipt=receipt, reason=serializer.validated_data["reason"], voided_by=request.user, channel="api",
                idempotency_key=self.idempotency_key(),
            )
        except DjangoValidationError as error:
            raise service_errors(error) from None
        return Response(ReceiptSerializer(self.get_queryset().get(pk=receipt.pk)).data)

"""Bank-statement imports in the API: upload a statement, read its lines, match a waiting line to a
pledge (or set it aside with a reason): the same services as the admin's upload page and
reconciliation queue (`donations.services.bank_statement`).

An upload is a job, as in the admin (`statement_upload`): the POST reads the file (a 400 with the
reasons when it cannot be read, nothing written), stores it pending and answers 202 with a
`Location` to poll; the Celery worker imports it after commit, counting `lines_done`.

The POST finds the unit by code and the campaign by slug where the user may view money
(`donations.selectors.unit_for_money`, `campaign_for_money`): another unit's is a 400 "not found",
the same answer as a code that does not exist. Each service checks that the statement's unit (and
the campaign, and the pledge a line becomes a payment of) lie in the units where the user may add
(a 403: an auditor finds the unit, and may not import into it). Lists are scoped (domain money,
the statement's unit); lines page by cursor (a statement has thousands) in a fixed number of
queries.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from fundmgr.api.errors import service_errors
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.pagination import ApiCursorPagination
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.core.contacts import name_normalize
from fundmgr.orgs.roles import Action, Domain

from .. import selectors
from ..models import BankStatementImport, BankStatementLine, Pledge
from ..services import bank_statement

FORMAT_CHOICES = [("auto", "auto"), *BankStatementImport.Format.choices]


# --- filters ------------------------------------------------------------------------------------
class StatementFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code (the account holder)")
    campaign = django_filters.CharFilter(field_name="campaign__slug", label="campaign slug")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = BankStatementImport
        fields = ["unit", "campaign", "format", "created_after", "created_before"]


class LineFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="statement__unit__code", label="unit code (the account holder)")
    campaign = django_filters.CharFilter(field_name="statement__campaign__slug", label="campaign slug")
    pledge = django_filters.CharFilter(field_name="pledge__reference", label="pledge reference")
    date_after = django_filters.DateFilter(field_name="transaction_date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="transaction_date", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="at least (dong)")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="at most (dong)")
    q = django_filters.CharFilter(method="search", label="memo, sender or bank reference (with or without diacritics)")

    class Meta:
        model = BankStatementLine
        fields = ["statement", "unit", "campaign", "status", "matched_by", "pledge", "date_after", "date_before",
                  "amount_min", "amount_max", "q"]

    def search(self, queryset, name, value):
        # Banks write memos without diacritics ("ung ho"); a search typed with them finds those too.
        query = Q(bank_reference__iexact=value.strip())
        for text in {value.strip(), name_normalize(value)}:
            if text:
                query |= Q(memo__icontains=text) | Q(counterparty__icontains=text)
        return queryset.filter(query)


# --- serializers --------------------------------------------------------------------------------
class StatementSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = BankStatementImport
        fields = [
            "id", "unit", "campaign", "file_name", "file_sha256", "format", "status", "lines_done", "attempts",
            "last_error", "finished_at", "lines_credit", "lines_debit", "lines_new", "lines_matched", "lines_unmatched",
            "lines_ignored", "amount_matched", "created_by", "created_at",
        ]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):
    """Input of POST /bank-statements/ (multipart/form-data)."""

    file = serializers.FileField(help_text="the bank's export: CSV (UTF-8, UTF-16, Windows-1258) or XLSX")
    unit = serializers.CharField(help_text="code of the unit whose bank account the statement is of")
    campaign = serializers.CharField(required=False, allow_blank=True,
                                     help_text="campaign slug; empty: match against every campaign of the unit")
    format = serializers.ChoiceField(choices=FORMAT_CHOICES, default="auto")


class LineSerializer(serializers.ModelSerializer):
    statement = serializers.PrimaryKeyRelatedField(read_only=True)
    pledge = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # "" until the line is matched: a choice or blank.
    matched_by = serializers.ChoiceField(choices=BankStatementLine.MatchedBy.choices, read_only=True, allow_blank=True)

    class Meta:
        model = BankStatementLine
        fields = [
            "id", "statement", "line_number", "transaction_date", "amount", "memo", "counterparty", "bank_reference",
            "status", "matched_by", "pledge", "payment", "note", "resolved_by", "resolved_at",
        ]
        read_only_fields = fields


class LineMatchSerializer(serializers.Serializer):
    pledge = serializers.CharField(max_length=20, help_text="reference of the pledge the money paid (TKH26-7KQ3M)")


class LineIgnoreSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="why the line is no donation (bank interest, a refund)")


# --- views --------------------------------------------------------------------------------------
class BankStatementViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Imported statements of the user's units; POST a file to import one: it is read at once (400
    when it cannot be), stored and imported by the worker (202, poll its `Location` until `status`
    is done or failed). A file imported before adds no line; a repeat of an Idempotency-Key answers
    the first import (200) and queues nothing."""

    api_domain = Domain.MONEY
    parser_classes = [MultiPartParser]  # an upload is a file; nothing else is written here
    filterset_class = StatementFilter
    filter_backends = [StrictFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "created_at", "amount_matched"]
    ordering = ["-pk"]

    def get_serializer_class(self):
        return StatementUploadSerializer if self.action == "create" else StatementSerializer

    def get_queryset(self):
        # The file itself (up to the upload limit) is the worker's: never read for a representation.
        statements = BankStatementImport.objects.select_related("unit", "campaign", "created_by").defer("content")
        return self.scoped(statements)

    @extend_schema(
        request={"multipart/form-data": StatementUploadSerializer},
        responses={
            202: OpenApiResponse(StatementSerializer, description="stored and queued: poll `Location` (the statement) "
                                 "until `status` is done or failed"),
            200: OpenApiResponse(StatementSerializer, description="a repeated Idempotency-Key: the first import"),
        },
        parameters=[OpenApiParameter(
            "Location", str, OpenApiParameter.HEADER, response=[202, 200],
            description="the statement's URL (GET /api/v1/bank-statements/{id}/)",
        )],
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Another unit's code or campaign is answered as one that does not exist (as the pledge
        # POST's campaign); the service checks that the user may add to them (403).
        unit = selectors.unit_for_money(request.user, data["unit"])
        if unit is None:
            raise serializers.ValidationError({"unit": [_("Không tìm thấy đơn vị.")]})
        campaign = None
        if data.get("campaign"):
            campaign = selectors.campaign_for_money(request.user, data["campaign"])
            if campaign is None:
                raise serializers.ValidationError({"campaign": [_("Không tìm thấy chiến dịch.")]})
        upload = data["file"]
        try:
            statement = bank_statement.statement_upload(
                unit=unit, campaign=campaign, file_name=upload.name, content=upload.read(), format=data["format"],
                created_by=request.user, channel="api", idempotency_key=self.idempotency_key(),
            )
        except bank_statement.StatementError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        except DjangoValidationError as error:
            raise service_errors(error) from None
        # Read again: as it is now (with eager tasks, imported already).
        body = StatementSerializer(self.get_queryset().get(pk=statement.pk)).data
        location = reverse("api:bank-statement-detail", args=[statement.pk], request=request)
        if statement.replayed:
            return Response(body, status=status.HTTP_200_OK, headers={"Location": location})
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class BankStatementLineViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The credit lines of the user's units' statements: what became of each (matched, waiting, set aside)."""

    api_domain = Domain.MONEY
    # Matching records a payment (as the admin's bank-match screen does); ignoring marks the line.
    api_actions = {"match": Action.ADD, "ignore": Action.CHANGE}
    scope_path = "statement__unit"
    serializer_class = LineSerializer
    filterset_class = LineFilter
    filter_backends = [StrictFilterBackend, StableOrderingFilter]
    pagination_class = ApiCursorPagination
    ordering_fields = ["id", "transaction_date", "amount"]
    ordering = ["-pk"]

    def get_queryset(self):
        lines = BankStatementLine.objects.select_related("pledge", "resolved_by")
        return self.scoped(lines)

    @extend_schema(request=LineMatchSerializer, responses={200: LineSerializer})
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def match(self, request, pk=None):
        """Record a waiting line as a payment of the pledge (the admin's "match by hand")."""
        line = self.get_object()
        serializer = LineMatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pledge = self.scoped(Pledge.objects.all(), "campaign__unit").filter(
            reference=serializer.validated_data["pledge"].strip().upper()
        ).first()
        if pledge is None:
            raise serializers.ValidationError({"pledge": [_("Không tìm thấy cam kết có mã này trong các đơn vị của bạn.")]})
        try:
            bank_statement.bank_line_match(line=line, pledge=pledge, by=request.user)
        except DjangoValidationError as error:
            raise service_errors(error) from None
        return Response(LineSerializer(self.get_queryset().get(pk=line.pk)).data)

    @extend_schema(request=LineIgnoreSerializer, responses={200: LineSerializer})
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def ignore(self, request, pk=None):
        """Set a waiting line aside as no donation, with a reason."""
        line = self.get_object()
        serializer = LineIgnoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            bank_statement.bank_line_ignore(line=line, reason=serializer.validated_data["reason"], by=request.user)
        except DjangoValidationError as error:
            raise service_errors(error) from None
        return Response(LineSerializer(self.get_queryset().get(pk=line.pk)).data)

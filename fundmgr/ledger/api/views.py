"""API views of the ledger: funds with their balances, the journal (read-only), transfers between funds.

Lists are scoped by `ScopedQuerysetMixin` (funds: domain money; the journal: domain ledger) and run a
fixed number of queries: balances are subqueries of the list's one query (`funds_with_balances`),
commitments one query per registered source for the whole page (`funds_attach_available`), an
entry's lines one prefetch for the page. The journal is long, so it pages by cursor.
A transfer validates the shape of its input, finds the funds it names and calls `fund_transfer`,
which checks that both funds and the posting unit lie in the user's units (a refusal is a 403).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from fundmgr.api.errors import service_errors
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.pagination import ApiCursorPagination
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Domain

from .. import selectors, services
from ..models import Fund, JournalEntry, JournalLine
from .filters import FundFilter, JournalEntryFilter
from .serializers import FundSerializer, JournalEntrySerializer, TransferCreateSerializer

FILTERS = [StrictFilterBackend, StableOrderingFilter]


def _entries():
    """Journal entries with their lines (one prefetch for a page); scoped by the caller (domain ledger)."""
    lines = JournalLine.objects.select_related("account", "fund").order_by("pk")
    return JournalEntry.objects.select_related("unit", "source_type", "created_by").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


class FundViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Funds of the user's units with their balance and what they may still pay."""

    api_domain = Domain.MONEY
    serializer_class = FundSerializer
    filterset_class = FundFilter
    filter_backends = FILTERS
    ordering_fields = ["code", "name", "balance", "available_before_commitments", "created_at"]
    ordering = ["code"]
    lookup_field = "code"

    def get_queryset(self):
        funds = self.scoped(Fund.objects.select_related("unit").prefetch_related("restricted_units"))
        return selectors.funds_with_balances(funds)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.funds_attach_available(page) if page is not None else None

    def get_object(self):
        return selectors.funds_attach_available([super().get_object()])[0]


class JournalEntryViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Posted journal entries with their lines, newest first; never changed (a correction is a reversal)."""

    api_domain = Domain.LEDGER
    serializer_class = JournalEntrySerializer
    filterset_class = JournalEntryFilter
    filter_backends = FILTERS
    pagination_class = ApiCursorPagination
    ordering_fields = ["id", "date"]
    ordering = ["-pk"]

    def get_queryset(self):
        return self.scoped(_entries())


class TransferViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Move money from one fund to another: one balanced journal entry (account 336 on each side)."""

    api_domain = Domain.MONEY
    serializer_class = TransferCreateSerializer
    queryset = JournalEntry.objects.none()  # for the schema: the answer is a journal entry

    @extend_schema(
        request=TransferCreateSerializer,
        responses={
            201: JournalEntrySerializer,
            200: OpenApiResponse(JournalEntrySerializer, description="a repeated Idempotency-Key: the first entry"),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        funds = {fund.code: fund for fund in Fund.objects.select_related("unit").filter(
            code__in=[data["from_fund"], data["to_fund"]]
        )}
        # Found by code whatever their unit: the service refuses a fund outside the user's units (403).
        missing = {
            field: [_("Không tìm thấy quỹ.")] for field in ("from_fund", "to_fund") if data[field] not in funds
        }
        if missing:
            raise serializers.ValidationError(missing)
        from_fund, to_fund = funds[data["from_fund"]], funds[data["to_fund"]]
        unit = from_fund.unit
        if data.get("unit"):
            unit = OrgUnit.objects.filter(code=data["unit"]).first()
            if unit is None:
                raise serializers.ValidationError({"unit": [_("Không tìm thấy đơn vị.")]})
        key = self.idempotency_key(dict(data))
        try:
            entry = services.fund_transfer(
                from_fund=from_fund, to_fund=to_fund, amount=data["amount"], date=data["date"], memo=data["memo"],
                unit=unit, created_by=request.user, channel="api", idempotency_key=key,
            )
        except DjangoValidationError as error:
            raise service_errors(error) from None
        replayed = entry.replayed
        # Read back as the journal shows it (whoever may add money may read the ledger of their units).
        entry = self.scoped(_entries(), domain=Domain.LEDGER).get(pk=entry.pk)
        return Response(
            JournalEntrySerializer(entry).data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        )

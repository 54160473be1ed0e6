"""API views: read donors, pledges and payments in the user's units; create through the services.

Lists are scoped by `ScopedQuerysetMixin` (domain money, the roles that may view it) and run a
fixed number of queries (related rows joined, installments prefetched, sums as subqueries).
A write validates the shape of the input, finds the records it names, and calls one service, which
checks that each of them lies in the user's units (a refusal is a 403); the service's
ValidationError becomes a 400 with the same field names, a reused idempotency key a 422.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from fundmgr.api.errors import service_errors as _service_errors
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.pagination import ApiCursorPagination
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.ledger import selectors as ledger_selectors
from fundmgr.orgs.roles import Domain

from .. import selectors, services
from ..models import Donor, Payment, Pledge, PledgeInstallment
from .filters import DonorFilter, PaymentFilter, PledgeFilter
from .serializers import (
    DonorSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PledgeCreateSerializer,
    PledgeSerializer,
)

FILTERS = [StrictFilterBackend, StableOrderingFilter]


class DonorViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    api_domain = Domain.MONEY
    serializer_class = DonorSerializer
    filterset_class = DonorFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "name", "created_at", "pledged_total", "paid_total"]
    ordering = ["pk"]

    def get_queryset(self):
        donors = Donor.objects.select_related("unit").order_by("pk")
        return selectors.donor_totals(self.scoped(donors))


class PledgeViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    api_domain = Domain.MONEY
    scope_path = "campaign__unit"
    filterset_class = PledgeFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "created_at", "amount"]
    ordering = ["-pk"]
    lookup_field = "reference"

    def get_serializer_class(self):
        return PledgeCreateSerializer if self.action == "create" else PledgeSerializer

    def get_queryset(self):
        pledges = self.scoped(Pledge.objects.order_by("-pk"))
        pledges = pledges.prefetch_related(Prefetch("installments", queryset=PledgeInstallment.objects.order_by("number")))
        return selectors.pledge_list(pledges)

    # The answer is the pledge as the list shows it (201 new, 200 a repeated Idempotency-Key).
    @extend_schema(request=PledgeCreateSerializer, responses={201: PledgeSerializer, 200: PledgeSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Another unit's campaign is answered as one that does not exist; the service checks the
        # user's units itself.
        campaign = selectors.campaign_for_money(request.user, data.pop("campaign"))
        if campaign is None:
            raise serializers.ValidationError({"campaign": [_("Không tìm thấy chiến dịch.")]})
        fund_code = data.pop("fund", "")
        fund = None
        if fund_code:
            fund = ledger_selectors.fund_by_code(fund_code)
            if fund is None:
                raise serializers.ValidationError({"fund": [_("Không tìm thấy quỹ.")]})
        key = self.idempotency_key(data)
        try:
            pledge, created = services.pledge_create(
                campaign=campaign, fund=fund, channel=Pledge.Channel.API, idempotency_key=key,
                created_by=request.user, **data,
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from None
        # A new pledge is answered from what the service holds (its installments: one query); a
        # repeated key's first pledge is read as the list reads it.
        pledge = selectors.pledge_new_as_listed(pledge) if created else self.get_queryset().get(pk=pledge.pk)
        return self.created_response(PledgeSerializer(pledge).data, created=created)


class PaymentViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    api_domain = Domain.MONEY
    filterset_class = PaymentFilter
    filter_backends = FILTERS
    # Payments grow with every transfer a bank sends: pages by cursor (no COUNT, no OFFSET).
    pagination_class = ApiCursorPagination
    ordering_fields = ["id", "received_on", "amount"]
    ordering = ["-pk"]

    def get_serializer_class(self):
        return PaymentCreateSerializer if self.action == "create" else PaymentSerializer

    def get_queryset(self):
        payments = Payment.objects.select_related("donor", "pledge", "fund", "unit").order_by("-pk")
        return self.scoped(payments)

    # The answer is the payment as the list shows it (201 new, 200 a repeated Idempotency-Key).
    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer, 200: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = request.user
        pledge = donor = fund = None
        if data.get("pledge"):
            pledge = self.scoped(Pledge.objects.select_related("donor", "campaign__unit"), "campaign__unit").filter(
                reference=data["pledge"].strip().upper()
            ).first()
            if pledge is None:
                raise serializers.ValidationError({"pledge": [_("Không tìm thấy cam kết.")]})
            donor = pledge.donor
        else:
            donor = self.scoped(Donor.objects.select_related("unit")).filter(pk=data.get("donor")).first()
            if donor is None:
                raise serializers.ValidationError({"donor": [_("Hãy chỉ rõ cam kết hoặc nhà hảo tâm.")]})
            # Found by code whatever its unit: the service refuses one outside the user's units.
            fund = ledger_selectors.fund_by_code(data.get("fund") or "")
        if data.get("unit"):
            # Another unit's code is answered as one that does not exist (`unit_for_money`); the
            # service checks that the user may record money in it (403).
            unit = selectors.unit_for_money(user, data["unit"])
            if unit is None:
                raise serializers.ValidationError({"unit": [_("Không tìm thấy đơn vị.")]})
        else:
            unit = pledge.campaign.unit if pledge is not None else donor.unit
        key = self.idempotency_key(data)
        try:
            payment = services.payment_record(
                donor=donor, pledge=pledge, fund=fund, unit=unit, amount=data["amount"], method=data["method"],
                received_on=data["received_on"], bank_reference=data.get("bank_reference") or None,
                in_kind_description=data.get("in_kind_description", ""),
                overpayment_reason=data.get("overpayment_reason", ""), recorded_by=user,
                channel=Pledge.Channel.API, idempotency_key=key,
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from None
        replayed = payment.replayed
        payment = self.get_queryset().get(pk=payment.pk)
        return self.created_response(PaymentSerializer(payment).data, created=not replayed)

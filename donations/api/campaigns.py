"""Campaigns in the API: a public read of open and closed campaigns with their progress, and the
user's own campaigns (drafts too) when signed in.

It lives here, not in `campaigns/`: campaigns know no donation, and what a campaign raised is
`donations.progress` (as the campaign admin is `donations/admin/campaigns.py`). The figures are
the public ones: `received` is money that arrived (payments not voided), `pledged` counts pledges
a treasurer confirmed and, for the others, only the money received on them; nothing a visitor
typed moves a number. Every figure is a subquery of the list's one query.
"""

import django_filters
from django.db.models import Q
from rest_framework import serializers, viewsets

from campaigns.models import Campaign
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter, names_matching
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.core.money import format_vnd
from fundmgr.orgs.roles import Domain

from ..progress import campaigns_with_progress

PUBLIC_STATUSES = (Campaign.Status.OPEN, Campaign.Status.CLOSED)


class CampaignFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="organising unit code")
    fund = django_filters.CharFilter(field_name="funds__code", label="code of a fund the campaign collects for",
                                     distinct=True)
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")
    received_min = django_filters.NumberFilter(field_name="received", lookup_expr="gte", label="received at least (dong)")
    received_max = django_filters.NumberFilter(field_name="received", lookup_expr="lte", label="received at most (dong)")
    q = django_filters.CharFilter(method="search", label="name (with or without diacritics)")

    class Meta:
        model = Campaign
        fields = ["status", "unit", "fund", "lunar_year", "starts_after", "starts_before", "received_min",
                  "received_max", "q"]

    def search(self, queryset, name, value):
        return names_matching(queryset, value, "name")


class CampaignSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    default_fund = serializers.SlugRelatedField(slug_field="code", read_only=True)
    funds = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    received = serializers.IntegerField(read_only=True, help_text="money that arrived: payments not voided (dong)")
    pledged = serializers.IntegerField(
        read_only=True, help_text="pledges a treasurer confirmed, and money received on the others (dong)",
    )
    donor_count = serializers.IntegerField(read_only=True)
    received_percent = serializers.SerializerMethodField(help_text="share of the goal received, whole percent, at most 100")
    goal_display = serializers.SerializerMethodField()
    received_display = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id", "slug", "name", "unit", "unit_name", "lunar_year", "status", "description", "starts_on", "ends_on",
            "ceremony_date", "goal", "received", "pledged", "donor_count", "received_percent", "goal_display",
            "received_display", "default_fund", "funds", "reference_prefix", "bank_bin", "bank_name",
            "bank_account_number", "bank_account_name",
        ]
        read_only_fields = fields

    def get_received_percent(self, campaign) -> int:
        return min(100, campaign.received * 100 // campaign.goal) if campaign.goal > 0 else 0

    def get_goal_display(self, campaign) -> str:
        return format_vnd(campaign.goal)

    def get_received_display(self, campaign) -> str:
        return format_vnd(campaign.received)


class CampaignViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Open and closed campaigns for everyone (no sign-in); signed in, also your units' drafts."""

    api_domain = Domain.MONEY
    # Anyone reads the open and closed campaigns' figures (money received); drafts need the domain.
    public_actions = frozenset({"list", "retrieve"})
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    filter_backends = [StrictFilterBackend, StableOrderingFilter]
    ordering_fields = ["starts_on", "ends_on", "name", "goal", "received", "lunar_year"]
    ordering = ["-starts_on"]
    lookup_field = "slug"

    def get_queryset(self):
        user = self.request.user
        campaigns = Campaign.objects.all()
        public = Q(status__in=PUBLIC_STATUSES)
        if user.is_authenticated:
            own = self.scoped(campaigns)
            campaigns = campaigns.filter(public | Q(pk__in=own.values("pk")))
        else:
            campaigns = campaigns.filter(public)
        campaigns = campaigns.select_related("unit", "default_fund").prefetch_related("funds")
        return campaigns_with_progress(campaigns)

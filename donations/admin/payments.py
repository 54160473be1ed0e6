"""The payment admin: a read-only list (money rows are append-only).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from donations.models import Payment
from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedUnitFilter
from fundmgr.orgs.roles import Domain

from .common import DonorSearchMixin, FundFilter, PaymentCampaignFilter


@admin.register(Payment)
class PaymentAdmin(AmountsShownMixin, ReadOnlyAdminMixin, ScopedAdminMixin, DonorSearchMixin, admin.ModelAdmin):
    amounts_shown = {"amount": "amount_display"}
    scope_field = "unit"
    permission_domain = Domain.MONEY
    donor_lookup = "donor"
    list_display = [
        "received_on", "donor", "pledge", "fund", "unit", "amount_display", "method", "bank_reference", "recorded_by",
        "voided_at",
    ]
    list_filter = ["method", PaymentCampaignFilter, FundFilter, ScopedUnitFilter, "received_on"]
    list_select_related = ["donor", "pledge", "fund", "unit", "recorded_by"]
    search_fields = ["donor__name", "donor__phone", "pledge__reference", "bank_reference"]
    date_hierarchy = "received_on"

    # Money rows are append-only (ReadOnlyAdminMixin): recorded by payment_record (an action on a
    # pledge, the bank statement import), corrected by reversing documents, never edited here.

    amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")

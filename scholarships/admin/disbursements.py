"""The disbursement admin: the vouchers (money documents, read-only), with the recipient masked
for readers who may not see it.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import vnd_or_dash
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
)
from fundmgr.audit.masking import NAME, mask_value
from fundmgr.orgs.roles import Domain

from .. import selectors
from ..models import (
    Disbursement,
)
from .common import (
    DisbursementUnitFilter,
    person_name,
)


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "number", "award", "amount_display", "method", "paid_on", "recipient_display", "unit", "entry_link",
    ]
    list_filter = ["method", DisbursementUnitFilter, "paid_on"]
    list_select_related = ["award", "unit"]
    search_fields = ["number", "bank_reference"]
    fields = [
        "number", "award", "amount_display", "unit", "method", "paid_on", "recipient_display", "bank_reference",
        "entry_link", "creator_display", "recorded_at_display",
    ]
    readonly_fields = fields

    # Vouchers are made by the award's "Chi trả" action (awards.award_disburse); like every money
    # document they are never edited or deleted.

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shows_recipient=selectors.recipient_access(request.user))

    @admin.display(description=gettext_lazy("số tiền"), ordering="award__amount")
    def amount_display(self, disbursement):
        return vnd_or_dash(disbursement.award.amount)

    @admin.display(description=gettext_lazy("người nhận"))
    def recipient_display(self, disbursement):
        if getattr(disbursement, "shows_recipient", False):
            return disbursement.recipient_name
        return mask_value(disbursement.recipient_name, NAME)

    @admin.display(description=gettext_lazy("người lập phiếu"))
    def creator_display(self, disbursement):
        return person_name(disbursement.created_by)

    @admin.display(description=gettext_lazy("thời điểm lập phiếu"))
    def recorded_at_display(self, disbursement):
        return date_format(timezone.localtime(disbursement.created_at), "DATETIME_FORMAT")

    @admin.display(description=gettext_lazy("bút toán"))
    def entry_link(self, disbursement):
        if disbursement.entry_id is None:
            return "–"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:ledger_journalentry_change", args=[disbursement.entry_id]),
            disbursement.entry_id,
        )

"""The pieces the donations admin modules share: scoped list filters, the search without
diacritics (and by phone), the read-only inline, the reason form and the message of what an action skipped.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign
from donations import selectors
from donations.models import BankStatementImport
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ScopedChoiceFilter,
    ScopedUnitFilter,
)
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.core.contacts import phone_normalize
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Domain


class CampaignFilter(ScopedChoiceFilter):
    title = gettext_lazy("chiến dịch")
    parameter_name = "campaign"
    choice_model = Campaign
    lookup = "campaign_id"


class PaymentCampaignFilter(CampaignFilter):
    lookup = "pledge__campaign_id"


class FundFilter(ScopedChoiceFilter):
    title = gettext_lazy("quỹ")
    parameter_name = "fund"
    choice_model = Fund
    lookup = "fund_id"
    label_fields = ("code", "name")
    label_format = "{} – {}"


class CampaignUnitFilter(ScopedUnitFilter):
    unit_lookup = "campaign__unit_id"


class StatementUnitFilter(ScopedUnitFilter):
    unit_lookup = "statement__unit_id"


class OverdueFilter(admin.SimpleListFilter):
    """Overdue is derived (installments due before today vs paid), not stored: see selectors."""

    title = gettext_lazy("quá hạn")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Quá hạn")), ("no", _("Không quá hạn"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.pledges_overdue(queryset)
        if self.value() == "no":
            return selectors.pledges_not_overdue(queryset)
        return queryset


class ConfirmedFilter(admin.SimpleListFilter):
    """Pledges typed into the public form wait here for a treasurer (`services.pledge_confirm`)."""

    title = gettext_lazy("xác nhận")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("no", _("Chưa xác nhận")), ("yes", _("Đã xác nhận"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(confirmed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(confirmed_at__isnull=False)
        return queryset


class StatementFilter(ScopedChoiceFilter):
    title = gettext_lazy("lần nhập sao kê")
    parameter_name = "statement"
    choice_model = BankStatementImport
    lookup = "statement_id"
    label_fields = ("file_name", "created_at")
    label_format = "{} ({:%d/%m/%Y})"

    def rows(self, request):
        return super().rows(request).order_by("-pk")[:30]  # the latest imports


# --- search without diacritics -----------------------------------------------------------------


class DonorSearchMixin(FoldedSearchMixin):
    """The folded search (`fundmgr.adminkit.search`), and also the donor's phone in any spelling.

    "nguyen van duc" finds "Nguyễn Văn Đức" (the folded search), "0912 345 678" finds "+84912345678".
    """

    donor_lookup = ""  # path to the Donor ("" on the donor admin itself)

    def extra_search(self, request, search_term):
        try:
            phone = phone_normalize(search_term)
        except ValidationError:
            return None
        if not phone:
            return None
        prefix = f"{self.donor_lookup}__" if self.donor_lookup else ""
        return Q(**{f"{prefix}phone": phone})


class ReadOnlyInline(ReadOnlyAdminMixin, ScopedAdminMixin, admin.TabularInline):
    permission_domain = Domain.MONEY
    parent_scope_field = "unit"
    extra = 0
    can_delete = False
    show_change_link = True


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Lý do"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def message_skipped(model_admin, request, skipped: dict[str, list[str]], labels, text) -> None:
    """One warning per reason a service skipped some of the selected records: `text` % {names, reason}."""
    for reason, names in skipped.items():
        model_admin.message_user(
            request, text % {"names": ", ".join(names), "reason": labels[reason]}, messages.WARNING
        )

"""The disbursement admin: the vouchers (money documents, read-only), with the recipient masked
for readers who may not see it; the voucher's PDF (phiếu chi) and the reversal of a payment that
bounced or was made in error, each through its service.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
)
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.audit.masking import NAME, mask_value
from fundmgr.orgs.roles import Action, Domain, user_can

from .. import selectors
from ..models import (
    Disbursement,
)
from ..services import awards
from ..services.papers import disbursement_voucher_pdf
from .common import (
    DisbursementUnitFilter,
    pdf_response,
    person_name,
    refusal_message,
)
from .forms import ReversalForm


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "number", "award", "amount_display", "method", "paid_on", "recipient_display", "unit", "entry_link",
        "state_display", "voucher_link",
    ]
    list_filter = ["method", DisbursementUnitFilter, "paid_on", ("reversed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["award", "unit"]
    search_fields = ["number", "bank_reference"]
    fields = [
        "number", "award", "amount_display", "unit", "method", "paid_on", "recipient_display", "bank_reference",
        "entry_link", "creator_display", "recorded_at_display", "state_display", "reversal_entry_link",
        "papers_display",
    ]
    readonly_fields = fields
    actions = ["voucher_action", "reverse_action"]

    # Vouchers are made by the award's "Chi trả" action (awards.award_disburse); like every money
    # document they are never edited or deleted: a payment undone is reversed (the row stays).

    def has_reverse_permission(self, request, disbursement=None):
        unit = disbursement.unit if disbursement is not None else None
        return user_can(request.user, Action.CHANGE, Domain.MONEY, unit)

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

    @admin.display(description=gettext_lazy("trạng thái"), ordering="reversed_at")
    def state_display(self, disbursement):
        if not disbursement.is_reversed:
            return _("Đã chi")
        return format_html(
            '<strong>{}</strong> {} – {}', _("Đã hủy / hoàn"),
            date_format(timezone.localtime(disbursement.reversed_at), "SHORT_DATE_FORMAT"), disbursement.reversal_reason,
        )

    @admin.display(description=gettext_lazy("bút toán đảo"))
    def reversal_entry_link(self, disbursement):
        if disbursement.reversal_entry_id is None:
            return "–"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:ledger_journalentry_change", args=[disbursement.reversal_entry_id]),
            disbursement.reversal_entry_id,
        )

    @admin.display(description=gettext_lazy("phiếu chi (PDF)"))
    def voucher_link(self, disbursement):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:scholarships_disbursement_voucher", args=[disbursement.pk]), _("Tải PDF"),
        )

    @admin.display(description=gettext_lazy("giấy tờ"))
    def papers_display(self, disbursement):
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}?size=A4">{}</a>',
            reverse("admin:scholarships_disbursement_voucher", args=[disbursement.pk]), _("Tải phiếu chi (PDF, A5)"),
            reverse("admin:scholarships_disbursement_voucher", args=[disbursement.pk]), _("A4"),
        )

    @admin.display(description=gettext_lazy("giấy tờ"))
    def papers_and_reversal_display(self, disbursement):
        return format_html(
            '{} <a class="button" href="{}">{}</a>', self.papers_display(disbursement),
            reverse("admin:scholarships_disbursement_reverse", args=[disbursement.pk]), _("Hủy / hoàn phiếu chi"),
        )

    def get_fields(self, request, obj=None):
        # The reversal button only for who may reverse it, and only once.
        if obj is not None and not obj.is_reversed and self.has_reverse_permission(request, obj):
            return [name if name != "papers_display" else "papers_and_reversal_display" for name in self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    # --- views --------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:object_id>/phieu-chi/", self.admin_site.admin_view(self.voucher_view),
                 name="scholarships_disbursement_voucher"),
            path("<int:object_id>/reverse/", self.admin_site.admin_view(self.reverse_view),
                 name="scholarships_disbursement_reverse"),
            *super().get_urls(),
        ]

    def _disbursement_or_404(self, request, object_id) -> Disbursement:
        disbursement = self.get_queryset(request).filter(pk=object_id).first()
        if disbursement is None or not self.has_view_permission(request, disbursement):
            raise Http404(_("Không tìm thấy phiếu chi."))
        return disbursement

    def voucher_view(self, request, object_id):
        disbursement = self._disbursement_or_404(request, object_id)
        page_size = "A4" if request.GET.get("size", "").upper() == "A4" else "A5"
        pdf = disbursement_voucher_pdf(disbursement=disbursement, by=request.user, page_size=page_size)
        return pdf_response(pdf, f"{disbursement.number}.pdf")

    def reverse_view(self, request, object_id):
        disbursement = self._disbursement_or_404(request, object_id)
        if not self.has_reverse_permission(request, disbursement):
            raise PermissionDenied
        return self._reverse_page(request, disbursement, post=request.POST if request.method == "POST" else None)

    def _reverse_page(self, request, disbursement, *, post, action=""):
        form = ReversalForm(post)
        if form.is_bound and form.is_valid():
            try:
                awards.disbursement_reverse(disbursement=disbursement, reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(
                    request, _("Đã hủy / hoàn phiếu chi %(number)s; suất %(award)s trở lại trạng thái đã duyệt và có thể "
                               "chi lại bằng phiếu chi mới.") % {"number": disbursement.number, "award": disbursement.award},
                )
                return HttpResponseRedirect(reverse("admin:scholarships_disbursement_change", args=[disbursement.pk]))
        return form_page(
            self, request, title=_("Hủy / hoàn phiếu chi %(number)s") % {"number": disbursement.number}, form=form,
            objects=[disbursement] if action else (), action=action, submit_label=_("Hủy / hoàn phiếu chi"),
            intro=_("Phiếu chi %(number)s (%(amount)s) được giữ với số của nó và đóng dấu “ĐÃ HỦY / HOÀN”; một bút toán "
                    "đảo đưa tiền về quỹ; suất học bổng trở lại trạng thái đã duyệt.")
            % {"number": disbursement.number, "amount": vnd_or_dash(disbursement.award.amount)},
        )

    # --- actions ------------------------------------------------------------------------------
    def _one_selected(self, request, queryset):
        selected = list(queryset.select_related("unit", "award").order_by("pk")[:2])
        if len(selected) != 1:
            self.message_user(request, _("Hãy chọn đúng một phiếu chi."), messages.WARNING)
            return None
        return selected[0]

    @admin.action(description=gettext_lazy("Tải phiếu chi (PDF)"))
    def voucher_action(self, request, queryset):
        disbursement = self._one_selected(request, queryset)
        if disbursement is None:
            return None
        return self.voucher_view(request, disbursement.pk)

    @admin.action(description=gettext_lazy("Hủy / hoàn phiếu chi (ghi lý do)"), permissions=["reverse"])
    def reverse_action(self, request, queryset):
        disbursement = self._one_selected(request, queryset)
        if disbursement is None:
            return None
        if not self.has_reverse_permission(request, disbursement):
            raise PermissionDenied
        if disbursement.is_reversed:
            self.message_user(request, refusal_message(disbursement, ValidationError(
                _("Phiếu chi này đã được hủy / hoàn trước đó."))), messages.ERROR)
            return None
        return self._reverse_page(
            request, disbursement, post=request.POST if "apply" in request.POST else None, action="reverse_action",
        )

"""The award admin: approving, rejecting and paying the awards an allocation run proposed.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
)
from fundmgr.adminkit.search import CodeSearchMixin
from fundmgr.orgs.roles import Action, Domain, user_can

from ..models import (
    Award,
    AwardShare,
)
from ..services import awards
from .common import (
    ProgramFilter,
    ProgramUnitFilter,
    person_name,
    record_code,
    refusal_message,
    require_rights,
)
from .forms import DisburseForm, RejectForm
from .transfers import AwardPapersActions


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, CodeSearchMixin, AwardPapersActions, admin.ModelAdmin):
    scope_field = "program__unit"
    permission_domain = Domain.AWARDS
    list_display = [
        "code_display", "program_code", "student_code", "amount_display", "status", "shares_display",
        "decider_display", "decided_at",
    ]
    list_display_links = ["code_display"]
    list_filter = ["status", ProgramFilter, ProgramUnitFilter]
    list_select_related = ["program", "decided_by"]
    search_fields = ["program__code"]
    code_lookups = {"HB-": "pk", "HS-": "student_id"}
    actions = ["approve_action", "reject_action", "pay_action", "transfer_batch_action", "certificates_action"]
    fields_shown = [
        "code_display", "program", "student_code", "school_year", "amount_display", "shares_display", "status",
        "run_display", "decider_display", "decided_at", "decider_declared_no_conflict", "decision_reason",
        "disbursement_display",
    ]

    # Awards are proposed by an allocation run and then only decided or paid, by the actions below.

    def get_fields(self, request, obj=None):
        if obj is not None and not user_can(request.user, Action.VIEW, Domain.MONEY, obj.program.unit):
            # The committee reads that an award was paid, not the voucher's page (money domain).
            return [name if name != "disbursement_display" else "disbursement_number" for name in self.fields_shown]
        return self.fields_shown

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        shares = AwardShare.objects.select_related("fund").order_by("fund_id")
        return super().get_queryset(request).prefetch_related(Prefetch("shares", queryset=shares))

    def has_approve_permission(self, request):
        return user_can(request.user, Action.APPROVE, Domain.AWARDS)

    def has_pay_permission(self, request):
        # Paying is a money document: the treasurer's, not the committee's.
        return user_can(request.user, Action.ADD, Domain.MONEY)

    @admin.display(description=gettext_lazy("mã suất"), ordering="pk")
    def code_display(self, award):
        return str(award)

    @admin.display(description=gettext_lazy("chương trình"), ordering="program__code")
    def program_code(self, award):
        return format_html('<span title="{}">{}</span>', award.program, award.program.code)

    @admin.display(description=gettext_lazy("mã hồ sơ"), ordering="student_id")
    def student_code(self, award):
        return record_code(award.student_id)

    amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")

    @admin.display(description=gettext_lazy("chi từ quỹ"))
    def shares_display(self, award):
        return "; ".join(f"{share.fund.code}: {vnd_or_dash(share.amount)}" for share in award.shares.all()) or "–"

    @admin.display(description=gettext_lazy("người quyết định"), ordering="decided_by__username")
    def decider_display(self, award):
        return person_name(award.decided_by)

    @admin.display(description=gettext_lazy("lần phân bổ"))
    def run_display(self, award):
        if award.run_id is None:
            return "–"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:scholarships_allocationrun_change", args=[award.run_id]), award.run_id
        )

    @staticmethod
    def _vouchers(award):
        # Every voucher of the award, the reversed ones too (a reversed payment is paid again with a new one).
        return list(award.disbursements.order_by("pk"))

    @staticmethod
    def _voucher_label(disbursement, text):
        if disbursement.is_reversed:
            return format_html("{} ({})", text, _("đã hủy / hoàn"))
        return text

    @admin.display(description=gettext_lazy("phiếu chi"))
    def disbursement_number(self, award):
        vouchers = self._vouchers(award)
        return format_html_join(", ", "{}", ((self._voucher_label(item, item.number),) for item in vouchers)) or "–"

    @admin.display(description=gettext_lazy("phiếu chi"))
    def disbursement_display(self, award):
        vouchers = self._vouchers(award)
        links = (
            (self._voucher_label(item, format_html(
                '<a href="{}">{}</a>', reverse("admin:scholarships_disbursement_change", args=[item.pk]), item.number,
            )),)
            for item in vouchers
        )
        return format_html_join(", ", "{}", links) or "–"

    # --- actions --------------------------------------------------------------------------------
    def _selected(self, queryset):
        return list(queryset.select_related("program__unit").order_by("pk"))

    @admin.action(description=gettext_lazy("Duyệt"), permissions=["approve"])
    def approve_action(self, request, queryset):
        selected = self._selected(queryset)
        require_rights(request, Action.APPROVE, Domain.AWARDS, [award.program.unit for award in selected])
        approved = 0
        for award in selected:
            # One transaction per award: a refusal (money gone, already decided) leaves the others approved.
            try:
                awards.award_approve(award=award, by=request.user)
            except ValidationError as error:
                self.message_user(request, refusal_message(award, error), messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, _("Đã duyệt %(count)d suất học bổng.") % {"count": approved})

    @admin.action(description=pgettext_lazy("action", "Không duyệt"), permissions=["approve"])
    def reject_action(self, request, queryset):
        selected = self._selected(queryset)
        require_rights(request, Action.APPROVE, Domain.AWARDS, [award.program.unit for award in selected])
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            rejected = 0
            for award in selected:
                try:
                    awards.award_reject(award=award, by=request.user, reason=form.cleaned_data["reason"])
                except ValidationError as error:
                    self.message_user(request, refusal_message(award, error), messages.ERROR)
                else:
                    rejected += 1
            if rejected:
                self.message_user(request, _("Đã không duyệt %(count)d suất học bổng.") % {"count": rejected})
            return None
        return form_page(
            self, request, title=_("Không duyệt suất học bổng"), form=form, objects=selected, action="reject_action",
            submit_label=pgettext("action", "Không duyệt"),
        )

    @admin.action(description=gettext_lazy("Chi trả"), permissions=["pay"])
    def pay_action(self, request, queryset):
        selected = self._selected(queryset)
        if len(selected) != 1:
            self.message_user(request, _("Hãy chọn đúng một suất học bổng để chi trả."), messages.WARNING)
            return None
        (award,) = selected
        require_rights(request, Action.ADD, Domain.MONEY, [award.program.unit])
        form = DisburseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                disbursement = awards.award_disburse(
                    award=award, method=data["method"], paid_on=data["paid_on"], recipient_name=data["recipient_name"],
                    bank_reference=data["bank_reference"], by=request.user,
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(
                    request, _("Đã chi %(amount)s cho suất %(award)s: phiếu chi %(number)s.")
                    % {"amount": vnd_or_dash(award.amount), "award": award, "number": disbursement.number},
                )
                return None
        return form_page(
            self, request, title=_("Chi trả học bổng"), form=form, objects=selected, action="pay_action",
            submit_label=_("Chi trả và lập phiếu chi"),
            intro=_("Suất %(award)s, hồ sơ %(student)s, chương trình %(program)s: %(amount)s. Phiếu chi được đánh số "
                    "và ghi sổ ngay.") % {"award": award, "student": record_code(award.student_id),
                                          "program": award.program, "amount": vnd_or_dash(award.amount)},
        )

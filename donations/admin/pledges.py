"""The pledge admin: adding through `pledge_create`, the CSV import, and the actions that record a
payment, confirm, write off or cancel (each one service, each leaving a reason and a name).
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaigns.models import Campaign
from donations import selectors, services
from donations.models import Donor, Payment, Pledge, PledgeInstallment
from donations.services.pledges import CLOSED_STATUSES
from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.forms import AmountField, UploadForm, form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page, upload_page
from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from .common import (
    CampaignFilter,
    CampaignUnitFilter,
    ConfirmedFilter,
    DonorSearchMixin,
    FundFilter,
    OverdueFilter,
    ReadOnlyInline,
    ReasonForm,
    message_skipped,
)
from .donors import DonorPaymentInline


class PledgeInstallmentInline(ReadOnlyInline):
    model = PledgeInstallment
    scope_field = "pledge__campaign__unit"
    parent_scope_field = "campaign__unit"
    fields = ["number", "due_on", "amount_display"]
    readonly_fields = fields
    show_change_link = False

    amount_display = amount_column("amount", gettext_lazy("số tiền"))


class PledgePaymentInline(DonorPaymentInline):
    parent_scope_field = "campaign__unit"


class PledgeAddForm(forms.Form):
    campaign = forms.ModelChoiceField(label=gettext_lazy("Chiến dịch"), queryset=Campaign.objects.none())
    fund = forms.ModelChoiceField(
        label=gettext_lazy("Quỹ"), queryset=Fund.objects.none(), required=False,
        help_text=gettext_lazy("Để trống: quỹ mặc định của chiến dịch."),
    )
    donor_kind = forms.ChoiceField(label=gettext_lazy("Loại nhà hảo tâm"), choices=Donor.Kind.choices)
    donor_name = forms.CharField(label=gettext_lazy("Họ tên / tên đơn vị"), max_length=200)
    email = forms.CharField(label=gettext_lazy("E-mail"), required=False)
    phone = forms.CharField(label=gettext_lazy("Điện thoại"), required=False)
    tax_code = forms.CharField(label=gettext_lazy("Mã số thuế"), required=False)
    address = forms.CharField(label=gettext_lazy("Địa chỉ"), required=False)
    amount = AmountField(label=gettext_lazy("Số tiền"), help_text=gettext_lazy("Ví dụ: 5.000.000 hoặc 5 triệu."))
    installments = forms.IntegerField(label=gettext_lazy("Số đợt nộp"), initial=1)
    anonymous = forms.BooleanField(label=gettext_lazy("Ẩn danh"), required=False)
    list_on_honor_roll = forms.BooleanField(label=gettext_lazy("Ghi danh bảng vàng"), required=False)
    message = forms.CharField(label=gettext_lazy("Lời nhắn"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writers = roles_with(Action.ADD, Domain.MONEY)
        self.fields["campaign"].queryset = scope_queryset(Campaign.objects.all(), user, "unit", roles=writers)
        self.fields["fund"].queryset = scope_queryset(Fund.objects.all(), user, "unit", roles=writers)


class PledgeImportForm(UploadForm):
    campaign = forms.ModelChoiceField(label=gettext_lazy("Chiến dịch"), queryset=Campaign.objects.none())
    columns = gettext_lazy("Các cột: Họ tên, Loại, E-mail, Điện thoại, Mã số thuế, Địa chỉ, Số tiền, Quỹ, Số đợt, Ẩn danh, "
                           "Ghi danh bảng vàng, Lời nhắn.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["campaign"].queryset = scope_queryset(
            Campaign.objects.all(), user, "unit", roles=roles_with(Action.ADD, Domain.MONEY)
        )


class RecordPaymentForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Số tiền"))
    method = forms.ChoiceField(label=gettext_lazy("Hình thức"), choices=Payment.Method.choices)
    received_on = forms.DateField(label=gettext_lazy("Ngày nhận"), initial=timezone.localdate,
                                  widget=AdminDateWidget)
    bank_reference = forms.CharField(label=gettext_lazy("Mã giao dịch ngân hàng"), required=False, max_length=64)
    in_kind_description = forms.CharField(label=gettext_lazy("Mô tả hiện vật"), required=False, max_length=300)
    overpayment_reason = forms.CharField(
        label=gettext_lazy("Lý do nộp thừa"), required=False, max_length=500,
        help_text=gettext_lazy("Chỉ khi khoản thu vượt số cam kết còn phải nộp: ghi lý do để xác nhận."),
    )
    # Rendered once with the form: the same form sent twice (a double click, a resent POST) records
    # one payment (payment_record answers the first).
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("idempotency_key", secrets.token_urlsafe(24))


@admin.register(Pledge)
class PledgeAdmin(AmountsShownMixin, ScopedAdminMixin, DonorSearchMixin, admin.ModelAdmin):
    amounts_shown = {"amount": "amount_display"}
    scope_field = "campaign__unit"
    permission_domain = Domain.MONEY
    donor_lookup = "donor"
    # Seven columns fit a 1366 px laptop next to the sidebars (tests/adminkit/test_admin_lists_browser.py);
    # the campaign, the fund, the channel and the confirmation are filters, and on the pledge's page.
    list_display = [
        "reference", "donor", "amount_display", "paid_display", "outstanding_display", "status", "overdue_display",
    ]
    list_filter = [
        CampaignFilter, FundFilter, "status", "channel", ConfirmedFilter, OverdueFilter, CampaignUnitFilter,
    ]
    list_select_related = ["donor", "campaign", "fund"]
    search_fields = ["reference", "donor__name", "donor__phone", "donor__email"]
    inlines = [PledgeInstallmentInline, PledgePaymentInline]
    actions = ["confirm_action", "record_payment_action", "confirm_suggested_donor_action", "write_off_action", "cancel_action",
               "remind_now_action"]
    date_hierarchy = None

    class Media:
        css = {"all": ["css/admin-lists.css"]}

    def get_queryset(self, request):
        return selectors.pledge_due_amounts(selectors.pledge_list(super().get_queryset(request)))

    # A pledge changes only through its actions (payments, cancel, write off).
    readonly_fields = [field.name for field in Pledge._meta.fields if field.name != "id"]

    amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")

    paid_display = amount_column("paid_amount", gettext_lazy("đã nộp"), ordering="paid_amount")

    @admin.display(description=gettext_lazy("còn lại"), ordering="outstanding_amount")
    def outstanding_display(self, pledge):
        if pledge.overpaid_amount:
            return _("nộp thừa %(amount)s") % {"amount": vnd_or_dash(pledge.overpaid_amount)}
        return vnd_or_dash(pledge.outstanding_amount)

    @admin.display(description=gettext_lazy("đã xác nhận"), boolean=True, ordering="confirmed_at")
    def confirmed_display(self, pledge):
        return pledge.confirmed_at is not None

    @admin.display(description=gettext_lazy("quá hạn"), boolean=True)
    def overdue_display(self, pledge):
        return pledge.status in selectors.OPEN_STATUSES and pledge.due_amount > pledge.paid_amount

    # --- adding goes through pledge_create ---------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PledgeAddForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not user_can(request.user, Action.ADD, Domain.MONEY, data["campaign"].unit):
                raise PermissionDenied
            try:
                pledge, _created = services.pledge_create(
                    campaign=data["campaign"], fund=data["fund"], donor_kind=data["donor_kind"],
                    donor_name=data["donor_name"], email=data["email"], phone=data["phone"],
                    tax_code=data["tax_code"], address=data["address"], amount=data["amount"],
                    installments=data["installments"], anonymous=data["anonymous"],
                    list_on_honor_roll=data["list_on_honor_roll"], message=data["message"],
                    channel=Pledge.Channel.ADMIN, created_by=request.user,
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(request, _("Đã ghi cam kết %(reference)s.") % {"reference": pledge.reference})
                return HttpResponseRedirect(reverse("admin:donations_pledge_change", args=[pledge.pk]))
        return form_page(
            self, request, title=_("Thêm cam kết ủng hộ"), form=form, submit_label=_("Lưu"),
            link={"url": reverse("admin:donations_pledge_import"), "label": _("Hoặc nhập nhiều cam kết từ tệp CSV hoặc Excel")},
        )

    # --- CSV import ----------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="donations_pledge_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        def run_import(data):
            return services.pledges_import(campaign=data["campaign"], content=data["file"].read(), created_by=request.user)

        def done(data, result):
            message = _("Đã nhập %(created)d cam kết mới; %(existing)d dòng đã có từ trước.") % {
                "created": result.created, "existing": result.existing,
            }
            query = urlencode({"campaign": data["campaign"].pk, "channel__exact": "import"})
            return message, reverse("admin:donations_pledge_changelist") + "?" + query

        return upload_page(
            self, request, form_class=PledgeImportForm, title=_("Nhập cam kết từ tệp CSV hoặc Excel"), run_import=run_import,
            done=done,
        )

    # --- the pledge's own page -----------------------------------------------------------------
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """A pledge is read here and changed only through the list's actions: its page shows those
        that apply to it as buttons (each posts that very action to the list with this pledge
        selected, so the same code, checks and forms run), and no Save buttons. (Here, not in
        `change_view`: the pledge Django has just read comes with it.)"""
        if obj is not None:
            context.update({
                "title": Pledge._meta.verbose_name.capitalize(), "pledge_actions": self._page_actions(request, obj),
                "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _page_actions(self, request, pledge) -> list[tuple[str, str]]:
        """[(action name, its label)] of the list's actions that can apply to `pledge` now, for a
        user who may change it (the services still decide: a button is an offer, not a permission)."""
        if not user_can(request.user, Action.CHANGE, Domain.MONEY, pledge.campaign.unit):
            return []
        applicable = []
        if pledge.status in selectors.OPEN_STATUSES:
            applicable.append("record_payment_action")
        if pledge.confirmed_at is None and pledge.status not in CLOSED_STATUSES:
            applicable.append("confirm_action")
        if pledge.suggested_donor_id is not None:
            applicable.append("confirm_suggested_donor_action")
        if pledge.status in selectors.OPEN_STATUSES:
            applicable += ["remind_now_action", "write_off_action", "cancel_action"]
        offered = self.get_actions(request)
        return [(name, self.PAGE_ACTION_LABELS.get(name, offered[name][2])) for name in applicable if name in offered]

    # The buttons speak of this pledge, where the list's actions speak of "the selected pledges".
    PAGE_ACTION_LABELS = {
        "record_payment_action": gettext_lazy("Ghi nhận khoản thu"),
        "confirm_action": pgettext_lazy("pledge page", "Xác nhận cam kết"),
        "write_off_action": gettext_lazy("Xóa nợ"),
        "cancel_action": gettext_lazy("Hủy cam kết"),
    }

    # --- actions -----------------------------------------------------------------------------
    def _writable(self, request, pledges):
        for pledge in pledges:
            if not user_can(request.user, Action.CHANGE, Domain.MONEY, pledge.campaign.unit):
                raise PermissionDenied

    @admin.action(description=pgettext_lazy("admin action", "Xác nhận cam kết"), permissions=["change"])
    def confirm_action(self, request, queryset):
        """A treasurer vouches for pledges from the public form: from now on they count in public."""
        pledges = list(queryset.select_related("campaign__unit").order_by("pk"))
        self._writable(request, pledges)
        confirmed = 0
        for pledge in pledges:
            try:
                services.pledge_confirm(pledge=pledge, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                confirmed += 1
        if confirmed:
            self.message_user(request, _("Đã xác nhận %(count)d cam kết.") % {"count": confirmed})

    @admin.action(description=gettext_lazy("Ghi nhận khoản thu cho cam kết đã chọn"), permissions=["change"])
    def record_payment_action(self, request, queryset):
        pledges = list(queryset.select_related("campaign__unit", "donor", "fund"))  # with the due amounts
        if len(pledges) != 1:
            self.message_user(request, _("Hãy chọn đúng một cam kết để ghi khoản thu."), messages.WARNING)
            return None
        (pledge,) = pledges
        self._writable(request, pledges)
        initial = {"amount": f"{pledge.outstanding_amount:,}".replace(",", ".") if pledge.outstanding_amount else ""}
        form = RecordPaymentForm(request.POST if "apply" in request.POST else None, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_record(
                    donor=pledge.donor, pledge=pledge, amount=data["amount"], method=data["method"],
                    received_on=data["received_on"], unit=pledge.campaign.unit,
                    bank_reference=data["bank_reference"] or None, in_kind_description=data["in_kind_description"],
                    overpayment_reason=data["overpayment_reason"], recorded_by=request.user,
                    channel=Pledge.Channel.ADMIN, idempotency_key=data["idempotency_key"] or None,
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                if payment.replayed:
                    message = _("Khoản thu %(amount)s cho cam kết %(reference)s đã được ghi từ lần gửi trước; "
                                "không ghi thêm.")
                else:
                    message = _("Đã ghi khoản thu %(amount)s cho cam kết %(reference)s.")
                self.message_user(request, message % {"amount": vnd_or_dash(payment.amount), "reference": pledge.reference})
                return None
        # What the treasurer checks the receipt in hand against before typing the amount.
        intro = _("%(donor)s – %(campaign)s: cam kết %(amount)s, đã nộp %(paid)s, còn phải nộp %(outstanding)s.") % {
            "donor": pledge.donor.name, "campaign": pledge.campaign.name, "amount": vnd_or_dash(pledge.amount),
            "paid": vnd_or_dash(pledge.paid_amount), "outstanding": vnd_or_dash(pledge.outstanding_amount),
        }
        return form_page(
            self, request, title=_("Ghi nhận khoản thu"), form=form, objects=pledges, action="record_payment_action",
            submit_label=_("Ghi nhận"), intro=intro,
        )

    @admin.action(description=gettext_lazy("Xác nhận cam kết là của nhà hảo tâm được gợi ý"), permissions=["change"])
    def confirm_suggested_donor_action(self, request, queryset):
        confirmed = 0
        for pledge in queryset.select_related("campaign__unit"):
            try:
                services.pledge_donor_confirm(pledge=pledge, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{pledge.reference}: {' '.join(error.messages)}", messages.ERROR)
            else:
                confirmed += 1
        if confirmed:
            self.message_user(
                request, _("Đã chuyển %(count)d cam kết về nhà hảo tâm được gợi ý.") % {"count": confirmed}
            )

    def _close_action(self, request, queryset, *, service, action, title, done):
        pledges = list(queryset.select_related("campaign__unit", "donor"))
        self._writable(request, pledges)
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            closed = 0
            for pledge in pledges:
                try:
                    service(pledge=pledge, reason=form.cleaned_data["reason"], by=request.user)
                except ValidationError as error:
                    self.message_user(request, f"{pledge.reference}: {' '.join(error.messages)}", messages.ERROR)
                else:
                    closed += 1
            if closed:
                self.message_user(request, done % {"count": closed})
            return None
        return form_page(self, request, title=title, form=form, objects=pledges, action=action, submit_label=title)

    @admin.action(description=gettext_lazy("Xóa nợ phần còn lại (ghi lý do)"), permissions=["change"])
    def write_off_action(self, request, queryset):
        return self._close_action(
            request, queryset, service=services.pledge_write_off, action="write_off_action",
            title=_("Xóa nợ"), done=_("Đã xóa nợ %(count)d cam kết."),
        )

    @admin.action(description=gettext_lazy("Hủy cam kết (ghi lý do)"), permissions=["change"])
    def cancel_action(self, request, queryset):
        return self._close_action(
            request, queryset, service=services.pledge_cancel, action="cancel_action",
            title=_("Hủy cam kết"), done=_("Đã hủy %(count)d cam kết."),
        )

    # Why a pledge got no reminder, as the treasurer reads it.
    REMIND_NOW_SKIPPED = {
        "closed": gettext_lazy("đã hủy, đã xóa nợ hoặc đã nộp đủ"),
        "no_email": gettext_lazy("nhà hảo tâm không có e-mail"),
        "no_consent": gettext_lazy("nhà hảo tâm không đồng ý nhận e-mail"),
        "nothing_due": gettext_lazy("không còn đợt nào phải nộp"),
        "already_today": gettext_lazy("đã nhắc hôm nay"),
    }

    @admin.action(description=gettext_lazy("Gửi e-mail nhắc nộp ngay"), permissions=["change"])
    def remind_now_action(self, request, queryset):
        pledges = list(queryset.select_related("campaign__unit"))
        self._writable(request, pledges)
        result = services.pledge_remind_now(pledges=pledges, by=request.user)
        if result.queued:
            self.message_user(request, _("Đã gửi e-mail nhắc nộp cho %(count)d cam kết: %(references)s.") % {
                "count": len(result.queued), "references": ", ".join(result.queued),
            })
        message_skipped(self, request, result.skipped, self.REMIND_NOW_SKIPPED, _("Không nhắc %(names)s: %(reason)s."))

"""Admin for treasurers: donors, pledges, payments and the bank-statement reconciliation queue.

Every page is scoped to the user's units (`ScopedAdminMixin`, domain money) and every write goes
through a service (`donations.services`, `donations.bank_statement`): the admin validates a
form, calls one service and shows its message. Money rows are append-only: payments have no
change or delete permission, and pledges change only through actions (record a payment,
cancel, write off) that leave a reason and a name behind.

List pages run a fixed number of queries whatever the number of rows: related rows are joined
(`list_select_related`), sums are subqueries of the queryset (`selectors`), and list filters
read their choices once (tests/donations/test_admin.py counts them).
"""

from __future__ import annotations

import json
import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaigns.models import Campaign
from donations import bank_statement, selectors, services
from donations.models import BankStatementImport, BankStatementLine, Donor, Payment, Pledge, PledgeInstallment
from fundmgr.adminkit.forms import AmountField, TableFileField, form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page as _form_page
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedUnitFilter
from fundmgr.core.contacts import name_normalize, phone_normalize
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, visible_units

# --- scoped list filters ------------------------------------------------------------------------

def _viewer_roles():
    return roles_with(Action.VIEW, Domain.MONEY)


class _ScopedChoiceFilter(admin.SimpleListFilter):
    """A filter over rows of another model, offering only those inside the user's units."""

    lookup = ""

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.lookup: self.value()})


class CampaignFilter(_ScopedChoiceFilter):
    title = gettext_lazy("chiến dịch")
    parameter_name = "campaign"
    lookup = "campaign_id"

    def lookups(self, request, model_admin):
        campaigns = scope_queryset(Campaign.objects.all(), request.user, "unit", roles=_viewer_roles())
        return [(str(pk), name) for pk, name in campaigns.values_list("pk", "name")]


class PaymentCampaignFilter(CampaignFilter):
    lookup = "pledge__campaign_id"


class FundFilter(_ScopedChoiceFilter):
    title = gettext_lazy("quỹ")
    parameter_name = "fund"
    lookup = "fund_id"

    def lookups(self, request, model_admin):
        funds = scope_queryset(Fund.objects.all(), request.user, "unit", roles=_viewer_roles())
        return [(str(pk), f"{code} – {name}") for pk, code, name in funds.values_list("pk", "code", "name")]


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


class StatementFilter(admin.SimpleListFilter):
    title = gettext_lazy("lần nhập sao kê")
    parameter_name = "statement"

    def lookups(self, request, model_admin):
        statements = scope_queryset(BankStatementImport.objects.all(), request.user, "unit", roles=_viewer_roles())
        return [(str(pk), f"{name} ({created:%d/%m/%Y})") for pk, name, created in
                statements.order_by("-pk").values_list("pk", "file_name", "created_at")[:30]]

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(statement_id=self.value())


# --- search without diacritics -----------------------------------------------------------------


class _DonorSearchMixin:
    """Search the `search_fields`, and also the name without diacritics and the phone in any spelling.

    "nguyen van duc" finds "Nguyễn Văn Đức", "0912 345 678" finds "+84912345678". Every lookup
    follows a many-to-one relation, so a row appears once.
    """

    donor_lookup = ""  # path to the Donor ("" on the donor admin itself)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        prefix = f"{self.donor_lookup}__" if self.donor_lookup else ""
        query = Q(**{f"{prefix}name_normalized__contains": name_normalize(term)})
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": term})
        try:
            phone = phone_normalize(term)
        except ValidationError:
            phone = ""
        if phone:
            query |= Q(**{f"{prefix}phone": phone})
        return queryset.filter(query), False


# --- donors ------------------------------------------------------------------------------------


class _ReadOnlyInline(ReadOnlyAdminMixin, ScopedAdminMixin, admin.TabularInline):
    permission_domain = Domain.MONEY
    parent_scope_field = "unit"
    extra = 0
    can_delete = False
    show_change_link = True


class DonorPledgeInline(_ReadOnlyInline):
    model = Pledge
    fk_name = "donor"
    scope_field = "campaign__unit"
    fields = ["reference", "campaign", "fund", "amount_display", "status", "created_at"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("cam kết")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "fund")

    @admin.display(description=gettext_lazy("số tiền"))
    def amount_display(self, pledge):
        return vnd_or_dash(pledge.amount)


class DonorPaymentInline(_ReadOnlyInline):
    model = Payment
    scope_field = "unit"
    fields = ["received_on", "amount_display", "method", "fund", "pledge", "bank_reference"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("khoản thu")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("fund", "pledge")

    @admin.display(description=gettext_lazy("số tiền"))
    def amount_display(self, payment):
        return vnd_or_dash(payment.amount)


class DonorForm(forms.ModelForm):
    class Meta:
        model = Donor
        fields = ["kind", "name", "email", "phone", "tax_code", "address"]
        field_classes = {"email": forms.CharField}  # checked by the kernel's rule in clean(), with its one message

    def clean(self):
        cleaned = super().clean()
        try:
            # DonorForm's own fields: the admin's subclass of this form lists its own (the unit too).
            services.donor_fields_clean(**{field: cleaned.get(field, "") for field in DonorForm.Meta.fields})
        except ValidationError as error:
            form_errors_from(self, error)
        return cleaned


@admin.register(Donor)
class DonorAdmin(ScopedAdminMixin, _DonorSearchMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    form = DonorForm
    list_display = ["name", "kind", "phone", "email", "tax_code", "unit", "pledged_display", "paid_display", "merged_into"]
    list_filter = ["kind", ScopedUnitFilter, ("merged_into", admin.EmptyFieldListFilter)]
    list_select_related = ["unit", "merged_into"]
    search_fields = ["name", "email", "phone", "tax_code"]
    inlines = [DonorPledgeInline, DonorPaymentInline]
    readonly_fields = ["unit", "honor_roll_consent", "honor_roll_consent_at", "email_consent", "email_consent_at",
                       "merged_into", "merge_candidates", "created_at"]
    actions = ["merge_action", "data_export_action"]

    def get_queryset(self, request):
        return selectors.donor_totals(super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False  # a donor comes with a pledge or a payment (pledge_create, donor_find_or_create)

    @admin.display(description=gettext_lazy("đã cam kết"), ordering="pledged_total")
    def pledged_display(self, donor):
        return vnd_or_dash(donor.pledged_total)

    @admin.display(description=gettext_lazy("đã nộp"), ordering="paid_total")
    def paid_display(self, donor):
        return vnd_or_dash(donor.paid_total)

    @admin.display(description=gettext_lazy("có thể trùng với"))
    def merge_candidates(self, donor):
        candidates = list(selectors.donor_merge_candidates(donor)[:20])
        if not candidates:
            return "–"
        # A constant separator; format_html_join escapes the parts.
        return format_html_join(
            mark_safe("<br>"),  # nosec B308
            '<a href="{}">{}</a> ({})',
            ((reverse("admin:donations_donor_change", args=[c.pk]), c.name,
              ", ".join(filter(None, [c.phone, c.email, c.tax_code])) or "–") for c in candidates),
        )

    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        # The form checked the fields with the same rules; the service normalises and saves them.
        original = Donor.objects.get(pk=obj.pk)
        services.donor_update(donor=original, by=request.user, **{f: form.cleaned_data[f] for f in DonorForm.Meta.fields})

    @admin.action(description=gettext_lazy("Xuất dữ liệu cá nhân của nhà hảo tâm (JSON)"), permissions=["view"])
    def data_export_action(self, request, queryset):
        """A donor's request for their data: one donor at a time, as a JSON file, audited."""
        donors = list(queryset[:2])
        if len(donors) != 1:
            self.message_user(request, _("Hãy chọn đúng một nhà hảo tâm để xuất dữ liệu."), messages.WARNING)
            return None
        data = services.donor_data_export_record(donor=donors[0], by=request.user)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="nha-hao-tam-{donors[0].pk}.json"'
        return response

    @admin.action(description=gettext_lazy("Gộp hai nhà hảo tâm đã chọn"), permissions=["change"])
    def merge_action(self, request, queryset):
        donors = list(queryset.order_by("pk"))
        if len(donors) != 2:
            self.message_user(request, _("Hãy chọn đúng hai nhà hảo tâm để gộp."), messages.WARNING)
            return None

        class MergeForm(forms.Form):
            keep = forms.TypedChoiceField(
                label=_("Giữ hồ sơ"), coerce=int, widget=forms.RadioSelect,
                choices=[(d.pk, f"{d.name} ({', '.join(filter(None, [d.phone, d.email, d.tax_code])) or '–'})") for d in donors],
            )

        form = MergeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            keep = next(d for d in donors if d.pk == form.cleaned_data["keep"])
            merge = next(d for d in donors if d.pk != keep.pk)
            for donor in (keep, merge):
                if not user_can(request.user, Action.CHANGE, Domain.MONEY, donor.unit):
                    raise PermissionDenied
            try:
                services.donor_merge(keep=keep, merge=merge, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Đã gộp “%(merge)s” vào “%(keep)s”.") % {"merge": merge, "keep": keep})
            return None
        return _form_page(
            self, request, title=_("Gộp nhà hảo tâm"), form=form, objects=donors, action="merge_action",
            submit_label=_("Gộp"),
            intro=_("Cam kết và khoản thu của hồ sơ kia được chuyển sang hồ sơ được giữ; hồ sơ kia vẫn còn, ghi là đã gộp."),
        )


# --- pledges -----------------------------------------------------------------------------------


class PledgeInstallmentInline(_ReadOnlyInline):
    model = PledgeInstallment
    scope_field = "pledge__campaign__unit"
    parent_scope_field = "campaign__unit"
    fields = ["number", "due_on", "amount_display"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description=gettext_lazy("số tiền"))
    def amount_display(self, installment):
        return vnd_or_dash(installment.amount)


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


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Lý do"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class RecordPaymentForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Số tiền"))
    method = forms.ChoiceField(label=gettext_lazy("Hình thức"), choices=Payment.Method.choices)
    received_on = forms.DateField(label=gettext_lazy("Ngày nhận"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}))
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
class PledgeAdmin(ScopedAdminMixin, _DonorSearchMixin, admin.ModelAdmin):
    scope_field = "campaign__unit"
    permission_domain = Domain.MONEY
    donor_lookup = "donor"
    list_display = [
        "reference", "donor", "campaign", "fund", "amount_display", "paid_display", "outstanding_display",
        "status", "overdue_display", "channel", "confirmed_display", "created_at",
    ]
    list_filter = [
        CampaignFilter, FundFilter, "status", "channel", ConfirmedFilter, OverdueFilter, CampaignUnitFilter,
    ]
    list_select_related = ["donor", "campaign", "fund"]
    search_fields = ["reference", "donor__name", "donor__phone", "donor__email"]
    inlines = [PledgeInstallmentInline, PledgePaymentInline]
    actions = ["confirm_action", "record_payment_action", "confirm_suggested_donor_action", "write_off_action", "cancel_action"]
    date_hierarchy = None

    def get_queryset(self, request):
        return selectors.pledge_due_amounts(selectors.pledge_list(super().get_queryset(request)))

    def get_readonly_fields(self, request, obj=None):
        # A pledge changes only through its actions (payments, cancel, write off).
        return [field.name for field in Pledge._meta.fields if field.name != "id"]

    @admin.display(description=gettext_lazy("số tiền"), ordering="amount")
    def amount_display(self, pledge):
        return vnd_or_dash(pledge.amount)

    @admin.display(description=gettext_lazy("đã nộp"), ordering="paid_amount")
    def paid_display(self, pledge):
        return vnd_or_dash(pledge.paid_amount)

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
        return _form_page(
            self, request, title=_("Thêm cam kết ủng hộ"), form=form, submit_label=_("Lưu"),
            link={"url": reverse("admin:donations_pledge_import"), "label": _("Hoặc nhập nhiều cam kết từ tệp CSV")},
        )

    # --- CSV import ----------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="donations_pledge_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied

        class ImportForm(forms.Form):
            campaign = forms.ModelChoiceField(
                label=_("Chiến dịch"),
                queryset=scope_queryset(Campaign.objects.all(), request.user, "unit", roles=roles_with(Action.ADD, Domain.MONEY)),
            )
            file = TableFileField(label=_("Tệp CSV hoặc Excel (.xlsx)"), help_text=_("Các cột: Họ tên, Loại, E-mail, Điện thoại, Mã số thuế, Địa chỉ, Số tiền, Quỹ, Số đợt, Ẩn danh, Ghi danh bảng vàng, Lời nhắn."))

        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            campaign = form.cleaned_data["campaign"]
            try:
                result = services.pledges_import(campaign=campaign, content=form.cleaned_data["file"].read(), created_by=request.user)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                self.message_user(
                    request,
                    _("Đã nhập %(created)d cam kết mới; %(existing)d dòng đã có từ trước.")
                    % {"created": result.created, "existing": result.existing},
                )
                return HttpResponseRedirect(
                    reverse("admin:donations_pledge_changelist") + "?" + urlencode({"campaign": campaign.pk, "channel__exact": "import"})
                )
        return _form_page(self, request, title=_("Nhập cam kết từ tệp CSV"), form=form, submit_label=_("Nhập"))

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
        pledges = list(queryset.select_related("campaign__unit", "donor", "fund"))
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
        return _form_page(
            self, request, title=_("Ghi nhận khoản thu"), form=form, objects=pledges, action="record_payment_action",
            submit_label=_("Ghi nhận"),
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
        return _form_page(self, request, title=title, form=form, objects=pledges, action=action, submit_label=title)

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


# --- payments ----------------------------------------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, _DonorSearchMixin, admin.ModelAdmin):
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

    @admin.display(description=gettext_lazy("số tiền"), ordering="amount")
    def amount_display(self, payment):
        return vnd_or_dash(payment.amount)


# --- bank statements ---------------------------------------------------------------------------


class StatementUploadForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị (chủ tài khoản)"), queryset=None)
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Chiến dịch"), queryset=None, required=False,
        help_text=gettext_lazy("Để trống: so khớp với mọi chiến dịch của đơn vị."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Mẫu sao kê"), initial="auto",
        choices=[("auto", gettext_lazy("Tự nhận biết"))] + BankStatementImport.Format.choices,
    )
    file = TableFileField(label=gettext_lazy("Tệp sao kê (CSV hoặc Excel .xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writers = roles_with(Action.ADD, Domain.MONEY)
        self.fields["unit"].queryset = visible_units(user, writers)
        self.fields["campaign"].queryset = scope_queryset(Campaign.objects.all(), user, "unit", roles=writers)


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "created_at", "file_name", "format", "unit", "campaign", "lines_credit", "lines_new", "lines_matched",
        "lines_unmatched", "lines_ignored", "amount_matched_display", "lines_link", "created_by",
    ]
    list_filter = ["format", ScopedUnitFilter]
    list_select_related = ["unit", "campaign", "created_by"]
    search_fields = ["file_name", "file_sha256"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("tổng tiền đã khớp"), ordering="amount_matched")
    def amount_matched_display(self, statement):
        return vnd_or_dash(statement.amount_matched)

    @admin.display(description=gettext_lazy("dòng"))
    def lines_link(self, statement):
        url = reverse("admin:donations_bankstatementline_changelist") + "?" + urlencode({"statement": statement.pk})
        return format_html('<a href="{}">{}</a>', url, _("xem các dòng"))

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                statement = bank_statement.statement_import(
                    unit=data["unit"], campaign=data["campaign"], file_name=upload.name, content=upload.read(),
                    format=data["format"], created_by=request.user,
                )
            except bank_statement.StatementError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                self.message_user(
                    request,
                    _("Đã nhập %(new)d dòng mới (%(old)d dòng đã có từ trước): %(matched)d dòng khớp, "
                      "%(unmatched)d dòng chờ đối soát.")
                    % {"new": statement.lines_new, "old": statement.lines_credit - statement.lines_new,
                       "matched": statement.lines_matched, "unmatched": statement.lines_unmatched},
                )
                url = reverse("admin:donations_bankstatementline_changelist") + "?" + urlencode({"statement": statement.pk})
                return HttpResponseRedirect(url)
        return _form_page(
            self, request, title=_("Nhập sao kê ngân hàng"), form=form, submit_label=_("Nhập"),
            intro=_("Các dòng có mã ủng hộ trong nội dung được ghi nhận ngay; các dòng khác chờ đối soát. "
                    "Nhập lại cùng một tệp không tạo thêm gì."),
        )


class MatchForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Mã ủng hộ của cam kết"), max_length=20,
                                help_text=gettext_lazy("Ví dụ TKH26-7KQ3M."))


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "statement__unit"
    permission_domain = Domain.MONEY
    list_display = [
        "transaction_date", "amount_display", "memo", "counterparty", "bank_reference", "status", "matched_by",
        "pledge", "payment_link", "note",
    ]
    list_filter = ["status", "matched_by", StatementFilter, StatementUnitFilter]
    list_select_related = ["pledge", "payment"]
    search_fields = ["memo", "counterparty", "bank_reference", "pledge__reference"]
    actions = ["match_action", "ignore_action"]
    readonly_fields = [f.name for f in BankStatementLine._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("số tiền"), ordering="amount")
    def amount_display(self, line):
        return vnd_or_dash(line.amount)

    @admin.display(description=gettext_lazy("khoản thu"))
    def payment_link(self, line):
        if line.payment_id is None:
            return "–"
        return format_html('<a href="{}">#{}</a>', reverse("admin:donations_payment_change", args=[line.payment_id]), line.payment_id)

    def _writable(self, request, lines):
        for line in lines:
            if not user_can(request.user, Action.CHANGE, Domain.MONEY, line.statement.unit):
                raise PermissionDenied

    @admin.action(description=gettext_lazy("Khớp thủ công với một cam kết"), permissions=["change"])
    def match_action(self, request, queryset):
        lines = list(queryset.select_related("statement__unit"))
        if len(lines) != 1:
            self.message_user(request, _("Hãy chọn đúng một dòng sao kê để khớp."), messages.WARNING)
            return None
        (line,) = lines
        self._writable(request, lines)
        form = MatchForm(request.POST if "apply" in request.POST else None,
                         initial={"reference": line.pledge.reference if line.pledge_id else ""})
        if form.is_valid():
            reference = form.cleaned_data["reference"].strip().upper()
            pledges = scope_queryset(Pledge.objects.all(), request.user, "campaign__unit", roles=roles_with(Action.CHANGE, Domain.MONEY))
            pledge = pledges.filter(reference=reference).first()
            if pledge is None:
                form.add_error("reference", _("Không tìm thấy cam kết có mã này trong các đơn vị của bạn."))
            else:
                try:
                    bank_statement.bank_line_match(line=line, pledge=pledge, by=request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    self.message_user(request, _("Đã ghi dòng sao kê thành khoản thu của cam kết %(reference)s.") % {"reference": pledge.reference})
                    return None
        return _form_page(
            self, request, title=_("Khớp dòng sao kê"), form=form, objects=lines, action="match_action",
            submit_label=_("Khớp"),
        )

    @admin.action(description=gettext_lazy("Bỏ qua (không phải tiền ủng hộ)"), permissions=["change"])
    def ignore_action(self, request, queryset):
        lines = list(queryset.select_related("statement__unit"))
        self._writable(request, lines)
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for line in lines:
                try:
                    bank_statement.bank_line_ignore(line=line, reason=form.cleaned_data["reason"], by=request.user)
                except ValidationError as error:
                    self.message_user(request, f"{line}: {' '.join(error.messages)}", messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(request, _("Đã bỏ qua %(count)d dòng.") % {"count": done})
            return None
        return _form_page(self, request, title=_("Bỏ qua dòng sao kê"), form=form, objects=lines, action="ignore_action",
                          submit_label=_("Bỏ qua các dòng này"))

# The campaign admin lives here: its list shows what donations raised (`donations.progress`).
from . import campaigns as campaign_admin  # noqa: E402,F401

"""The donor admin: search without diacritics, totals, merging two records, a data export.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donations import selectors, services
from donations.models import Donor, Payment, Pledge
from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.forms import form_errors_from
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import ScopedAdminMixin, ScopedUnitFilter
from fundmgr.orgs.roles import Action, Domain, user_can
from receipts import services as receipt_services

from .common import DonorSearchMixin, ReadOnlyInline, message_skipped


class DonorPledgeInline(ReadOnlyInline):
    model = Pledge
    fk_name = "donor"
    scope_field = "campaign__unit"
    fields = ["reference", "campaign", "fund", "amount_display", "status", "created_at"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("cam kết")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "fund")

    amount_display = amount_column("amount", gettext_lazy("số tiền"))


class DonorPaymentInline(ReadOnlyInline):
    model = Payment
    scope_field = "unit"
    fields = ["received_on", "amount_display", "method", "fund", "pledge", "bank_reference"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("khoản thu")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("fund", "pledge")

    amount_display = amount_column("amount", gettext_lazy("số tiền"))


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
class DonorAdmin(ScopedAdminMixin, DonorSearchMixin, admin.ModelAdmin):
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
    actions = ["merge_action", "data_export_action", "annual_statement_action"]

    def get_queryset(self, request):
        return selectors.donor_totals(super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False  # a donor comes with a pledge or a payment (pledge_create, donor_find_or_create)

    pledged_display = amount_column("pledged_total", gettext_lazy("đã cam kết"), ordering="pledged_total")

    paid_display = amount_column("paid_total", gettext_lazy("đã nộp"), ordering="paid_total")

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
        return form_page(
            self, request, title=_("Gộp nhà hảo tâm"), form=form, objects=donors, action="merge_action",
            submit_label=_("Gộp"),
            intro=_("Cam kết và khoản thu của hồ sơ kia được chuyển sang hồ sơ được giữ; hồ sơ kia vẫn còn, ghi là đã gộp."),
        )

    # Why a donor got no statement, as the treasurer reads it.
    STATEMENT_SKIPPED = {
        "merged": gettext_lazy("đã gộp vào nhà hảo tâm khác"),
        "no_email": gettext_lazy("không có e-mail"),
        "already_sent": gettext_lazy("đã gửi bảng kê năm này"),
    }

    @admin.action(description=gettext_lazy("Lập và gửi bảng kê phiếu thu cả năm"), permissions=["change"])
    def annual_statement_action(self, request, queryset):
        donors = list(queryset.select_related("unit"))
        form = AnnualStatementForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                result = receipt_services.annual_statements_request(
                    donors=donors, year=form.cleaned_data["year"], by=request.user
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                if result.queued:
                    self.message_user(request, _("Đang gửi bảng kê năm %(year)d cho %(count)d nhà hảo tâm.") % {
                        "year": form.cleaned_data["year"], "count": len(result.queued),
                    })
                message_skipped(
                    self, request, result.skipped, self.STATEMENT_SKIPPED, _("Không gửi cho %(names)s: %(reason)s.")
                )
                return None
        title = _("Bảng kê phiếu thu cả năm")
        return form_page(
            self, request, title=title, form=form, objects=donors, action="annual_statement_action", submit_label=_("Gửi"),
        )


class AnnualStatementForm(forms.Form):
    # Asked for in the first months of a year, for the year before: that is the default.
    year = forms.IntegerField(label=gettext_lazy("Năm"), initial=lambda: timezone.localdate().year - 1)

"""Admin of receipts: the register, the PDF, re-sending, voiding, and the jobs that failed or hang.

Scope and permissions come from `ScopedAdminMixin` (domain money, the receipt's unit). Receipts
are issued by `payment_record`, never added here; nothing is edited or deleted (a mistaken
receipt is voided, with a reason, by `donations.services.receipt_void`). Every action calls a service;
the service checks, per receipt, that the user is a treasurer of its unit.

The register's changelist runs a fixed number of queries whatever the page holds: the unit and
the voiding user are joined, and the states of the two delivery jobs are subqueries.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from donations import services as donations_services
from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.core import outbox
from fundmgr.core.money import format_vnd
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.roles import Action, Domain, user_can

from . import services
from .models import DonorAnnualStatement, Receipt, ReceiptDelivery

STATUS_LABELS = dict(JobStatus.choices)


def _delivery_status(channel: str) -> Subquery:
    return Subquery(
        ReceiptDelivery.objects.filter(receipt=OuterRef("pk"), channel=channel).values("status")[:1]
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do hủy"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("Bắt buộc. Ghi rõ vì sao phiếu thu bị hủy; lý do in trên phiếu và lưu trong sổ."),
    )


class DeliveryInline(ReadOnlyAdminMixin, ScopedAdminMixin, admin.TabularInline):
    model = ReceiptDelivery
    scope_field = "receipt__unit"
    permission_domain = Domain.MONEY
    parent_scope_field = "unit"
    fields = ["channel", "status", "attempts", "recipient", "last_error", "updated_at", "done_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Receipt)
class ReceiptAdmin(AmountsShownMixin, ReadOnlyAdminMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    amounts_shown = {"amount": "amount_display"}
    scope_field = "unit"
    permission_domain = Domain.MONEY
    # These columns fit a 1366 px laptop next to the sidebars (tests/adminkit/test_admin_lists_browser.py);
    # the unit is a filter, and on the receipt.
    list_display = [
        "number_display", "date_display", "payer_name", "amount_display", "state_display",
        "pdf_status_display", "email_status_display",
    ]
    list_display_links = ["number_display"]
    list_filter = ["state", "year", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "number", "payer_name", "verification_code", "payment__pledge__reference", "payment__bank_reference",
    ]
    list_select_related = ["unit", "voided_by"]
    date_hierarchy = "receipt_date"
    actions = ["resend_email", "void_receipts"]
    inlines = [DeliveryInline]
    fields = [
        "number", "unit", "year", "receipt_date", "payment", "issued_at", "issued_by", "verification_code",
        "unit_name", "unit_address", "payer_name", "payer_address", "amount", "reason", "fund_name",
        "payment_method", "debit_account", "credit_account", "attached_documents", "pdf_link",
        "state", "void_reason", "voided_by", "voided_at", "void_entry",
    ]
    readonly_fields = fields
    change_form_template = "admin/receipts/receipt/change_form.html"

    class Media:
        css = {"all": ["receipts/admin.css", "css/admin-lists.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            pdf_status=_delivery_status(ReceiptDelivery.Channel.PDF),
            email_status=_delivery_status(ReceiptDelivery.Channel.EMAIL),
        )

    # --- permissions: read-only (issued with the payment by `payment_record`, and what a receipt
    # certifies never changes); voiding and re-sending are actions -----------------------------
    def has_void_permission(self, request, obj=None):
        return user_can(request.user, Action.CHANGE, Domain.MONEY, obj.unit if obj is not None else None)

    has_resend_permission = has_void_permission

    # --- columns ------------------------------------------------------------------------------
    @admin.display(description=gettext_lazy("số phiếu"), ordering="number")
    def number_display(self, receipt):
        return format_html('<span class="receipt-number">{}</span>', receipt.number)

    @admin.display(description=gettext_lazy("ngày lập phiếu"), ordering="receipt_date")
    def date_display(self, receipt):
        return format_html('<span class="receipt-date">{}</span>', receipt.receipt_date.strftime("%d/%m/%Y"))

    @admin.display(description=gettext_lazy("số tiền"), ordering="amount")
    def amount_display(self, receipt):
        return format_html('<span class="receipt-amount">{}</span>', format_vnd(receipt.amount))

    @admin.display(description=gettext_lazy("trạng thái"), ordering="state")
    def state_display(self, receipt):
        if not receipt.is_voided:
            return receipt.get_state_display()
        who = receipt.voided_by.get_username() if receipt.voided_by_id else "?"
        return format_html(
            '<span class="receipt-voided">{}</span><span class="receipt-void-note">{} – {}, {}</span>',
            receipt.get_state_display(), receipt.void_reason, who, timezone.localtime(receipt.voided_at).strftime("%d/%m/%Y"),
        )

    @admin.display(description=gettext_lazy("PDF"))
    def pdf_status_display(self, receipt):
        if receipt.pdf and getattr(receipt, "pdf_status", None) == JobStatus.DONE:
            return format_html(
                '<a class="job-done" href="{}">{}</a>', reverse("admin:receipts_receipt_pdf", args=[receipt.pk]), _("Tải về")
            )
        return _status_badge(getattr(receipt, "pdf_status", None))

    @admin.display(description=gettext_lazy("e-mail"))
    def email_status_display(self, receipt):
        return _status_badge(getattr(receipt, "email_status", None))

    @admin.display(description=gettext_lazy("tệp PDF"))
    def pdf_link(self, receipt):
        if not receipt.pdf:
            return "–"
        return format_html(
            '<a href="{}">{}.pdf</a>', reverse("admin:receipts_receipt_pdf", args=[receipt.pk]), receipt.number
        )

    # --- views --------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="receipts_receipt_pdf"),
            path("<int:object_id>/void/", self.admin_site.admin_view(self.void_view), name="receipts_receipt_void"),
            *super().get_urls(),
        ]

    def _receipt_or_404(self, request, object_id) -> Receipt:
        receipt = self.get_queryset(request).filter(pk=object_id).first()
        if receipt is None or not self.has_view_permission(request, receipt):
            raise Http404(_("Không tìm thấy phiếu thu."))
        return receipt

    def pdf_view(self, request, object_id):
        receipt = self._receipt_or_404(request, object_id)
        if not receipt.pdf:
            raise Http404(_("Tệp PDF của phiếu thu chưa được tạo."))
        return FileResponse(
            receipt.pdf.open("rb"), content_type="application/pdf", filename=f"{receipt.number}.pdf",
        )

    def void_view(self, request, object_id):
        receipt = self._receipt_or_404(request, object_id)
        if not self.has_void_permission(request, receipt):
            raise PermissionDenied
        return self._void_page(request, [receipt], single=True)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        receipt = self.get_object(request, object_id)
        if receipt is not None and not receipt.is_voided and self.has_void_permission(request, receipt):
            extra_context["void_url"] = reverse("admin:receipts_receipt_void", args=[receipt.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions ------------------------------------------------------------------------------
    @admin.action(description=gettext_lazy("Gửi lại e-mail phiếu thu"), permissions=["resend"])
    def resend_email(self, request, queryset):
        queued = 0
        for receipt in queryset.select_related("unit").order_by("pk"):
            try:
                services.receipt_email_resend(receipt=receipt, requested_by=request.user)
                queued += 1
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"{receipt.number}: {' '.join(_messages(error))}", messages.WARNING)
        if queued:
            self.message_user(
                request, ngettext("Đã xếp hàng gửi lại %(count)d e-mail.", "Đã xếp hàng gửi lại %(count)d e-mail.", queued)
                % {"count": queued}, messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Hủy phiếu thu (ghi lý do)"), permissions=["void"])
    def void_receipts(self, request, queryset):
        return self._void_page(request, list(queryset.select_related("unit").order_by("pk")), single=False)

    def _void_page(self, request, receipts, *, single: bool):
        form = VoidForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            voided = 0
            for receipt in receipts:
                try:
                    donations_services.receipt_void(receipt=receipt, reason=form.cleaned_data["reason"], voided_by=request.user)
                    voided += 1
                except (ValidationError, PermissionDenied) as error:
                    self.message_user(request, f"{receipt.number}: {' '.join(_messages(error))}", messages.ERROR)
            if voided:
                self.message_user(
                    request, ngettext("Đã hủy %(count)d phiếu thu.", "Đã hủy %(count)d phiếu thu.", voided) % {"count": voided},
                    messages.SUCCESS,
                )
            target = (
                reverse("admin:receipts_receipt_change", args=[receipts[0].pk]) if single
                else reverse("admin:receipts_receipt_changelist")
            )
            return HttpResponseRedirect(target)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Hủy phiếu thu"),
            "opts": self.model._meta,
            "receipts": receipts,
            "rows": [(receipt, format_vnd(receipt.amount)) for receipt in receipts],
            "form": form,
            "single": single,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/receipts/receipt/void.html", context)


def _messages(error) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error) or _("Bạn không có quyền làm việc này.")]


def _status_badge(status: str | None):
    if status is None:
        return "–"
    return format_html('<span class="job-{}">{}</span>', status, STATUS_LABELS.get(status, status))


class ProblemFilter(admin.SimpleListFilter):
    """Jobs that need a look: failed (retries exhausted), or stuck (pending or running too long)."""

    title = gettext_lazy("cần xử lý")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Lỗi hoặc bị treo")),
            ("failed", _("Lỗi (đã hết lượt thử)")),
            ("stuck", _("Bị treo (chờ hoặc đang xử lý quá %(minutes)d phút)") % {"minutes": _stale_minutes()}),
        ]

    def queryset(self, request, queryset):
        stuck = Q(status__in=[JobStatus.PENDING, JobStatus.RUNNING], updated_at__lt=timezone.now() - outbox.STALE_AFTER)
        failed = Q(status=JobStatus.FAILED)
        return {"any": queryset.filter(stuck | failed), "failed": queryset.filter(failed),
                "stuck": queryset.filter(stuck)}.get(self.value(), queryset)


def _stale_minutes() -> int:
    return int(outbox.STALE_AFTER.total_seconds() // 60)


@admin.register(ReceiptDelivery)
class ReceiptDeliveryAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    """The jobs of receipts; filter "cần xử lý" lists the failed and stuck ones."""

    scope_field = "receipt__unit"
    permission_domain = Domain.MONEY
    list_display = ["receipt_link", "unit", "channel", "status_display", "attempts", "recipient", "error_short", "updated_at"]
    list_filter = [ProblemFilter, "status", "channel"]
    search_fields = ["receipt__number", "recipient", "last_error"]
    list_select_related = ["receipt__unit"]
    actions = ["retry"]

    class Media:
        css = {"all": ["receipts/admin.css"]}

    fields = ["receipt", "channel", "status", "attempts", "recipient", "last_error", "claimed_at", "done_at", "created_at", "updated_at"]
    readonly_fields = fields

    def has_retry_permission(self, request, obj=None):
        return user_can(request.user, Action.CHANGE, Domain.MONEY)

    @admin.display(description=gettext_lazy("phiếu thu"), ordering="receipt__number")
    def receipt_link(self, delivery):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:receipts_receipt_change", args=[delivery.receipt_id]), delivery.receipt.number
        )

    @admin.display(description=gettext_lazy("đơn vị"))
    def unit(self, delivery):
        return delivery.receipt.unit

    @admin.display(description=gettext_lazy("trạng thái"), ordering="status")
    def status_display(self, delivery):
        return _status_badge(delivery.status)

    @admin.display(description=gettext_lazy("lỗi gần nhất"))
    def error_short(self, delivery):
        return (delivery.last_error[:80] + "…") if len(delivery.last_error) > 80 else delivery.last_error

    @admin.action(description=gettext_lazy("Thử lại các việc đã chọn"), permissions=["retry"])
    def retry(self, request, queryset):
        retried = 0
        for delivery in queryset.order_by("pk"):
            try:
                delivery = services.delivery_retry(delivery=delivery, requested_by=request.user)
                retried += delivery.status == JobStatus.PENDING  # done and skipped jobs are left alone
            except PermissionDenied as error:
                self.message_user(request, f"{delivery}: {' '.join(_messages(error))}", messages.ERROR)
        self.message_user(
            request, ngettext("Đã xếp hàng lại %(count)d việc.", "Đã xếp hàng lại %(count)d việc.", retried) % {"count": retried},
            messages.SUCCESS,
        )


@admin.register(DonorAnnualStatement)
class DonorAnnualStatementAdmin(AmountsShownMixin, ReadOnlyAdminMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    amounts_shown = {"total_amount": "total_display"}
    scope_field = "donor__unit"
    permission_domain = Domain.MONEY
    list_display = ["donor", "year", "status", "receipt_count", "total_display", "recipient", "attempts", "updated_at"]
    list_filter = ["year", "status"]
    search_fields = ["donor__name", "recipient"]
    list_select_related = ["donor"]
    fields = ["donor", "year", "status", "receipt_count", "total_amount", "recipient", "attempts", "last_error", "done_at", "updated_at"]
    readonly_fields = fields

    total_display = amount_column("total_amount", gettext_lazy("tổng số tiền"), ordering="total_amount")

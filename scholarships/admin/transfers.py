"""Bank-transfer batches: the awards list's actions "make a transfer batch" and "certificates"
(`AwardPapersActions`, mixed into the award admin), and the batch admin with the bank's file and the
upload of the bank's result. Every step is one call to `services.transfers` or `services.papers`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, user_can

from ..models import TransferBatch, TransferLine
from ..privacy import RecipientAccess, masked_name
from ..services import papers, transfers
from .common import html_table, pdf_response, record_code, refusal_message, require_rights
from .forms import CertificatesForm, TransferResultForm


def _common_unit(units) -> OrgUnit:
    """The deepest unit at or above every one of `units` (the longest common prefix of whole ids)."""
    prefix = units[0].path
    for unit in units[1:]:
        while not unit.path.startswith(prefix):
            prefix = prefix[: prefix.rstrip(".").rfind(".") + 1]
    return OrgUnit.objects.get(path=prefix)


class AwardPapersActions:
    """The award admin's actions that make papers of awards: transfer batches and certificates."""

    # `has_pay_permission` is the award admin's (paying is the treasurer's).

    @admin.action(description=gettext_lazy("Lập lô chuyển khoản (tệp cho ngân hàng)"), permissions=["pay"])
    def transfer_batch_action(self, request, queryset):
        selected = list(queryset.select_related("program__unit", "student__unit").order_by("pk"))
        programs = {award.program for award in selected}
        if len(programs) != 1:
            self.message_user(request, _("Hãy chọn các suất của cùng một chương trình."), messages.WARNING)
            return None
        (program,) = programs
        require_rights(request, Action.ADD, Domain.MONEY, [program.unit])
        unit = _common_unit([award.student.unit for award in selected])
        try:
            batch = transfers.transfer_batch_create(program=program, unit=unit, by=request.user, awards=selected)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        self.message_user(request, _("Đã lập lô %(batch)s: %(count)d dòng, %(amount)s. Tải tệp cho ngân hàng ở trang của lô.")
                          % {"batch": batch, "count": batch.line_count, "amount": vnd_or_dash(batch.total_amount)})
        for award, reason in batch.skipped:
            self.message_user(request, f"{award}: {reason}", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:scholarships_transferbatch_change", args=[batch.pk]))

    @admin.action(description=gettext_lazy("In giấy chứng nhận (PDF)"))
    def certificates_action(self, request, queryset):
        selected = list(queryset.order_by("program__code", "student__unit__path", "student__school_name",
                                          "student__grade", "student_id"))
        form = CertificatesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pdf = papers.award_certificates_pdf(
                    awards=selected, by=request.user, day=data["day"], show_amount=data["show_amount"],
                    page_size=data["page_size"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                return pdf_response(pdf, "giay-chung-nhan.pdf")
        return form_page(
            self, request, title=_("In giấy chứng nhận học bổng"), form=form, objects=selected,
            action="certificates_action", submit_label=_("Tải PDF"),
            intro=_("Mỗi suất một trang; tên học sinh in rõ cho người được xem, và mỗi lần in được ghi vào nhật ký."),
        )


@admin.register(TransferBatch)
class TransferBatchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "program__unit"
    permission_domain = Domain.MONEY
    list_display = ["code_display", "program", "recipients_unit", "line_count", "total_display", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["program", "recipients_unit"]
    fields = [
        "code_display", "program", "recipients_unit", "status", "line_count", "total_display", "created_at",
        "actions_display", "lines_display",
    ]
    readonly_fields = fields

    total_display = amount_column("total_amount", gettext_lazy("tổng tiền"), ordering="total_amount")

    @admin.display(description=gettext_lazy("mã lô"), ordering="pk")
    def code_display(self, batch):
        return str(batch)

    def _may_pay(self, request, batch) -> bool:
        return user_can(request.user, Action.ADD, Domain.MONEY, batch.program.unit)

    @admin.display(description=gettext_lazy("thao tác"))
    def actions_display(self, batch):
        request = batch.viewer_request
        buttons = []
        if RecipientAccess(request.user).allows(batch.program.unit):  # the file names the families
            buttons.append((reverse("admin:scholarships_transferbatch_file", args=[batch.pk]), _("Tải tệp cho ngân hàng (CSV)")))
        if batch.status == TransferBatch.Status.OPEN and self._may_pay(request, batch):
            buttons.append(
                (reverse("admin:scholarships_transferbatch_confirm", args=[batch.pk]), _("Nhập kết quả của ngân hàng"))
            )
            if not batch.lines.exclude(status=TransferLine.Status.PENDING).exists():  # the bank has said nothing yet
                buttons.append((reverse("admin:scholarships_transferbatch_cancel", args=[batch.pk]), _("Hủy lô")))
        if not buttons:
            return "–"
        return format_html(" ".join(['<a class="button" href="{}">{}</a>'] * len(buttons)),
                           *[part for button in buttons for part in button])

    @admin.display(description=gettext_lazy("các dòng"))
    def lines_display(self, batch):
        shows = RecipientAccess(batch.viewer_request.user).allows(batch.program.unit)
        rows = [
            (line.number, str(line.award), record_code(line.award.student_id), masked_name(line.account_holder, shows),
             line.account_number if shows else "***", line.bank_code,
             vnd_or_dash(line.amount), line.get_status_display(),
             line.disbursement.number if line.disbursement_id else (line.result_note or "–"))
            for line in batch.lines.select_related("award", "disbursement").order_by("number")
        ]
        return html_table(
            [_("STT"), _("mã suất"), _("mã hồ sơ"), _("chủ tài khoản nhận"), _("số tài khoản nhận"), _("ngân hàng"), _("số tiền"),
             _("kết quả"), _("phiếu chi / ghi chú")], rows,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program__unit")

    def get_object(self, request, object_id, from_field=None):
        batch = super().get_object(request, object_id, from_field)
        if batch is not None:
            batch.viewer_request = request  # the display fields depend on who is looking
        return batch

    # --- views --------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:object_id>/file/", self.admin_site.admin_view(self.file_view), name="scholarships_transferbatch_file"),
            path("<int:object_id>/confirm/", self.admin_site.admin_view(self.confirm_view),
                 name="scholarships_transferbatch_confirm"),
            path("<int:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                 name="scholarships_transferbatch_cancel"),
            *super().get_urls(),
        ]

    def _batch_or_404(self, request, object_id) -> TransferBatch:
        batch = self.get_queryset(request).filter(pk=object_id).first()
        if batch is None or not self.has_view_permission(request, batch):
            raise Http404(_("Không tìm thấy lô chuyển khoản."))
        return batch

    def file_view(self, request, object_id):
        batch = self._batch_or_404(request, object_id)
        content, name = transfers.transfer_batch_file(batch=batch, by=request.user)
        response = HttpResponse(content, content_type="text/csv; charset=us-ascii")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _done(self, batch):
        return HttpResponseRedirect(reverse("admin:scholarships_transferbatch_change", args=[batch.pk]))

    def confirm_view(self, request, object_id):
        batch = self._batch_or_404(request, object_id)
        if not self._may_pay(request, batch):
            raise PermissionDenied
        form = TransferResultForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = transfers.transfer_batch_confirm(
                    batch=batch, content=form.cleaned_data["file"].read(), paid_on=form.cleaned_data["paid_on"],
                    by=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file" if not hasattr(error, "error_dict") else None, message)
            else:
                self.message_user(request, _(
                    "Đã chi %(paid)d dòng (%(amount)s); %(failed)d dòng không thành công; %(already)d dòng đã đối chiếu trước đó."
                ) % {"paid": len(result.paid), "amount": vnd_or_dash(result.paid_amount), "failed": len(result.failed),
                     "already": len(result.already)})
                for line in result.failed:
                    self.message_user(request, _("Dòng %(number)d (%(award)s) không thành công: %(note)s")
                                      % {"number": line.number, "award": line.award, "note": line.result_note or "–"},
                                      messages.WARNING)
                for line, reason in result.refused:
                    self.message_user(request, refusal_message(line, ValidationError(reason)), messages.ERROR)
                return self._done(batch)
        return form_page(
            self, request, title=_("Nhập kết quả chuyển khoản của lô %(batch)s") % {"batch": batch}, form=form,
            submit_label=_("Đối chiếu và lập phiếu chi"),
            intro=_("Dòng thành công được chi (lập phiếu chi và ghi sổ) một lần duy nhất, dù tệp được nhập lại; dòng "
                    "không thành công giữ suất học bổng ở trạng thái đã duyệt."),
        )

    def cancel_view(self, request, object_id):
        batch = self._batch_or_404(request, object_id)
        if not self._may_pay(request, batch):
            raise PermissionDenied
        if request.method == "POST":
            try:
                transfers.transfer_batch_cancel(batch=batch, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Đã hủy lô %(batch)s.") % {"batch": batch})
            return self._done(batch)
        return form_page(
            self, request, title=_("Hủy lô chuyển khoản %(batch)s") % {"batch": batch}, form=forms.Form(),
            submit_label=_("Hủy lô"), intro=_("Chỉ hủy lô chưa gửi ngân hàng; các suất có thể đưa vào lô mới."),
        )

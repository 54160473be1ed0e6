"""The bank-statement admin: uploading a statement, and the reconciliation queue of its lines.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign
from donations.models import BankStatementImport, BankStatementLine, Pledge
from donations.services import bank_statement
from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.forms import TableFileField
from fundmgr.adminkit.pages import form_page, job_progress, progress_page
from fundmgr.adminkit.scoping import ScopedAdminMixin, ScopedUnitFilter
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.core.money import format_vnd
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, visible_units

from .common import ReasonForm, StatementFilter, StatementUnitFilter


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
class BankStatementImportAdmin(AmountsShownMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    amounts_shown = {"amount_matched": "amount_matched_display"}
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "created_at", "file_name", "progress_display", "format", "unit", "campaign", "lines_credit", "lines_new", "lines_matched",
        "lines_unmatched", "lines_ignored", "amount_matched_display", "lines_link", "created_by",
    ]
    list_filter = ["format", ScopedUnitFilter]
    list_select_related = ["unit", "campaign", "created_by"]
    search_fields = ["file_name", "file_sha256"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # the file: read by the worker only

    amount_matched_display = amount_column("amount_matched", gettext_lazy("tổng tiền đã khớp"), ordering="amount_matched")

    @admin.display(description=gettext_lazy("dòng"))
    def lines_link(self, statement):
        return format_html('<a href="{}">{}</a>', self._lines_url(statement), _("xem các dòng"))

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view),
                 name="donations_bankstatementimport_progress"),
            path("<int:pk>/progress.json", self.admin_site.admin_view(self.progress_json_view),
                 name="donations_bankstatementimport_progress_json"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                statement = bank_statement.statement_upload(
                    unit=data["unit"], campaign=data["campaign"], file_name=upload.name, content=upload.read(),
                    format=data["format"], created_by=request.user,
                )
            except bank_statement.StatementError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                # The worker imports it; the progress page follows it.
                return HttpResponseRedirect(reverse("admin:donations_bankstatementimport_progress", args=[statement.pk]))
        return form_page(
            self, request, title=_("Nhập sao kê ngân hàng"), form=form, submit_label=_("Nhập"),
            intro=_("Các dòng có mã ủng hộ trong nội dung được ghi nhận ngay; các dòng khác chờ đối soát. "
                    "Nhập lại cùng một tệp không tạo thêm gì."),
        )

    # --- an import's progress (the job runs in the worker) -------------------------------------
    def _visible_statement(self, request, pk) -> BankStatementImport:
        statement = self.get_queryset(request).filter(pk=pk).first()
        if statement is None or not self.has_view_permission(request, statement):
            raise Http404
        return statement

    def _progress(self, statement) -> dict:
        status = statement.Status
        finished, failed = statement.status == status.DONE, statement.status == status.FAILED
        if finished:
            message = _(
                "Đã nhập %(new)d dòng mới (%(old)d dòng đã có từ trước): %(matched)d dòng khớp, "
                "%(unmatched)d dòng chờ đối soát."
            ) % {"new": statement.lines_new, "old": statement.lines_credit - statement.lines_new,
                 "matched": statement.lines_matched, "unmatched": statement.lines_unmatched}
        elif failed:
            message = _("Không nhập được tệp này; không có gì được ghi.") + "\n" + statement.last_error
        else:
            message = ""
        return job_progress(
            status=statement.status, label=statement.get_status_display(), done=statement.lines_done,
            total=statement.lines_credit if statement.format else None, finished=finished, failed=failed,
            message=message, next_url=self._lines_url(statement),
        )

    def _lines_url(self, statement) -> str:
        return reverse("admin:donations_bankstatementline_changelist") + "?" + urlencode({"statement": statement.pk})

    def progress_view(self, request, pk):
        statement = self._visible_statement(request, pk)
        return progress_page(
            self, request, title=_("Nhập sao kê %(file)s") % {"file": statement.file_name},
            progress=self._progress(statement),
            status_url=reverse("admin:donations_bankstatementimport_progress_json", args=[statement.pk]),
            intro=_("Tệp đã được lưu; máy chủ đang đọc và ghi nhận từng phần. Có thể rời trang này, việc nhập vẫn tiếp tục."),
        )

    def progress_json_view(self, request, pk):
        return JsonResponse(self._progress(self._visible_statement(request, pk)))

    @admin.display(description=gettext_lazy("tiến độ"))
    def progress_display(self, statement):
        progress = self._progress(statement)
        url = reverse("admin:donations_bankstatementimport_progress", args=[statement.pk])
        return format_html('<a href="{}"><progress max="100" value="{}">{} %</progress></a> {}', url,
                           progress["percent"], progress["percent"], progress["label"])


class MatchForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Mã ủng hộ của cam kết"), max_length=20,
                                help_text=gettext_lazy("Ví dụ TKH26-7KQ3M."))


@admin.register(BankStatementLine)
class BankStatementLineAdmin(AmountsShownMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    amounts_shown = {"amount": "amount_display"}
    scope_field = "statement__unit"
    permission_domain = Domain.MONEY
    list_display = [
        "transaction_date", "amount_display", "memo", "counterparty", "bank_reference", "status", "matched_by",
        "pledge", "payment_link", "note", "match_link",
    ]
    list_filter = ["status", "matched_by", StatementFilter, StatementUnitFilter]
    list_select_related = ["pledge", "payment"]
    search_fields = ["memo", "counterparty", "bank_reference", "pledge__reference"]
    actions = ["match_action", "ignore_action"]
    readonly_fields = [f.name for f in BankStatementLine._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False

    amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")

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
        self._writable(request, lines)
        if "apply" in request.POST:  # the action's own form, posted with a reference
            return self.match_view(request, lines[0].pk)
        return HttpResponseRedirect(reverse("admin:donations_bankstatementline_match", args=[lines[0].pk]))

    def get_urls(self):
        return [
            path("<int:pk>/match/", self.admin_site.admin_view(self.match_view), name="donations_bankstatementline_match"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("đối soát"))
    def match_link(self, line):
        if line.payment_id is not None:
            return "–"
        url = reverse("admin:donations_bankstatementline_match", args=[line.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Khớp…"))

    def match_view(self, request, pk):
        """The bank-match screen of one line: the likely pledges, ranked (`bank_line_suggestions`),
        each matched in one click, or any pledge by its reference; both through `bank_line_match`."""
        line = self.get_queryset(request).select_related("statement__unit", "statement__campaign").filter(pk=pk).first()
        if line is None:
            raise Http404
        self._writable(request, [line])
        pledges = scope_queryset(Pledge.objects.all(), request.user, "campaign__unit",
                                 roles=roles_with(Action.CHANGE, Domain.MONEY))
        posted = request.method == "POST"
        data = request.POST.copy() if posted else None
        if posted and request.POST.get("choice"):
            data["reference"] = request.POST["choice"]  # a suggestion's button
        form = MatchForm(data, initial={"reference": line.pledge.reference if line.pledge_id else ""})
        if posted and form.is_valid():
            reference = form.cleaned_data["reference"].strip().upper()
            pledge = pledges.filter(reference=reference).first()
            if pledge is None:
                form.add_error("reference", _("Không tìm thấy cam kết có mã này trong các đơn vị của bạn."))
            else:
                try:
                    bank_statement.bank_line_match(line=line, pledge=pledge, by=request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    self.message_user(request, _("Đã ghi dòng sao kê thành khoản thu của cam kết %(reference)s.")
                                      % {"reference": pledge.reference})
                    return HttpResponseRedirect(
                        reverse("admin:donations_bankstatementline_changelist") + "?" + urlencode(
                            {"statement": line.statement_id, "status__exact": BankStatementLine.Status.UNMATCHED}
                        )
                    )
        suggestions = bank_statement.bank_line_suggestions(line, pledges) if line.payment_id is None else []
        choices = [
            {
                "value": suggestion.pledge.reference,
                "button": _("Khớp với %(reference)s") % {"reference": suggestion.pledge.reference},
                "label": _("%(donor)s – cam kết %(amount)s, còn phải nộp %(outstanding)s") % {
                    "donor": suggestion.pledge.donor.name, "amount": format_vnd(suggestion.pledge.amount),
                    "outstanding": format_vnd(suggestion.outstanding),
                },
                "detail": _("Điểm %(score)d: %(reasons)s") % {"score": suggestion.score,
                                                               "reasons": "; ".join(suggestion.reasons)},
            }
            for suggestion in suggestions
        ]
        return form_page(
            self, request, title=_("Khớp dòng sao kê"), form=form, submit_label=_("Khớp"),
            intro=_("%(date)s · %(amount)s · %(counterparty)s · “%(memo)s”") % {
                "date": line.transaction_date.strftime("%d/%m/%Y"), "amount": format_vnd(line.amount),
                "counterparty": line.counterparty or "–", "memo": line.memo,
            },
            choices=choices,
            choices_title=_("Cam kết có thể khớp (xếp theo mức phù hợp)") if choices
            else _("Không có cam kết nào phù hợp; nhập mã ủng hộ bên dưới."),
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
        return form_page(self, request, title=_("Bỏ qua dòng sao kê"), form=form, objects=lines, action="ignore_action",
                          submit_label=_("Bỏ qua các dòng này"))

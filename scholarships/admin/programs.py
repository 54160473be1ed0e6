"""The scholarship program admin: created through `awards.program_create`, then changed only by its
actions (run the allocation, close).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
)
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.orgs.roles import Action, Domain, user_can

from .. import selectors
from ..models import (
    AllocationRun,
    ScholarshipProgram,
)
from ..services import allocation_jobs, awards
from ..services.papers import signature_list_pdf
from .common import (
    AwardsUnitFilter,
    html_table,
    pdf_response,
    person_name,
    refusal_message,
    require_rights,
)
from .forms import ProgramAddForm, RubricFormSet, SignatureListForm, rubric_band_rows, rubric_initial


class _ProgramInline(ReadOnlyAdminMixin, ScopedAdminMixin, admin.TabularInline):
    permission_domain = Domain.AWARDS
    scope_field = "program__unit"
    parent_scope_field = "unit"
    extra = 0
    can_delete = False


class AllocationRunInline(_ProgramInline):
    model = AllocationRun
    fields = ["created_at", "runner_display", "funded_count", "funded_amount_display", "inputs_sha256"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = gettext_lazy("các lần phân bổ")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "program")

    funded_amount_display = amount_column("funded_amount", gettext_lazy("tổng tiền được cấp"))

    @admin.display(description=gettext_lazy("người chạy"))
    def runner_display(self, run):
        return person_name(run.created_by)


@admin.register(ScholarshipProgram)
class ScholarshipProgramAdmin(ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.AWARDS
    list_display = [
        "code", "name", "school_year", "award_amount_display", "status", "unit", "nominations_display",
        "approved_display",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["status", "school_year", AwardsUnitFilter]
    list_select_related = ["unit"]
    search_fields = ["code", "name"]
    inlines = [AllocationRunInline]
    actions = ["run_allocation_action", "close_action", "signature_list_action"]
    fields_shown = [
        "code", "name", "school_year", "award_amount_display", "status", "unit", "funds_display", "quotas_display",
        "rubric_display", "creator_display", "created_at", "links_display",
    ]

    def get_queryset(self, request):
        return selectors.programs_with_counts(super().get_queryset(request))

    # --- permissions: created through the service, then changed only by the actions ----------------
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # nominations, runs and awards point at it

    def has_run_allocation_permission(self, request):
        return user_can(request.user, Action.ADD, Domain.AWARDS)

    def has_close_permission(self, request):
        return user_can(request.user, Action.CHANGE, Domain.AWARDS)

    def has_signature_list_permission(self, request):
        # The list names the payments: the paying unit's money readers (treasurer, auditor).
        return user_can(request.user, Action.VIEW, Domain.MONEY)

    # --- what is shown --------------------------------------------------------------------------
    def get_fields(self, request, obj=None):
        return self.fields_shown

    def get_readonly_fields(self, request, obj=None):
        return self.fields_shown

    award_amount_display = amount_column("award_amount", gettext_lazy("mức học bổng"), ordering="award_amount")

    @admin.display(description=gettext_lazy("số đề cử"), ordering="nominations_count")
    def nominations_display(self, program):
        return program.nominations_count

    @admin.display(description=gettext_lazy("số suất đã duyệt"), ordering="approved_count")
    def approved_display(self, program):
        return program.approved_count

    @admin.display(description=gettext_lazy("quỹ chi trả"))
    def funds_display(self, program):
        rows = program.program_funds.select_related("fund").order_by("fund__code")
        return html_table(
            [_("Quỹ"), _("Ngân sách dành cho chương trình")],
            [(f"{row.fund.code} – {row.fund.name}", vnd_or_dash(row.budget)) for row in rows],
        )

    @admin.display(description=gettext_lazy("chỉ tiêu theo đơn vị"))
    def quotas_display(self, program):
        rows = [(quota.unit.name, quota.max_awards) for quota in program.quotas.select_related("unit").order_by("unit__path")]
        if not rows:
            return _("Không giới hạn theo đơn vị")
        return html_table([_("Đơn vị"), _("Số suất tối đa")], rows)

    @admin.display(description=gettext_lazy("thang điểm"))
    def rubric_display(self, program):
        table = html_table(
            [_("Mã"), _("Tiêu chí"), _("Cách tính điểm")], [(item.get("code"), item.get("label"), _rubric_rule(item))
                                                          for item in program.rubric or []],
        )
        return format_html('{}<p><a href="{}">{}</a></p>', table,
                           reverse("admin:scholarships_scholarshipprogram_rubric", args=[program.pk]), _("Sửa thang điểm"))

    @admin.display(description=gettext_lazy("người tạo"))
    def creator_display(self, program):
        return person_name(program.created_by)

    @admin.display(description=gettext_lazy("xem thêm"))
    def links_display(self, program):
        query = urlencode({"program": program.pk})
        return format_html(
            '<a href="{}?{}">{}</a> · <a href="{}?{}">{}</a>',
            reverse("admin:scholarships_award_changelist"), query, _("Các suất học bổng"),
            reverse("admin:scholarships_allocationrun_changelist"), query, _("Các lần phân bổ"),
        )

    # --- adding goes through awards.program_create ------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProgramAddForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            require_rights(request, Action.ADD, Domain.AWARDS, [data["unit"]])
            try:
                program = awards.program_create(
                    unit=data["unit"], code=data["code"], name=data["name"], school_year=data["school_year"],
                    award_amount=data["award_amount"], rubric=data["rubric"], funds=data["funds"],
                    quotas=data["quotas"], created_by=request.user,
                )
            except ValidationError as error:
                form_errors_from(form, error, aliases={"funds": "fund_1", "quotas": "quota_1"})
            else:
                self.message_user(request, _("Đã tạo chương trình %(program)s.") % {"program": program})
                return HttpResponseRedirect(reverse("admin:scholarships_scholarshipprogram_change", args=[program.pk]))
        return form_page(self, request, title=_("Thêm chương trình học bổng"), form=form, submit_label=_("Lưu"))

    # --- the rubric, edited criterion by criterion, with a preview ----------------------------------
    def get_urls(self):
        return [
            path("<path:object_id>/rubric/", self.admin_site.admin_view(self.rubric_view),
                 name="scholarships_scholarshipprogram_rubric"),
            *super().get_urls(),
        ]

    def rubric_view(self, request, object_id):
        """Edit the rubric as criteria, points and bands; "Xem trước" scores the program's nominations
        under the edited rubric (`awards.rubric_preview`, the scoring of the services) and saves nothing;
        "Lưu" saves it through `awards.program_rubric_update`."""
        program = self.get_object(request, object_id)
        if program is None:
            raise Http404
        if not user_can(request.user, Action.CHANGE, Domain.AWARDS, program.unit):
            raise PermissionDenied
        formset = RubricFormSet(
            request.POST or None, initial=None if request.method == "POST" else rubric_initial(program.rubric),
            prefix="criteria", form_kwargs={"band_rows": rubric_band_rows(program.rubric)},
        )
        preview = None
        if request.method == "POST" and formset.is_valid():
            if "_preview" in request.POST:
                preview = [
                    {"student": nomination.student.code, "current": nomination.score,
                     "new": result.total if result else None, "error": error,
                     "breakdown": "; ".join(f"{item.label}: {item.points}" for item in result.breakdown) if result else ""}
                    for nomination, result, error in awards.rubric_preview(program=program, rubric=formset.rubric)
                ]
            else:
                try:
                    awards.program_rubric_update(program=program, rubric=formset.rubric, by=request.user)
                except ValidationError as error:
                    formset._non_form_errors = formset.error_class(error.messages, error_class="nonform")
                else:
                    self.message_user(request, _("Đã lưu thang điểm của %(program)s. Điểm của các đề cử đã có giữ nguyên "
                                                 "cho tới khi hội đồng chấm lại.") % {"program": program})
                    return HttpResponseRedirect(reverse("admin:scholarships_scholarshipprogram_change", args=[program.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": program,
            "title": _("Thang điểm của %(program)s") % {"program": program}, "formset": formset, "preview": preview,
            "changelist_url": reverse("admin:scholarships_scholarshipprogram_changelist"),
            "program_url": reverse("admin:scholarships_scholarshipprogram_change", args=[program.pk]),
        }
        return TemplateResponse(request, "admin/scholarships/scholarshipprogram/rubric.html", context)

    # --- actions --------------------------------------------------------------------------------
    @admin.action(description=gettext_lazy("Chạy phân bổ"), permissions=["run_allocation"])
    def run_allocation_action(self, request, queryset):
        """Each program's run is a job of the worker (a large program takes a while); the page of the
        job shows its progress and, once done, the run."""
        programs = list(queryset.select_related("unit").order_by("pk"))
        require_rights(request, Action.ADD, Domain.AWARDS, [program.unit for program in programs])
        jobs = []
        for program in programs:
            try:
                jobs.append(allocation_jobs.allocation_job_create(program=program, by=request.user))
            except ValidationError as error:
                self.message_user(request, refusal_message(program, error), messages.ERROR)
        for job in jobs:
            self.message_user(request, format_html(
                '{} <a href="{}">{}</a>', _("%(program)s: đã bắt đầu chạy phân bổ.") % {"program": job.program},
                reverse("admin:scholarships_allocationjob_change", args=[job.pk]), _("Xem tiến độ"),
            ))
        if len(jobs) == 1:
            return HttpResponseRedirect(reverse("admin:scholarships_allocationjob_change", args=[jobs[0].pk]))
        return None

    @admin.action(description=gettext_lazy("Khóa chương trình"), permissions=["close"])
    def close_action(self, request, queryset):
        programs = list(queryset.select_related("unit").filter(status=ScholarshipProgram.Status.OPEN).order_by("pk"))
        require_rights(request, Action.CHANGE, Domain.AWARDS, [program.unit for program in programs])
        if not programs:
            self.message_user(request, _("Các chương trình đã chọn đều đã khóa."), messages.WARNING)
            return None
        form = forms.Form(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for program in programs:
                awards.program_close(program=program, by=request.user)
            self.message_user(request, _("Đã khóa %(count)d chương trình.") % {"count": len(programs)})
            return None
        return form_page(
            self, request, title=_("Khóa chương trình học bổng"), form=form, objects=programs, action="close_action",
            submit_label=_("Khóa các chương trình này"),
            intro=_("Chương trình đã khóa không nhận thêm đề cử và không chạy phân bổ nữa. Các suất đã quyết định "
                    "vẫn giữ nguyên và vẫn được chi trả."),
        )

    @admin.action(description=gettext_lazy("Danh sách ký nhận (PDF)"), permissions=["signature_list"])
    def signature_list_action(self, request, queryset):
        programs = list(queryset.select_related("unit").order_by("pk")[:2])
        if len(programs) != 1:
            self.message_user(request, _("Hãy chọn đúng một chương trình."), messages.WARNING)
            return None
        (program,) = programs
        require_rights(request, Action.VIEW, Domain.MONEY, [program.unit])
        form = SignatureListForm(request.POST if "apply" in request.POST else None, program=program, user=request.user)
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            pdf, _listed = signature_list_pdf(program=program, unit=unit, by=request.user, day=form.cleaned_data["day"])
            return pdf_response(pdf, f"danh-sach-ky-nhan-{program.code}-{unit.code}.pdf")
        return form_page(
            self, request, title=_("Danh sách ký nhận học bổng"), form=form, objects=programs,
            action="signature_list_action", submit_label=_("Tải danh sách (PDF)"),
            intro=_("Các suất đã chi (không tính phiếu chi đã hủy / hoàn) cho học sinh của đơn vị đã chọn và các đơn vị "
                    "trực thuộc, để học sinh hoặc người giám hộ ký nhận khi trao."),
        )


def _rubric_rule(item: dict) -> str:
    """A criterion's rule in words, for the program's page."""
    if item.get("kind") == "circumstance":
        return _("%(points)s điểm nếu thuộc diện %(circumstance)s") % {"points": item.get("points"), "circumstance": item.get("circumstance")}
    if item.get("kind") == "boolean":
        return _("%(points)s điểm nếu có “%(fact)s”") % {"points": item.get("points"), "fact": item.get("fact")}
    bands = "; ".join(
        _("từ %(at_least)s: %(points)s điểm") % {"at_least": str(band.get("at_least")).replace(".", ","), "points": band.get("points")}
        for band in item.get("bands") or []
    )
    return f"{item.get('fact')}: {bands}"

"""Admin for the scholarship pipeline: programs, nominations, allocation runs, awards, disbursements.

Every page is scoped by role and unit (`ScopedAdminMixin`), every write is one service of
`scholarships.services.awards`, and students appear by their record code only (`HS-000123`): who a
child is, is the students admin's question, answered there with the masking rules.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, Value
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from fundmgr.adminkit.forms import AmountField, form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedUnitFilter, is_row_id
from fundmgr.audit.masking import NAME, mask_value
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, user_unit_paths, visible_units

from .. import selectors
from ..allocation import Reason
from ..models import (
    AllocationRun,
    Award,
    AwardShare,
    Disbursement,
    Nomination,
    ScholarshipProgram,
    Student,
)
from ..privacy import masked_value
from ..services import awards
from .students import StudentUnitFilter

# --- the scholarship pipeline: programs, nominations, allocation runs, awards, disbursements -------
#
# The committee creates a program (funds with budgets, unit quotas, a rubric) and runs the
# allocation; nominators nominate the students of their units; the committee approves or rejects
# each proposed award; the treasurer pays an approved award (a voucher and its journal entry).
# Every write is one call to `scholarships.services.awards`, and every refusal is the service's message.
# Programs, runs, awards and payments are never edited or deleted here: they change only through
# those actions. Lists name a child by the record's code (HS-000123), never by name: the code is
# built from the id, so these lists do not even load a child's personal fields.


def _student_code(student_id) -> str:
    return Student(pk=student_id).code


def _person(user) -> str:
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


def _refusal(obj, error: ValidationError) -> str:
    return f"{obj}: {' '.join(error.messages)}"


def _require(request, action: str, domain: str, units) -> None:
    """Refuse the whole action when one of the selected rows lies outside the user's rights."""
    for unit in units:
        if not user_can(request.user, action, domain, unit):
            raise PermissionDenied


def _table(headers, rows):
    """A read-only table for a display field (every cell escaped)."""
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    cells = "".join("<td>{}</td>" for _header in headers)
    body = format_html_join("", "<tr>" + cells + "</tr>", rows)
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class _PairWidget(forms.MultiWidget):
    template_name = "django/forms/widgets/multiwidget.html"

    def decompress(self, value):
        return list(value) if value else [None, None]


class _PairField(forms.MultiValueField):
    """One row of two inputs (a fund and its budget, a unit and its quota); an empty row is None."""

    def __init__(self, first, second, *, incomplete_message, **kwargs):
        first.required = second.required = False
        super().__init__(
            fields=(first, second), require_all_fields=False, required=False,
            widget=_PairWidget([first.widget, second.widget]), **kwargs,
        )
        self.incomplete_message = incomplete_message

    def set_queryset(self, queryset):
        # The form copies its fields, and the widget was copied apart from the sub-field: set both.
        self.fields[0].queryset = queryset
        self.widget.widgets[0].choices = self.fields[0].choices

    def compress(self, data_list):
        first, second = (list(data_list) + [None, None])[:2]
        if first in self.empty_values and second in self.empty_values:
            return None
        if first in self.empty_values or second in self.empty_values:
            raise ValidationError(self.incomplete_message, code="incomplete")
        return first, second


class _FundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, fund):
        return f"{fund.code} – {fund.name}"


# --- list filters ---------------------------------------------------------------------------------

class AwardsUnitFilter(ScopedUnitFilter):
    domain = Domain.AWARDS


class ProgramUnitFilter(AwardsUnitFilter):
    unit_lookup = "program__unit_id"


class NominationUnitFilter(StudentUnitFilter):
    unit_lookup = "student__unit_id"


class DisbursementUnitFilter(ScopedUnitFilter):
    pass


class _ProgramFilter(admin.SimpleListFilter):
    """The programs of the rows this user may see."""

    title = gettext_lazy("chương trình")
    parameter_name = "program"

    def programs(self, request):
        return scope_queryset(
            ScholarshipProgram.objects.all(), request.user, "unit", roles=roles_with(Action.VIEW, Domain.AWARDS)
        )

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{code} – {name} ({year})")
            for pk, code, name, year in self.programs(request).values_list("pk", "code", "name", "school_year")
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not is_row_id(self.value()):
            return queryset.none()
        return queryset.filter(program_id=self.value())


class NominationProgramFilter(_ProgramFilter):
    def programs(self, request):
        # A nominator reads no programs (awards domain), only the ones their nominations are in.
        nominations = scope_queryset(
            Nomination.objects.all(), request.user, "student__unit", roles=roles_with(Action.VIEW, Domain.STUDENTS)
        )
        return ScholarshipProgram.objects.filter(pk__in=nominations.values("program_id"))


class _CodeSearchMixin:
    """Search also by the codes people read on paper: HB-000123 (an award), HS-000123 (a student)."""

    code_lookups: dict[str, str] = {}

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().upper()
        for prefix, lookup in self.code_lookups.items():
            number = term.removeprefix(prefix)
            if term.startswith(prefix) and is_row_id(number) and len(number) <= 9:
                results = results | queryset.filter(**{lookup: int(number)})
        return results, may_have_duplicates


# --- programs -------------------------------------------------------------------------------------

FUND_ROWS = 4
QUOTA_ROWS = 4
# A starting point the committee edits: points for circumstances, the average score and the rank.
# The facts a rubric may name are those of `awards.student_facts`.
RUBRIC_EXAMPLE = [
    {"code": "poor", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor", "points": 30},
    {"code": "near_poor", "label": "Hộ cận nghèo", "kind": "circumstance", "circumstance": "near_poor", "points": 20},
    {"code": "orphan", "label": "Mồ côi", "kind": "circumstance", "circumstance": "orphan", "points": 20},
    {"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
     "bands": [{"at_least": "9.0", "points": 30}, {"at_least": "8.0", "points": 20}, {"at_least": "7.0", "points": 10}]},
    {"code": "excellent", "label": "Học lực xuất sắc", "kind": "boolean", "fact": "excellent_rank", "points": 10},
]


class ProgramAddForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị tổ chức"), queryset=OrgUnit.objects.none())
    code = forms.CharField(label=gettext_lazy("Mã chương trình"), max_length=30,
                           help_text=gettext_lazy("Ví dụ: NCUM-2026."))
    name = forms.CharField(label=gettext_lazy("Tên chương trình"), max_length=200)
    school_year = forms.CharField(label=gettext_lazy("Năm học"), max_length=9,
                                  help_text=gettext_lazy("Ví dụ: 2026-2027."))
    award_amount = AmountField(label=gettext_lazy("Mức học bổng"),
                               help_text=gettext_lazy("Ví dụ: 2.000.000 hoặc 2 triệu."))
    rubric = forms.CharField(
        label=gettext_lazy("Thang điểm (JSON)"), widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        initial=json.dumps(RUBRIC_EXAMPLE, ensure_ascii=False, indent=2),
        help_text=gettext_lazy("Danh sách tiêu chí; loại circumstance (hoàn cảnh), boolean (có/không) hoặc bands "
                               "(theo ngưỡng). Mẫu có sẵn ở trên: sửa điểm cho phù hợp."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writers = roles_with(Action.ADD, Domain.AWARDS)
        units = visible_units(user, writers)
        self.fields["unit"].queryset = units
        funds = scope_queryset(Fund.objects.filter(is_active=True), user, "unit", roles=writers)
        for number in range(1, FUND_ROWS + 1):
            field = _PairField(
                _FundChoiceField(queryset=Fund.objects.none(), empty_label=_("— chọn quỹ —")),
                AmountField(widget=forms.TextInput(attrs={"placeholder": _("ngân sách, ví dụ 6 triệu")})),
                incomplete_message=_("Hãy chọn quỹ và nhập ngân sách, hoặc để trống cả hai."),
                label=_("Quỹ chi trả %(number)d") % {"number": number},
                help_text=_("Quỹ và số tiền tối đa chương trình được dùng từ quỹ đó.") if number == 1 else "",
            )
            field.set_queryset(funds)
            self.fields[f"fund_{number}"] = field
        for number in range(1, QUOTA_ROWS + 1):
            field = _PairField(
                forms.ModelChoiceField(queryset=OrgUnit.objects.none(), empty_label=_("— chọn đơn vị —")),
                forms.IntegerField(min_value=0, max_value=100_000,
                                   widget=forms.NumberInput(attrs={"placeholder": _("số suất tối đa")})),
                incomplete_message=_("Hãy chọn đơn vị và nhập số suất, hoặc để trống cả hai."),
                label=_("Chỉ tiêu %(number)d") % {"number": number},
                help_text=_("Không bắt buộc: số suất tối đa cho học sinh do một đơn vị đề cử.") if number == 1 else "",
            )
            field.set_queryset(units)
            self.fields[f"quota_{number}"] = field

    def clean_rubric(self):
        try:
            return json.loads(self.cleaned_data["rubric"])
        except json.JSONDecodeError as error:
            raise ValidationError(
                _("Thang điểm không phải JSON hợp lệ (dòng %(line)d, cột %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from None

    def _rows(self, prefix, count, duplicate_message):
        chosen = {}
        for number in range(1, count + 1):
            name = f"{prefix}_{number}"
            row = self.cleaned_data.get(name)
            if row is None:
                continue
            key, value = row
            if key in chosen:
                self.add_error(name, duplicate_message)
            else:
                chosen[key] = value
        return chosen

    def clean(self):
        cleaned = super().clean()
        # The services take mappings (fund → budget, unit → quota): a row chosen twice is an input slip.
        cleaned["funds"] = self._rows("fund", FUND_ROWS, _("Quỹ này đã được chọn ở dòng trên."))
        cleaned["quotas"] = self._rows("quota", QUOTA_ROWS, _("Đơn vị này đã được chọn ở dòng trên."))
        return cleaned


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

    @admin.display(description=gettext_lazy("tổng tiền được cấp"))
    def funded_amount_display(self, run):
        return vnd_or_dash(run.funded_amount)

    @admin.display(description=gettext_lazy("người chạy"))
    def runner_display(self, run):
        return _person(run.created_by)


@admin.register(ScholarshipProgram)
class ScholarshipProgramAdmin(ScopedAdminMixin, admin.ModelAdmin):
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
    actions = ["run_allocation_action", "close_action"]
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

    # --- what is shown --------------------------------------------------------------------------
    def get_fields(self, request, obj=None):
        return self.fields_shown

    def get_readonly_fields(self, request, obj=None):
        return self.fields_shown

    @admin.display(description=gettext_lazy("mức học bổng"), ordering="award_amount")
    def award_amount_display(self, program):
        return vnd_or_dash(program.award_amount)

    @admin.display(description=gettext_lazy("số đề cử"), ordering="nominations_count")
    def nominations_display(self, program):
        return program.nominations_count

    @admin.display(description=gettext_lazy("số suất đã duyệt"), ordering="approved_count")
    def approved_display(self, program):
        return program.approved_count

    @admin.display(description=gettext_lazy("quỹ chi trả"))
    def funds_display(self, program):
        rows = program.program_funds.select_related("fund").order_by("fund__code")
        return _table(
            [_("Quỹ"), _("Ngân sách dành cho chương trình")],
            [(f"{row.fund.code} – {row.fund.name}", vnd_or_dash(row.budget)) for row in rows],
        )

    @admin.display(description=gettext_lazy("chỉ tiêu theo đơn vị"))
    def quotas_display(self, program):
        rows = [(quota.unit.name, quota.max_awards) for quota in program.quotas.select_related("unit").order_by("unit__path")]
        if not rows:
            return _("Không giới hạn theo đơn vị")
        return _table([_("Đơn vị"), _("Số suất tối đa")], rows)

    @admin.display(description=gettext_lazy("thang điểm"))
    def rubric_display(self, program):
        return format_html("<pre>{}</pre>", json.dumps(program.rubric, ensure_ascii=False, indent=2))

    @admin.display(description=gettext_lazy("người tạo"))
    def creator_display(self, program):
        return _person(program.created_by)

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
            _require(request, Action.ADD, Domain.AWARDS, [data["unit"]])
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

    # --- actions --------------------------------------------------------------------------------
    @admin.action(description=gettext_lazy("Chạy phân bổ"), permissions=["run_allocation"])
    def run_allocation_action(self, request, queryset):
        programs = list(queryset.select_related("unit").order_by("pk"))
        _require(request, Action.ADD, Domain.AWARDS, [program.unit for program in programs])
        for program in programs:
            try:
                run = awards.allocation_run(program=program, by=request.user)
            except ValidationError as error:
                self.message_user(request, _refusal(program, error), messages.ERROR)
            else:
                self.message_user(request, format_html(
                    '{} <a href="{}">{}</a>',
                    _("%(program)s: %(count)d suất được đề xuất, tổng %(amount)s.")
                    % {"program": program, "count": run.funded_count, "amount": vnd_or_dash(run.funded_amount)},
                    reverse("admin:scholarships_allocationrun_change", args=[run.pk]), _("Xem từng quyết định"),
                ))

    @admin.action(description=gettext_lazy("Khóa chương trình"), permissions=["close"])
    def close_action(self, request, queryset):
        programs = list(queryset.select_related("unit").filter(status=ScholarshipProgram.Status.OPEN).order_by("pk"))
        _require(request, Action.CHANGE, Domain.AWARDS, [program.unit for program in programs])
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


# --- nominations ----------------------------------------------------------------------------------

class _StudentChoiceField(forms.ModelChoiceField):
    """A student as the nominator knows them: code, name (masked unless they may see it), school."""

    def label_from_instance(self, student):
        name = student.full_name if getattr(student, "shows_personal", False) else masked_value(student, "full_name")
        return _("%(code)s – %(name)s – %(school)s, lớp %(grade)d") % {
            "code": student.code, "name": name, "school": student.school_name, "grade": student.grade,
        }


class NominationAddForm(forms.Form):
    program = forms.ModelChoiceField(
        label=gettext_lazy("Chương trình"), queryset=ScholarshipProgram.objects.none(),
        help_text=gettext_lazy("Các chương trình đang nhận đề cử của đơn vị bạn hoặc cấp trên."),
    )
    student = _StudentChoiceField(
        label=gettext_lazy("Học sinh"), queryset=Student.objects.none(),
        help_text=gettext_lazy(
            "Học sinh của các đơn vị bạn được đề cử. Điểm được chấm ngay theo thang điểm của chương trình."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = selectors.programs_open_for_nominations(user)
        students = selectors.students_visible_to(user, Student.objects.not_anonymised())
        self.fields["student"].queryset = scope_queryset(
            students, user, "unit", roles=roles_with(Action.ADD, Domain.STUDENTS)
        ).order_by("unit__path", "school_name", "grade", "pk")


@admin.register(Nomination)
class NominationAdmin(ScopedAdminMixin, _CodeSearchMixin, admin.ModelAdmin):
    scope_field = "student__unit"
    permission_domain = Domain.STUDENTS
    list_display = ["student_code", "program", "score", "nominator_display", "created_at"]
    list_display_links = ["student_code"]
    list_filter = [NominationProgramFilter, NominationUnitFilter]
    list_select_related = ["program", "nominated_by"]
    search_fields = ["program__code"]
    code_lookups = {"HS-": "student_id"}
    fields_shown = ["program", "student_code", "score", "breakdown_display", "nominator_display", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # the score is the rubric's, given once at nomination

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return self.fields_shown

    def get_readonly_fields(self, request, obj=None):
        return self.fields_shown

    @admin.display(description=gettext_lazy("mã hồ sơ"), ordering="student_id")
    def student_code(self, nomination):
        return _student_code(nomination.student_id)

    @admin.display(description=gettext_lazy("người đề cử"), ordering="nominated_by__username")
    def nominator_display(self, nomination):
        return _person(nomination.nominated_by)

    @admin.display(description=gettext_lazy("chi tiết điểm"))
    def breakdown_display(self, nomination):
        return _breakdown_table(nomination.score_breakdown, nomination.score)

    actions = ["grant_action"]

    def has_grant_permission(self, request):
        return user_can(request.user, Action.APPROVE, Domain.AWARDS)

    @admin.action(description=gettext_lazy("Cấp học bổng ngoài đề xuất (cần lý do)"), permissions=["grant"])
    def grant_action(self, request, queryset):
        """The committee's override: one nominee the allocation did not fund, from a fund it picks."""
        selected = list(queryset.select_related("program__unit", "student").order_by("pk"))
        if len(selected) != 1:
            self.message_user(request, _("Hãy chọn đúng một đề cử để cấp học bổng."), messages.WARNING)
            return None
        (nomination,) = selected
        _require(request, Action.APPROVE, Domain.AWARDS, [nomination.program.unit])

        class GrantForm(forms.Form):
            fund = forms.ModelChoiceField(
                label=_("Chi từ quỹ"),
                queryset=Fund.objects.filter(pk__in=nomination.program.program_funds.values("fund_id")).order_by("code"),
            )
            reason = forms.CharField(
                label=_("Lý do cấp ngoài đề xuất"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Được ghi vào suất học bổng và nhật ký kiểm tra."),
            )

        form = GrantForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                award = awards.award_grant(
                    nomination=nomination, fund=form.cleaned_data["fund"], by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(
                    request, _("Đã cấp suất %(award)s cho %(student)s (%(amount)s).")
                    % {"award": award, "student": nomination.student.code, "amount": vnd_or_dash(award.amount)},
                )
                return None
        return form_page(
            self, request, title=_("Cấp học bổng ngoài đề xuất"), form=form, objects=[nomination],
            action="grant_action", submit_label=_("Cấp học bổng"),
            intro=_("Suất được duyệt ngay, chi từ một quỹ của chương trình; quỹ vẫn phải đủ tiền và được phép chi cho học sinh."),
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = NominationAddForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            program, student = form.cleaned_data["program"], form.cleaned_data["student"]
            _require(request, Action.ADD, Domain.STUDENTS, [student.unit])
            try:
                nomination = awards.nomination_create(program=program, student=student, by=request.user)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(
                    request, _("Đã đề cử %(student)s vào chương trình %(program)s: %(score)d điểm.")
                    % {"student": student.code, "program": program, "score": nomination.score},
                )
                return HttpResponseRedirect(reverse("admin:scholarships_nomination_change", args=[nomination.pk]))
        return form_page(self, request, title=_("Đề cử học sinh"), form=form, submit_label=_("Đề cử"))


def _breakdown_value(value) -> str:
    if value is True:
        return _("có")
    if value is False:
        return _("không")
    if value is None:
        return _("(chưa có dữ liệu)")
    return str(value)


def _breakdown_table(breakdown, total):
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((item.get("label", item.get("code", "")), _breakdown_value(item.get("value")), item.get("points", 0))
         for item in breakdown or []),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
        "<tfoot><tr><th colspan=\"2\">{}</th><th>{}</th></tr></tfoot></table>",
        _("Tiêu chí"), _("Giá trị của học sinh"), _("Điểm"), rows, _("Tổng điểm"), total,
    )


# --- allocation runs ------------------------------------------------------------------------------

def _reason_label(code) -> str:
    try:
        return str(Reason(code).label)
    except ValueError:
        return str(code)


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "program__unit"
    permission_domain = Domain.AWARDS
    list_display = [
        "__str__", "program", "created_at", "runner_display", "funded_count", "funded_amount_display", "sha_display",
    ]
    list_filter = [_ProgramFilter, ProgramUnitFilter]
    list_select_related = ["program", "created_by"]
    fields = [
        "program", "created_at", "runner_display", "funded_count", "funded_amount_display", "inputs_sha256",
        "decisions_display", "inputs_display",
    ]
    readonly_fields = fields

    # Runs are made by the program's "Chạy phân bổ" action (awards.allocation_run) and never change:
    # the decisions stay explained as they were taken.

    @admin.display(description=gettext_lazy("tổng tiền được cấp"), ordering="funded_amount")
    def funded_amount_display(self, run):
        return vnd_or_dash(run.funded_amount)

    @admin.display(description=gettext_lazy("người chạy"), ordering="created_by__username")
    def runner_display(self, run):
        return _person(run.created_by)

    @admin.display(description=gettext_lazy("SHA-256 của đầu vào"))
    def sha_display(self, run):
        return format_html('<code title="{}">{}…</code>', run.inputs_sha256, run.inputs_sha256[:12])

    @admin.display(description=gettext_lazy("dữ liệu đầu vào"))
    def inputs_display(self, run):
        return format_html(
            "<details><summary>{}</summary><pre>{}</pre></details>", _("Xem dữ liệu đầu vào (JSON)"),
            json.dumps(run.inputs, ensure_ascii=False, indent=2, sort_keys=True),
        )

    @admin.display(description=gettext_lazy("quyết định"))
    def decisions_display(self, run):
        decisions = sorted(run.decisions or [], key=lambda decision: decision.get("rank", 0))
        fund_ids = {int(fund_id) for decision in decisions for fund_id in (decision.get("shares") or {})}
        fund_codes = {str(pk): code for pk, code in Fund.objects.filter(pk__in=fund_ids).values_list("pk", "code")}
        rows = [
            (
                decision.get("rank"), f"#{decision.get('nomination')}", _student_code(decision.get("student")),
                _reason_label(decision.get("reason")),
                vnd_or_dash(decision["amount"]) if decision.get("amount") else "–",
                "; ".join(f"{fund_codes.get(fund_id, fund_id)}: {vnd_or_dash(amount)}"
                          for fund_id, amount in sorted((decision.get("shares") or {}).items())) or "–",
                decision.get("explanation", ""),
            )
            for decision in decisions
        ]
        return _table(
            [_("Hạng"), pgettext("column", "Đề cử"), _("Mã hồ sơ"), _("Kết quả"), _("Số tiền"), _("Phần chi theo quỹ"), _("Giải thích")],
            rows,
        )


# --- awards ---------------------------------------------------------------------------------------

class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do không duyệt"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Được ghi vào hồ sơ của suất học bổng và nhật ký."),
    )


class DisburseForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Hình thức chi"), choices=Disbursement.Method.choices)
    paid_on = forms.DateField(label=gettext_lazy("Ngày chi"), initial=timezone.localdate, required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    recipient_name = forms.CharField(
        label=gettext_lazy("Người nhận"), max_length=120, required=False,
        help_text=gettext_lazy("Học sinh hoặc người giám hộ ký nhận."),
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Mã giao dịch ngân hàng"), max_length=100, required=False,
        help_text=gettext_lazy("Bắt buộc khi chuyển khoản."),
    )


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, _CodeSearchMixin, admin.ModelAdmin):
    scope_field = "program__unit"
    permission_domain = Domain.AWARDS
    list_display = [
        "code_display", "program_code", "student_code", "amount_display", "status", "shares_display",
        "decider_display", "decided_at",
    ]
    list_display_links = ["code_display"]
    list_filter = ["status", _ProgramFilter, ProgramUnitFilter]
    list_select_related = ["program", "decided_by"]
    search_fields = ["program__code"]
    code_lookups = {"HB-": "pk", "HS-": "student_id"}
    actions = ["approve_action", "reject_action", "pay_action"]
    fields_shown = [
        "code_display", "program", "student_code", "school_year", "amount_display", "shares_display", "status",
        "run_display", "decider_display", "decided_at", "decision_reason", "disbursement_display",
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
        return _student_code(award.student_id)

    @admin.display(description=gettext_lazy("số tiền"), ordering="amount")
    def amount_display(self, award):
        return vnd_or_dash(award.amount)

    @admin.display(description=gettext_lazy("chi từ quỹ"))
    def shares_display(self, award):
        return "; ".join(f"{share.fund.code}: {vnd_or_dash(share.amount)}" for share in award.shares.all()) or "–"

    @admin.display(description=gettext_lazy("người quyết định"), ordering="decided_by__username")
    def decider_display(self, award):
        return _person(award.decided_by)

    @admin.display(description=gettext_lazy("lần phân bổ"))
    def run_display(self, award):
        if award.run_id is None:
            return "–"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:scholarships_allocationrun_change", args=[award.run_id]), award.run_id
        )

    @admin.display(description=gettext_lazy("phiếu chi"))
    def disbursement_number(self, award):
        disbursement = getattr(award, "disbursement", None)
        return disbursement.number if disbursement is not None else "–"

    @admin.display(description=gettext_lazy("phiếu chi"))
    def disbursement_display(self, award):
        disbursement = getattr(award, "disbursement", None)
        if disbursement is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:scholarships_disbursement_change", args=[disbursement.pk]),
            disbursement.number,
        )

    # --- actions --------------------------------------------------------------------------------
    def _selected(self, queryset):
        return list(queryset.select_related("program__unit").order_by("pk"))

    @admin.action(description=gettext_lazy("Duyệt"), permissions=["approve"])
    def approve_action(self, request, queryset):
        selected = self._selected(queryset)
        _require(request, Action.APPROVE, Domain.AWARDS, [award.program.unit for award in selected])
        approved = 0
        for award in selected:
            # One transaction per award: a refusal (money gone, already decided) leaves the others approved.
            try:
                awards.award_approve(award=award, by=request.user)
            except ValidationError as error:
                self.message_user(request, _refusal(award, error), messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, _("Đã duyệt %(count)d suất học bổng.") % {"count": approved})

    @admin.action(description=pgettext_lazy("action", "Không duyệt"), permissions=["approve"])
    def reject_action(self, request, queryset):
        selected = self._selected(queryset)
        _require(request, Action.APPROVE, Domain.AWARDS, [award.program.unit for award in selected])
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            rejected = 0
            for award in selected:
                try:
                    awards.award_reject(award=award, by=request.user, reason=form.cleaned_data["reason"])
                except ValidationError as error:
                    self.message_user(request, _refusal(award, error), messages.ERROR)
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
        _require(request, Action.ADD, Domain.MONEY, [award.program.unit])
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
                    "và ghi sổ ngay.") % {"award": award, "student": _student_code(award.student_id),
                                          "program": award.program, "amount": vnd_or_dash(award.amount)},
        )


# --- disbursements --------------------------------------------------------------------------------

def _recipient_access(user):
    """Who reads a recipient's name unmasked: the treasurer who pays (money:add) and the roles that see
    the children's personal data (students:view_personal), in their units; auditors see initials."""
    if user.is_active and user.is_superuser:
        return Value(True)
    paths = user_unit_paths(
        user, roles_with(Action.ADD, Domain.MONEY) | roles_with(Action.VIEW_PERSONAL, Domain.STUDENTS)
    )
    if not paths:
        return Value(False)
    condition = Q()
    for granted in paths:
        condition |= Q(unit__path__startswith=granted)
    return ExpressionWrapper(condition, output_field=BooleanField())


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "number", "award", "amount_display", "method", "paid_on", "recipient_display", "unit", "entry_link",
    ]
    list_filter = ["method", DisbursementUnitFilter, "paid_on"]
    list_select_related = ["award", "unit"]
    search_fields = ["number", "bank_reference"]
    fields = [
        "number", "award", "amount_display", "unit", "method", "paid_on", "recipient_display", "bank_reference",
        "entry_link", "creator_display", "recorded_at_display",
    ]
    readonly_fields = fields

    # Vouchers are made by the award's "Chi trả" action (awards.award_disburse); like every money
    # document they are never edited or deleted.

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shows_recipient=_recipient_access(request.user))

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
        return _person(disbursement.created_by)

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

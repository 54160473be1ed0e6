"""The nomination admin: nominating a student (scored at once by the program's rubric) and the
committee's override grant.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import (
    ScopedAdminMixin,
)
from fundmgr.adminkit.search import CodeSearchMixin
from fundmgr.orgs.roles import Action, Domain, user_can

from ..models import (
    Nomination,
)
from ..services import awards
from .common import (
    NominationProgramFilter,
    NominationUnitFilter,
    person_name,
    record_code,
    refusal_message,
    require_rights,
)
from .forms import GrantForm, NominationAddForm


@admin.register(Nomination)
class NominationAdmin(ScopedAdminMixin, CodeSearchMixin, admin.ModelAdmin):
    scope_field = "student__unit"
    permission_domain = Domain.STUDENTS
    list_display = ["student_code", "program", "score", "nominator_display", "created_at"]
    list_display_links = ["student_code"]
    list_filter = [NominationProgramFilter, NominationUnitFilter]
    list_select_related = ["program", "nominated_by", "scored_by"]
    search_fields = ["program__code"]
    code_lookups = {"HS-": "student_id"}
    fields_shown = [
        "program", "student_code", "score", "breakdown_display", "nominator_display", "created_at", "scorer_display",
        "scored_at", "scorer_declared_no_conflict",
    ]
    # The nominee is picked by typing (a unit has thousands of children); the search is scoped by
    # `StudentAdmin.get_search_results` to the students the user may nominate.
    autocomplete_fields = ["student"]

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
        return record_code(nomination.student_id)

    @admin.display(description=gettext_lazy("người đề cử"), ordering="nominated_by__username")
    def nominator_display(self, nomination):
        return person_name(nomination.nominated_by)

    @admin.display(description=gettext_lazy("chi tiết điểm"))
    def breakdown_display(self, nomination):
        return _breakdown_table(nomination.score_breakdown, nomination.score)

    @admin.display(description=gettext_lazy("người chấm lại"))
    def scorer_display(self, nomination):
        return person_name(nomination.scored_by)

    actions = ["score_action", "grant_action"]

    def has_grant_permission(self, request):
        return user_can(request.user, Action.APPROVE, Domain.AWARDS)

    def has_score_permission(self, request):
        return user_can(request.user, Action.CHANGE, Domain.AWARDS)

    @admin.action(description=gettext_lazy("Chấm điểm lại theo thang điểm hiện hành"), permissions=["score"])
    def score_action(self, request, queryset):
        """The committee scores the selected nominations again (after the rubric changed); each one in
        its own transaction, so a refusal (a declared conflict of interest) leaves the others scored."""
        selected = list(queryset.select_related("program__unit").order_by("pk"))
        require_rights(request, Action.CHANGE, Domain.AWARDS, [nomination.program.unit for nomination in selected])
        scored = 0
        for nomination in selected:
            try:
                awards.nomination_score(nomination=nomination, by=request.user)
            except ValidationError as error:
                self.message_user(request, refusal_message(nomination, error), messages.ERROR)
            else:
                scored += 1
        if scored:
            self.message_user(request, _("Đã chấm lại %(count)d đề cử.") % {"count": scored})

    @admin.action(description=gettext_lazy("Cấp học bổng ngoài đề xuất (cần lý do)"), permissions=["grant"])
    def grant_action(self, request, queryset):
        """The committee's override: one nominee the allocation did not fund, from a fund it picks."""
        selected = list(queryset.select_related("program__unit", "student").order_by("pk"))
        if len(selected) != 1:
            self.message_user(request, _("Hãy chọn đúng một đề cử để cấp học bổng."), messages.WARNING)
            return None
        (nomination,) = selected
        require_rights(request, Action.APPROVE, Domain.AWARDS, [nomination.program.unit])

        form = GrantForm(request.POST if "apply" in request.POST else None, nomination=nomination)
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
        form = NominationAddForm(request.POST or None, user=request.user, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            program, student = form.cleaned_data["program"], form.cleaned_data["student"]
            require_rights(request, Action.ADD, Domain.STUDENTS, [student.unit])
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

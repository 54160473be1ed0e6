"""Declared conflicts of interest of the committee's members (`services.conflicts`).

A member declares and withdraws their own (a withdrawal needs a reason; the row stays). Who reads
what: a member sees their own declarations; the unit's administrators (who grant the committee's
memberships) and its auditors read the declarations made in their units; a superuser sees all.
Nobody edits or deletes one: the record must show what was declared when a decision was taken.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import form_errors_from
from fundmgr.adminkit.pages import form_page
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, Role, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, user_unit_paths

from .. import selectors
from ..models import ConflictDeclaration
from ..services import conflicts
from .common import person_name, record_code, refusal_message


def _readers():
    """Roles that read others' declarations in their units: auditors and the unit's administrators
    (org: change, who grant the committee's memberships). Named, not derived from "awards: export":
    treasurers and the committee export the award list too, and members read only their own."""
    return frozenset({Role.AUDITOR}) | roles_with(Action.CHANGE, Domain.ORG)


def _may_read_others(user) -> bool:
    # A membership in a reading role names a unit, so it reads at least that one: no query beyond
    # the memberships every admin page has already read (and cached) for the user.
    return user.is_active and (user.is_superuser or bool(user_unit_paths(user, _readers())))


class ConflictDeclareForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Hội đồng của đơn vị"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Loại xung đột"), choices=ConflictDeclaration.Kind.choices)
    student_code = forms.CharField(
        label=gettext_lazy("Mã hồ sơ học sinh (người thân)"), max_length=20, required=False,
        help_text=gettext_lazy("Với loại “người thân”: mã hồ sơ, ví dụ HS-000123."),
    )
    school_name = forms.CharField(
        label=gettext_lazy("Tên trường"), max_length=200, required=False,
        help_text=gettext_lazy("Với loại “trường của tôi”: tên trường như trong hồ sơ học sinh."),
    )
    conflict_unit = forms.ModelChoiceField(
        label=gettext_lazy("Đơn vị"), queryset=OrgUnit.objects.order_by("path"), required=False,
        help_text=gettext_lazy("Với loại “đơn vị của tôi”: học sinh của đơn vị này và các đơn vị trực thuộc."),
    )
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=500, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = conflicts.committee_units(user).order_by("path")

    def clean_student_code(self):
        code = self.cleaned_data["student_code"].strip().upper()
        if not code:
            return None
        digits = code.removeprefix("HS-")
        number = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 12 else None
        student = (
            selectors.students_visible_to(self.user).filter(pk=number).first() if number is not None else None
        )
        if student is None:
            raise ValidationError(_("Không tìm thấy hồ sơ học sinh có mã này trong các đơn vị bạn được xem."))
        return student


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do rút lại"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Ví dụ: khai nhầm; người thân đã ra trường. Khai báo vẫn được lưu, có ghi ngày rút lại."),
    )


class ActiveFilter(admin.SimpleListFilter):
    title = gettext_lazy("hiệu lực")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Đang có hiệu lực")), ("no", _("Đã rút lại"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(withdrawn_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "member_display", "unit", "kind", "object_display", "declared_at", "withdrawn_display"]
    list_filter = [ActiveFilter, "kind"]
    list_select_related = ["member", "unit", "conflict_unit", "withdrawn_by"]
    actions = ["withdraw_action"]
    fields_shown = [
        "member_display", "unit", "kind", "object_display", "note", "declared_at", "withdrawn_at", "withdrawn_by_display",
        "withdrawal_reason",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return queryset
        readable = scope_queryset(queryset, user, "unit", roles=_readers())
        return queryset.filter(Q(member=user) | Q(pk__in=readable.values("pk")))

    # --- permissions --------------------------------------------------------------------------
    def _is_member(self, request) -> bool:
        return user_can(request.user, Action.APPROVE, Domain.AWARDS)

    def has_module_permission(self, request):
        return self._is_member(request) or _may_read_others(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None and obj.member_id == request.user.pk:
            return True
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self._is_member(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_withdraw_permission(self, request):
        return self._is_member(request) or request.user.is_superuser

    def get_fields(self, request, obj=None):
        return self.fields_shown

    def get_readonly_fields(self, request, obj=None):
        return self.fields_shown

    @admin.display(description=gettext_lazy("thành viên hội đồng"), ordering="member__username")
    def member_display(self, declaration):
        return person_name(declaration.member)

    @admin.display(description=gettext_lazy("xung đột với"))
    def object_display(self, declaration):
        if declaration.kind == ConflictDeclaration.Kind.RELATIVE:
            return record_code(declaration.student_id)
        if declaration.kind == ConflictDeclaration.Kind.SCHOOL:
            return declaration.school_name
        return declaration.conflict_unit.name if declaration.conflict_unit_id else "–"

    @admin.display(description=gettext_lazy("đã rút lại"), ordering="withdrawn_at")
    def withdrawn_display(self, declaration):
        if declaration.withdrawn_at is None:
            return "–"
        return timezone.localtime(declaration.withdrawn_at).strftime("%d/%m/%Y")

    @admin.display(description=gettext_lazy("người rút lại"))
    def withdrawn_by_display(self, declaration):
        return person_name(declaration.withdrawn_by)

    # --- declaring and withdrawing go through services.conflicts ---------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ConflictDeclareForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                declaration = conflicts.conflict_declare(
                    member=request.user, unit=data["unit"], kind=data["kind"], student=data["student_code"],
                    school_name=data["school_name"], conflict_unit=data["conflict_unit"], note=data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                form_errors_from(form, error, aliases={"student": "student_code"})
            else:
                self.message_user(request, _("Đã ghi khai báo %(declaration)s: từ nay bạn không quyết định các hồ sơ có "
                                             "xung đột này.") % {"declaration": declaration})
                return HttpResponseRedirect(reverse("admin:scholarships_conflictdeclaration_changelist"))
        return form_page(
            self, request, title=_("Khai xung đột lợi ích"), form=form, submit_label=_("Khai báo"),
            intro=_("Khai người thân (một học sinh), trường của mình hoặc đơn vị của mình. Bạn sẽ không được chấm "
                    "điểm, duyệt, không duyệt hay cấp học bổng cho các hồ sơ đó, ở bất kỳ chương trình nào."),
        )

    @admin.action(description=gettext_lazy("Rút lại khai báo (cần lý do)"), permissions=["withdraw"])
    def withdraw_action(self, request, queryset):
        selected = list(queryset.order_by("pk"))
        form = WithdrawForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for declaration in selected:
                try:
                    conflicts.conflict_withdraw(declaration=declaration, reason=form.cleaned_data["reason"], by=request.user)
                except (ValidationError, PermissionDenied) as error:
                    message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                    self.message_user(request, refusal_message(declaration, ValidationError(message)), messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(request, _("Đã rút lại %(count)d khai báo.") % {"count": done})
            return None
        return form_page(
            self, request, title=_("Rút lại khai báo xung đột lợi ích"), form=form, objects=selected,
            action="withdraw_action", submit_label=_("Rút lại"),
        )

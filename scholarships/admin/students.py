"""Admin for nominators, the committee and auditors: student records, with personal data guarded.

- Rows are scoped to the units where the user may view students (`ScopedAdminMixin`, domain
  students), and each row knows whether this user may see its personal fields
  (`selectors.students_visible_to` annotates `shows_personal`).
- Where they may not (an auditor, or a nominator looking at another unit's child through a
  higher role), names become initials and the other personal fields `***`, on the list, on the
  record's page and in exports; searching by name only finds the children whose names they may
  see, so a search cannot be used to test whether a name is on file.
- Every opening of a record's page is logged, and so is every list or export that shows personal
  data unmasked (`services.student_views_record`).
- Writes go through the services; nobody deletes a record (the money paid to a student must keep
  pointing at someone): a guardian's request to erase is the "anonymise" action.
"""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.pages import form_page, upload_page
from fundmgr.adminkit.scoping import ScopedAdminMixin, ScopedUnitFilter
from fundmgr.adminkit.search import CodeSearchMixin, search_words
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from .. import selectors, services
from ..models import PERSONAL_FIELDS, Student
from ..privacy import masked_value
from .forms import AnonymiseForm, StudentImportForm


class StudentUnitFilter(ScopedUnitFilter):
    domain = Domain.STUDENTS


class StudentForm(forms.ModelForm):
    class Meta:
        model = Student
        fields = ["unit", *services.EDITABLE_FIELDS]
        # The average is typed with a decimal comma in Vietnamese (`8,5`), a point in English.
        localized_fields = ["average_score"]

    def _post_clean(self):
        # The services clean a student (names, phone, the model's rules); run the same here so
        # the form shows every error next to its field before anything is written.
        super()._post_clean()
        try:
            services.student_clean(self.instance)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                for message in messages_:
                    if name in self.fields and message not in (self.errors.get(name) or []):
                        self.add_error(name, message)
                    elif name not in self.fields:
                        self.add_error(None, message)


class _Masked:
    """The display methods that show a personal field masked (for rows without `shows_personal`)."""

    def _personal(self, student, field):
        if getattr(student, "shows_personal", False):
            return getattr(student, field)
        return masked_value(student, field)


def _masked_display(field):
    def display(self, student):
        value = self._personal(student, field)
        return "–" if value in (None, "") else value

    display.short_description = Student._meta.get_field(field).verbose_name
    display.__name__ = f"{field}_masked"
    return display


for _field in PERSONAL_FIELDS:
    setattr(_Masked, f"{_field}_masked", _masked_display(_field))


@admin.register(Student)
class StudentAdmin(ScopedAdminMixin, CodeSearchMixin, _Masked, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.STUDENTS
    form = StudentForm
    list_display = [
        "code_display", "full_name_masked", "school_name", "school_level", "grade", "average_score",
        "circumstances_display", "unit", "last_activity_on", "anonymised_display",
    ]
    list_display_links = ["code_display", "full_name_masked"]
    list_filter = [
        StudentUnitFilter, "school_level", "academic_rank", "poor_household", "near_poor_household", "orphan",
        "disability", "ethnic_minority", "remote_area", ("anonymised_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["school_name"]
    code_lookups = {"HS-": "pk", "": "pk"}  # the record's code, with or without its prefix
    list_per_page = 50
    actions = ["export_masked_action", "export_personal_action", "anonymise_action"]
    fieldsets_personal = (
        (gettext_lazy("Thông tin cá nhân (được bảo vệ)"), {"fields": (
            "full_name", "date_of_birth", "gender", "guardian_name", "guardian_phone", "address", "national_id",
            "circumstances_note",
        )}),
        (gettext_lazy("Tài khoản nhận học bổng (khi chi chuyển khoản)"), {"fields": (
            "bank_account_number", "bank_account_holder", "bank_code",
        )}),
    )
    fieldsets_facts = (
        (gettext_lazy("Học tập"), {"fields": ("unit", "school_name", "school_level", "grade", "average_score", "academic_rank")}),
        (gettext_lazy("Hoàn cảnh"), {"fields": (
            "poor_household", "near_poor_household", "orphan", "disability", "ethnic_minority", "remote_area",
        )}),
    )

    def get_queryset(self, request):
        return selectors.students_visible_to(request.user, super().get_queryset(request))

    # --- what is shown --------------------------------------------------------------------------
    def _shows_personal(self, request, obj) -> bool:
        return obj is None or bool(getattr(obj, "shows_personal", False))

    def get_fieldsets(self, request, obj=None):
        personal = self.fieldsets_personal
        if not self._shows_personal(request, obj):
            personal = tuple(
                (title, {"fields": tuple(f"{name}_masked" if name in PERSONAL_FIELDS else name for name in options["fields"])})
                for title, options in personal
            )
        bookkeeping = ((gettext_lazy("Lưu trữ"), {"fields": ("code_display", "created_at", "last_activity_on", "anonymised_at")}),)
        return personal + self.fieldsets_facts + (bookkeeping if obj is not None else ())

    def get_readonly_fields(self, request, obj=None):
        readonly = ["code_display", "created_at", "last_activity_on", "anonymised_at"]
        if obj is not None:
            readonly.append("unit")  # a record stays with the unit that nominated the child
        if obj is not None and (not self._shows_personal(request, obj) or obj.is_anonymised):
            # Masked values cannot be edited, and an anonymised record is closed.
            readonly += [f"{name}_masked" for name in PERSONAL_FIELDS] + [
                name for name in services.EDITABLE_FIELDS if name not in PERSONAL_FIELDS
            ]
        return readonly

    def get_queryset_for_autocomplete(self, request, queryset):
        """The admin's autocomplete asks for students only to pick a nominee (the nomination form):
        it searches the students this user may nominate, never the wider set they may view."""
        if request.GET.get("model_name") == "nomination" and request.GET.get("field_name") == "student":
            return queryset.filter(pk__in=selectors.students_nominable_by(request.user).values("pk"))
        return queryset.none()  # no other form picks a student by autocomplete

    def get_search_results(self, request, queryset, search_term):
        if request.path == reverse("admin:autocomplete"):
            queryset = self.get_queryset_for_autocomplete(request, queryset)
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = search_words(search_term)
        if words:
            # Names are searched only among the children whose names this user may see.
            by_name = scope_queryset(
                queryset.filter(*[Q(full_name__fold__contains=word) for word in words]), request.user, "unit",
                roles=roles_with(Action.VIEW_PERSONAL, Domain.STUDENTS),
            )
            results = results | by_name
        return results, may_have_duplicates

    @admin.display(description=gettext_lazy("mã hồ sơ"), ordering="pk")
    def code_display(self, student):
        return student.code

    @admin.display(description=gettext_lazy("hoàn cảnh"))
    def circumstances_display(self, student):
        return ", ".join(student.circumstance_labels()) or "–"

    @admin.display(description=gettext_lazy("đã ẩn danh"), boolean=True, ordering="anonymised_at")
    def anonymised_display(self, student):
        return student.is_anonymised

    # --- permissions ----------------------------------------------------------------------------
    def has_delete_permission(self, request, obj=None):
        return False  # erasing is anonymising: the record keeps its place for the money paid to it

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_anonymised:
            return False
        return super().has_change_permission(request, obj)

    def has_export_permission(self, request):
        return user_can(request.user, Action.EXPORT, Domain.STUDENTS)

    def has_export_personal_permission(self, request):
        return user_can(request.user, Action.EXPORT, Domain.STUDENTS) and user_can(
            request.user, Action.VIEW_PERSONAL, Domain.STUDENTS
        )

    # --- views that log -------------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        student = getattr(response, "context_data", {}).get("original") if request.method == "GET" else None
        if student is not None and response.status_code == 200:
            services.student_views_record(
                students=[student], viewer=request.user, channel="admin", shows_personal=bool(student.shows_personal)
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # Evaluates the page's rows once; the template reuses them (no second query).
            unmasked = [student for student in changelist.result_list if student.shows_personal]
            if unmasked:
                services.student_views_record(
                    students=unmasked, viewer=request.user, channel="admin-list", shows_personal=True
                )
        return response

    # --- writes ---------------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            saved = services.student_update(student=Student.objects.get(pk=obj.pk), by=request.user, **data)
        else:
            saved = services.student_create(unit=form.cleaned_data["unit"], created_by=request.user, **data)
        obj.pk = saved.pk  # the admin's redirect and change message need it

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields or inlines: the service saved everything

    # --- actions --------------------------------------------------------------------------------
    def _export(self, request, queryset, *, personal: bool):
        try:
            rows = services.students_export(students=queryset.order_by("pk"), by=request.user, personal=personal)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in _with_bom(rows)), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        suffix = "day-du" if personal else "da-che"
        response["Content-Disposition"] = f'attachment; filename="hoc-sinh-{suffix}-{stamp}.csv"'
        return response

    @admin.action(description=gettext_lazy("Xuất CSV (đã che dữ liệu cá nhân)"), permissions=["export"])
    def export_masked_action(self, request, queryset):
        return self._export(request, queryset, personal=False)

    @admin.action(description=gettext_lazy("Xuất CSV đầy đủ (có dữ liệu cá nhân, được ghi nhật ký)"),
                  permissions=["export_personal"])
    def export_personal_action(self, request, queryset):
        return self._export(request, queryset, personal=True)

    @admin.action(description=gettext_lazy("Ẩn danh hồ sơ đã chọn (theo yêu cầu xóa dữ liệu)"), permissions=["change"])
    def anonymise_action(self, request, queryset):
        students = list(queryset.filter(anonymised_at__isnull=True).order_by("pk"))
        for student in students:
            if not user_can(request.user, Action.CHANGE, Domain.STUDENTS, student.unit):
                raise PermissionDenied

        form = AnonymiseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for student in students:
                services.student_anonymise(student=student, by=request.user, reason=form.cleaned_data["reason"])
            self.message_user(request, _("Đã ẩn danh %(count)d hồ sơ.") % {"count": len(students)})
            return None
        return form_page(
            self, request, title=_("Ẩn danh hồ sơ học sinh"), form=form, submit_label=_("Ẩn danh các hồ sơ này"),
            intro=_("Họ tên, ngày sinh, người giám hộ, điện thoại, địa chỉ, số định danh và ghi chú hoàn cảnh "
                    "sẽ bị xóa vĩnh viễn. Điểm số, hoàn cảnh và các khoản học bổng vẫn được giữ."),
            objects=students, action="anonymise_action",
        )

    # --- CSV import -----------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="scholarships_student_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        def run_import(data):
            return services.students_import(unit=data["unit"], content=data["file"].read(), created_by=request.user)

        def done(data, result):
            message = _("Đã nhập %(created)d học sinh; %(skipped)d dòng đã có hồ sơ từ trước.") % {
                "created": len(result.created), "skipped": len(result.skipped_lines),
            }
            return message, reverse("admin:scholarships_student_changelist")

        return upload_page(
            self, request, form_class=StudentImportForm, title=_("Nhập học sinh từ tệp CSV hoặc Excel"), run_import=run_import,
            done=done,
        )


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def _with_bom(rows):
    # Excel opens a UTF-8 CSV with Vietnamese diacritics correctly only when it starts with a BOM.
    first = True
    for row in rows:
        if first:
            row = ["\ufeff" + str(row[0]), *row[1:]]
            first = False
        yield row

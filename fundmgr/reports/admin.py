"""The admin's "Báo cáo" page: the runs a user may see, asking for a new one, the downloads.

Who sees what (`selectors.runs_visible_to`, `run_may_read`): the requester sees their runs; a user
who may export a run's domain in its unit sees it and downloads its file and manifest. Runs are
records: nobody changes or deletes one (files expire by themselves). Asking for a run is open to
whoever may export some report, auditors included: a run reads the books, it changes nothing.

The list and a run's page refresh themselves (`<meta http-equiv="refresh">`, the CSP allows no
inline script) while a run is pending or running; the progress bar is an HTML `<progress>`.
"""

import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import form_errors_from
from fundmgr.adminkit.pages import RefreshWhileRunningMixin
from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.core import exporting
from fundmgr.core.money import format_vnd
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import visible_units

from . import selectors, services
from .models import CONTENT_TYPES, ReportRun, ReportSchedule

OPEN_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)
STATUS_LABELS = dict(JobStatus.choices)  # a run is never skipped: it is done, or failed with a reason


class ReportChoiceForm(forms.Form):
    """The first step: which report (only those the user may run)."""

    kind = forms.ChoiceField(label=gettext_lazy("Báo cáo"), widget=forms.RadioSelect)

    def __init__(self, *args, exporters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(exporter.name, exporter.title) for exporter in exporters]


# The first step's headings: the reports grouped by what they are about (the domain whose export
# right runs them), the books first; each report's radio button with its description under it.
REPORT_GROUPS = [
    (Domain.LEDGER, gettext_lazy("Sổ sách kế toán")),
    (Domain.MONEY, gettext_lazy("Tiếp nhận ủng hộ")),
    (Domain.AWARDS, gettext_lazy("Học bổng")),
]


def _report_groups(choice: ReportChoiceForm, available) -> list[tuple[str, list]]:
    """[(heading, [(radio button, exporter), …]), …] of the reports `available`, in their order
    within a group; a report of a domain without a heading comes last, under "Khác"."""
    by_name = {exporter.name: exporter for exporter in available}
    radios = [(radio, by_name[radio.data["value"]]) for radio in choice["kind"]]
    headings = dict(REPORT_GROUPS)
    groups = [(title, [item for item in radios if item[1].domain == domain]) for domain, title in REPORT_GROUPS]
    groups.append((_("Khác"), [item for item in radios if item[1].domain not in headings]))
    return [(title, items) for title, items in groups if items]


class RunForm(forms.Form):
    """What every run asks besides the report's own parameters: the file's format and the unit."""

    report_format = forms.ChoiceField(label=gettext_lazy("Định dạng tệp"), choices=ReportRun.Format.choices)
    report_unit = forms.ModelChoiceField(
        label=gettext_lazy("Đơn vị"), queryset=None, required=False,
        empty_label=gettext_lazy("Mọi đơn vị trong phạm vi của tôi"),
        help_text=gettext_lazy("Báo cáo chỉ gồm số liệu của đơn vị này và các đơn vị cấp dưới."),
    )

    def __init__(self, *args, user, domain: str, formats: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # PDF only for the short statements (`Exporter.pdf`).
        self.fields["report_format"].choices = [
            (value, label) for value, label in ReportRun.Format.choices if value in formats
        ]
        self.fields["report_unit"].queryset = visible_units(user, roles_with(Action.EXPORT, domain)).order_by("path")


class StatusFilter(admin.SimpleListFilter):
    """The states a run can be in (a run is never skipped)."""

    title = gettext_lazy("trạng thái")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status, STATUS_LABELS[status]) for status in (*OPEN_STATUSES, JobStatus.DONE, JobStatus.FAILED)]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


def _count(number: int) -> str:
    """3000 → "3.000": counts grouped the way the amounts are (`format_vnd`)."""
    return f"{number:,}".replace(",", ".")


def _may_run_some_report(user) -> bool:
    return bool(services.exporters_for(user))


@admin.register(ReportRun)
class ReportRunAdmin(RefreshWhileRunningMixin, admin.ModelAdmin):
    # Fits 1366 px with the filter column: the rows are in the progress column ("3.000 / 3.000").
    list_display = [
        "title_display", "parameters_display", "requested_by", "unit_display", "status_display", "progress_display",
        "created_display", "downloads_display",
    ]
    list_display_links = ["title_display"]
    list_filter = [StatusFilter, "format"]
    list_select_related = ["requested_by", "unit"]
    fields = [
        "title_display", "parameters_display", "format", "requested_by", "unit_display", "personal", "status_display",
        "progress_display", "rows_display", "manifest_display", "downloads_display", "attempts", "last_error",
        "created_at", "finished_at", "expires_at",
    ]
    readonly_fields = fields
    change_list_template = "admin/reports/reportrun/change_list.html"
    change_form_template = "admin/reports/reportrun/change_form.html"

    class Media:
        css = {"all": ["reports/admin.css"]}

    def get_queryset(self, request):
        return selectors.runs_visible_to(request.user, super().get_queryset(request))

    # --- permissions: runs are records; asking for one is the only write -------------------------
    def has_module_permission(self, request):
        user = request.user
        return (user.is_active and user.is_superuser) or _may_run_some_report(user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return selectors.run_may_read(request.user, obj)

    def has_add_permission(self, request):
        return _may_run_some_report(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- columns --------------------------------------------------------------------------------
    @admin.display(description=gettext_lazy("báo cáo"), ordering="kind")
    def title_display(self, run):
        return selectors.exporter_title(run.kind)

    @admin.display(description=gettext_lazy("tham số"))
    def parameters_display(self, run):
        # Only the parameters given: an empty one means "all" and says nothing.
        items = sorted((key, value) for key, value in run.parameters.items() if value not in ("", None, []))
        if not items:
            return "–"
        return format_html_join(
            "; ", "{}={}", ((key, ", ".join(map(str, value)) if isinstance(value, list) else value) for key, value in items)
        )

    @admin.display(description=gettext_lazy("đơn vị"), ordering="unit__path")
    def unit_display(self, run):
        return run.unit.name if run.unit_id else _("Toàn phạm vi")  # the requester's whole scope

    @admin.display(description=gettext_lazy("tạo lúc"), ordering="created_at")
    def created_display(self, run):
        return timezone.localtime(run.created_at).strftime("%d/%m/%Y %H:%M")

    @admin.display(description=gettext_lazy("trạng thái"), ordering="status")
    def status_display(self, run):
        return format_html('<span class="report-status report-{}">{}</span>', run.status, STATUS_LABELS.get(run.status, run.status))

    @admin.display(description=gettext_lazy("tiến độ"))
    def progress_display(self, run):
        done, total = selectors.run_progress([run])[run.pk]
        if run.status == JobStatus.DONE:
            total = done
        if total:
            return format_html(
                '<progress class="report-progress" max="{}" value="{}">{} / {}</progress> <span class="report-count">{} / {}</span>',
                total, min(done, total), done, total, _count(done),
                _count(total),
            )
        if run.status in OPEN_STATUSES:
            # No total yet (or the exporter cannot count): an indeterminate bar and the rows so far.
            return format_html(
                '<progress class="report-progress"></progress> <span class="report-count">{}</span>',
                _count(done),
            )
        return "–"

    @admin.display(description=gettext_lazy("số dòng"), ordering="rows_done")
    def rows_display(self, run):
        return _count(run.rows_done) if run.status == JobStatus.DONE else "–"

    @admin.display(description=gettext_lazy("tải về"))
    def downloads_display(self, run):
        if run.status != JobStatus.DONE:
            return "–"
        manifest = format_html(
            '<a class="report-manifest" href="{}">{}</a>', reverse("admin:reports_reportrun_manifest", args=[run.pk]),
            _("bản kê (JSON)"),
        )
        if not run.file:
            return format_html('<span class="report-expired">{}</span> · {}', _("Tệp đã hết hạn"), manifest)
        return format_html(
            '<a class="report-file" href="{}">{}</a> · {}', reverse("admin:reports_reportrun_file", args=[run.pk]),
            run.format.upper(), manifest,
        )

    @admin.display(description=gettext_lazy("bản kê tệp"))
    def manifest_display(self, run):
        manifest = run.manifest or {}
        if not manifest:
            return "–"
        rows = [(_("Số dòng"), _count(manifest.get("rows", 0)))]
        rows += [(label, format_vnd(total)) for label, total in manifest.get("totals", {}).items()]
        rows += list(manifest.get("last", {}).items())
        rows += [("SHA-256", manifest.get("sha256", "")), (_("Kích thước (byte)"), _count(manifest.get("size", 0)))]
        return format_html('<dl class="report-manifest-list">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    # --- pages ------------------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        """Pick a report (only those the user may run), then its parameters; the run's page follows."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        available = services.exporters_for(request.user)
        choice = ReportChoiceForm(request.POST or request.GET or None, exporters=available)
        exporter = next((exporter for exporter in available if choice.is_valid() and exporter.name == choice.cleaned_data["kind"]), None)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Chạy báo cáo"),
            "exporter": exporter, "changelist_url": reverse("admin:reports_reportrun_changelist"),
        }
        if exporter is None:
            # The first step (or a report the user may not run: the form says so).
            context.update({"choice_form": choice, "report_groups": _report_groups(choice, available)})
            return TemplateResponse(request, "admin/reports/reportrun/add.html", context)
        posted = request.method == "POST"
        run_form = RunForm(
            request.POST if posted else None, user=request.user, domain=exporter.domain,
            formats=exporting.formats_allowed(exporter),
        )
        params_form = services.params_form(exporter, request.POST if posted else None, user=request.user)
        if posted and run_form.is_valid() and (params_form is None or params_form.is_valid()):
            try:
                run = services.report_run_create(
                    kind=exporter.name, data=request.POST, format=run_form.cleaned_data["report_format"],
                    by=request.user, unit=run_form.cleaned_data["report_unit"],
                )
            except ValidationError as error:
                form_errors_from(params_form or run_form, error)
            except PermissionDenied as error:
                run_form.add_error("report_unit", str(error) or _("Bạn không có quyền xuất báo cáo này."))
            else:
                self.message_user(request, _("Đã yêu cầu báo cáo “%(title)s”.") % {"title": exporter.title})
                return HttpResponseRedirect(reverse("admin:reports_reportrun_change", args=[run.pk]))
        context.update({"title": exporter.title, "forms": [form for form in (params_form, run_form) if form is not None]})
        return TemplateResponse(request, "admin/reports/reportrun/add.html", context)

    # --- downloads ----------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:object_id>/file/", self.admin_site.admin_view(self.file_view), name="reports_reportrun_file"),
            path(
                "<int:object_id>/manifest/", self.admin_site.admin_view(self.manifest_view),
                name="reports_reportrun_manifest",
            ),
            *super().get_urls(),
        ]

    def _done_run_or_404(self, request, object_id) -> ReportRun:
        run = ReportRun.objects.select_related("unit").filter(pk=object_id).first()
        if run is None or not selectors.run_may_read(request.user, run):
            raise Http404(_("Không tìm thấy báo cáo."))
        if run.status != JobStatus.DONE:
            raise Http404(_("Báo cáo chưa xong."))
        return run

    def file_view(self, request, object_id):
        run = self._done_run_or_404(request, object_id)
        if not run.file:
            # Gone for good, not missing: say so.
            return HttpResponse(
                _("Tệp của báo cáo này đã hết hạn và bị xóa; hãy chạy lại báo cáo."), status=410,
                content_type="text/plain; charset=utf-8",
            )
        try:
            opened = services.report_file_open(run=run, by=request.user)
        except PermissionDenied as error:
            return HttpResponse(str(error), status=403, content_type="text/plain; charset=utf-8")
        return FileResponse(
            opened, as_attachment=True, content_type=CONTENT_TYPES[run.format], filename=f"{run.kind}-{run.pk}.{run.format}",
        )

    def manifest_view(self, request, object_id):
        run = self._done_run_or_404(request, object_id)
        body = {
            "report": run.kind, "format": run.format, "parameters": run.parameters,
            "unit": run.unit.code if run.unit else None, "file": f"{run.kind}-{run.pk}.{run.format}",
            "finished_at": timezone.localtime(run.finished_at).isoformat() if run.finished_at else None,
            **run.manifest,
        }
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{run.kind}-{run.pk}.manifest.json"'
        return response


# --- schedules ------------------------------------------------------------------------------------------
class ReportScheduleForm(forms.ModelForm):
    """A schedule's own fields, and the parameters of each scheduled report: the exporter's own form
    fields (`services.schedule_exporter_fields`), named `<kind>-<field>`. Only the chosen report's
    are kept, checked by the exporter's form in `services.schedule_parameters_clean`."""

    class Meta:
        model = ReportSchedule
        fields = ["kind", "unit", "format", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name, value in self.instance.parameters.items():
                self.initial.setdefault(f"{self.instance.kind}-{name}", value)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        if data.get("format"):
            try:
                services.format_check(services.exporter_of(kind), data["format"])
            except ValidationError as error:
                for name, errors in error.error_dict.items():
                    self.add_error(name if name in self.fields else None, errors)
        prefix = f"{kind}-"
        posted = QueryDict(mutable=True)
        for key in self.data:
            if key.startswith(prefix):
                posted.setlist(key.removeprefix(prefix), self.data.getlist(key))
        try:
            self.instance.parameters = services.schedule_parameters_clean(kind=kind, data=posted)
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                field = f"{prefix}{name}" if f"{prefix}{name}" in self.fields else ("kind" if name == "kind" else None)
                self.add_error(field, errors)
        return data


def _schedule_parameter_fields() -> list[tuple[str, dict]]:
    """[(report title, {form field name: field})] for each scheduled report that is registered."""
    groups = []
    for kind in ReportSchedule.Kind.values:
        try:
            exporter = exporting.exporter_get(kind)
        except KeyError:
            continue  # not installed here: nothing to ask
        fields = {}
        for name, field in services.schedule_exporter_fields(exporter).items():
            field = copy.deepcopy(field)
            field.required = False  # only the chosen report's are required; its own form says which
            fields[f"{kind}-{name}"] = field
        groups.append((str(exporter.title), fields))
    return groups


@admin.register(ReportSchedule)
class ReportScheduleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Treasurers of a unit add, change and disable its schedules; auditors read them. A schedule is
    disabled, not deleted (its runs refer to it)."""

    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = ["kind", "unit", "format", "enabled", "last_sent_period", "created_by"]
    list_filter = ["enabled", "kind"]
    list_select_related = ["unit", "created_by"]
    readonly_fields = ["last_sent_period", "created_by", "parameters_display"]
    parameters_display = ReportRunAdmin.parameters_display

    def get_form(self, request, obj=None, change=False, **kwargs):
        fields = {name: field for _title, group in _schedule_parameter_fields() for name, field in group.items()}
        kwargs["form"] = type("ReportScheduleForm", (ReportScheduleForm,), fields)
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["kind", "unit", "format", "enabled", "last_sent_period", "created_by"]})]
        if obj is not None and not self.has_change_permission(request, obj):
            # A reader sees the parameters kept, not every report's empty fields.
            fieldsets[0][1]["fields"].append("parameters_display")
            return fieldsets
        for title, group in _schedule_parameter_fields():
            fieldsets.append((_("Tham số: %(title)s") % {"title": title}, {"fields": list(group)}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        services.report_schedule_save(schedule=obj, by=request.user)

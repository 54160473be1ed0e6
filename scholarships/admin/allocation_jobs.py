"""The allocation jobs: a large program's run in the worker, and its progress bar.

The page of a pending or running job refreshes itself every few seconds (`<meta http-equiv=
"refresh">`: the CSP allows no inline script) and shows an HTML `<progress>` of the job's
`progress`, which the worker writes as it goes (`services.allocation_jobs`); once done, it links
the run with every decision.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.pages import RefreshWhileRunningMixin
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin
from fundmgr.orgs.roles import Domain

from ..models import AllocationJob
from .common import ProgramFilter, ProgramUnitFilter, person_name


@admin.register(AllocationJob)
class AllocationJobAdmin(RefreshWhileRunningMixin, ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    refresh_seconds = 2  # a run takes seconds to a minute: the bar should move
    scope_field = "program__unit"
    permission_domain = Domain.AWARDS
    list_display = ["__str__", "program", "requester_display", "status", "progress_display", "run_display", "created_at"]
    list_filter = ["status", ProgramFilter, ProgramUnitFilter]
    list_select_related = ["program", "requested_by", "run"]
    fields = [
        "program", "requester_display", "status", "progress_display", "run_display", "attempts", "last_error",
        "created_at", "done_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("người yêu cầu chạy"))
    def requester_display(self, job):
        return person_name(job.requested_by)

    @admin.display(description=gettext_lazy("tiến độ phân bổ"), ordering="progress")
    def progress_display(self, job):
        return format_html(
            '<progress class="allocation-progress" max="100" value="{}">{} %</progress> <span>{} %</span>',
            job.progress, job.progress, job.progress,
        )

    @admin.display(description=gettext_lazy("lần phân bổ"))
    def run_display(self, job):
        if job.run_id is None:
            return "–"
        return format_html(
            '<a href="{}">{} – {}</a>', reverse("admin:scholarships_allocationrun_change", args=[job.run_id]),
            f"#{job.run_id}", _("xem từng quyết định"),
        )

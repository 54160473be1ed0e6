from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Report runs over the exporter registry (`fundmgr.core.exporting`): jobs, files, the admin page."""

    name = "fundmgr.reports"
    label = "reports"
    verbose_name = _("Báo cáo")

    def ready(self):
        # A run is a job of the outbox: its requeue job sends a lost or interrupted run again.
        from fundmgr.core import outbox

        from . import tasks
        from .models import ReportDelivery, ReportRun

        outbox.register(ReportRun, lambda run: (tasks.report_run_task, (run.pk,)))
        outbox.register(ReportDelivery, lambda delivery: (tasks.report_delivery_task, (delivery.pk,)))

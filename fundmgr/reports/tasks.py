"""Celery tasks of the reports app: thin, they take ids and call `services`.

A failing run is retried with the outbox's back-off (`outbox.RetryingJobTask`), at most
`MAX_RETRIES` times, then marked failed. A worker killed half-way leaves the run running with no
lock on it: the outbox's requeue job (`receipts.tasks.outbox_requeue_task`) finds it stale and
sends it again.
"""

from celery import shared_task
from django.utils import timezone

from fundmgr.core import outbox

from . import services

MAX_RETRIES = 3


class _ReportJobTask(outbox.RetryingJobTask):
    """A reports job (its first argument is the row's id) that records itself failed when it gives up."""

    max_retries = MAX_RETRIES

    def give_up(self, args, error):
        self.mark_failed(args[0], error=error)


class _ReportTask(_ReportJobTask):
    def mark_failed(self, run_id, *, error):
        services.report_run_mark_failed(run_id=run_id, error=error)


@shared_task(base=_ReportTask)
def report_run_task(run_id: int) -> None:
    services.report_run_execute(run_id=run_id)


class _DeliveryTask(_ReportJobTask):
    def mark_failed(self, delivery_id, *, error):
        services.report_delivery_mark_failed(delivery_id=delivery_id, error=error)


@shared_task(base=_DeliveryTask)
def report_delivery_task(delivery_id: int) -> None:
    services.report_delivery_send(delivery_id=delivery_id)


# --- the daily beat jobs ---------------------------------------------------------------------------
@shared_task(acks_late=True)
def report_files_expire_task() -> int:
    """Daily (migration 0002): delete the report files past their expiry."""
    return services.report_files_expire()


@shared_task(acks_late=True)
def report_schedules_due_task() -> int:
    """Daily (migration 0004): ask for the scheduled reports whose period has ended; how many."""
    return len(services.report_schedules_due(today=timezone.localdate()))

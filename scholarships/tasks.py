"""Celery tasks of the scholarships app: thin wrappers that call a service."""

from celery import shared_task

from fundmgr.core import outbox

from .services import students_anonymise_expired
from .services.allocation_jobs import allocation_job_execute, allocation_job_mark_failed

MAX_RETRIES = 3


@shared_task(name="scholarships.tasks.students_anonymise_expired_task")
def students_anonymise_expired_task() -> dict:
    """The daily retention run (scheduled by migration 0002 at 03:00 Asia/Ho_Chi_Minh).

    Safe to run twice: a student already anonymised is not selected again, and each student is
    anonymised in its own transaction, so a killed worker leaves no half-erased record.
    """
    return {"anonymised": students_anonymise_expired()}


class _AllocationJobTask(outbox.RetryingJobTask):
    """An allocation job (its argument is the job's id) that records itself failed when it gives up."""

    max_retries = MAX_RETRIES

    def give_up(self, args, error):
        allocation_job_mark_failed(job_id=args[0], error=error)


@shared_task(base=_AllocationJobTask, name="scholarships.tasks.allocation_job_task")
def allocation_job_task(job_id: int) -> bool:
    """A program's allocation run in the worker (`services.allocation_jobs`); safe to run twice."""
    return allocation_job_execute(job_id=job_id)

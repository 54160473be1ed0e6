"""Celery tasks of the scholarships app: thin wrappers that call a service."""

from celery import shared_task

from .services import students_anonymise_expired


@shared_task(name="scholarships.tasks.students_anonymise_expired_task")
def students_anonymise_expired_task() -> dict:
    """The daily retention run (scheduled by migration 0002 at 03:00 Asia/Ho_Chi_Minh).

    Safe to run twice: a student already anonymised is not selected again, and each student is
    anonymised in its own transaction, so a killed worker leaves no half-erased record.
    """
    return {"anonymised": students_anonymise_expired()}

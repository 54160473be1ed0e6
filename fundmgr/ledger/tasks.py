"""Celery tasks of the ledger: thin wrappers that call a service."""

from celery import shared_task
from django.contrib.auth import get_user_model

from .services import ledger_verify


@shared_task(name="fundmgr.ledger.tasks.ledger_verify_task")
def ledger_verify_task(requested_by_id: int | None = None) -> dict:
    """The nightly chain check (scheduled by migration 0005 at 02:00 Asia/Ho_Chi_Minh), or one a
    user asked for in the admin (`requested_by_id`, after `ledger_verify_request`).

    Safe to run twice: it only reads the ledger and records one `LedgerVerification` per run.
    A broken ledger is not an error to retry; it is logged at ERROR and recorded for the admin.
    """
    requested_by = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    verification = ledger_verify(requested_by=requested_by)
    return {
        "verification_id": verification.pk,
        "ok": verification.ok,
        "first_broken_entry_id": verification.first_broken_entry_id,
        "entries_checked": verification.entries_checked,
    }

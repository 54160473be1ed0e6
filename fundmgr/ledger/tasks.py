"""Celery tasks of the ledger: thin wrappers that call a service."""

from celery import shared_task

from .services import ledger_verify


@shared_task(name="fundmgr.ledger.tasks.ledger_verify_task")
def ledger_verify_task() -> dict:
    """The nightly chain check (scheduled by migration 0005 at 02:00 Asia/Ho_Chi_Minh).

    Safe to run twice: it only reads the ledger and records one `LedgerVerification` per run.
    A broken ledger is not an error to retry; it is logged at ERROR and recorded for the admin.
    """
    verification = ledger_verify()
    return {
        "verification_id": verification.pk,
        "ok": verification.ok,
        "first_broken_entry_id": verification.first_broken_entry_id,
        "entries_checked": verification.entries_checked,
    }

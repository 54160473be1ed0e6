"""Celery tasks of the receipts app: thin, they take ids and call `services`.

Retries: a failing attempt is retried with exponential back-off (10 s, 20 s, 40 s, … capped at
10 minutes, with jitter), at most `MAX_RETRIES` times; when the last one fails the job's row is
marked failed and the admin lists it. A row that is missing (nothing to do) is not retried.
The settings acknowledge late and reject on a lost worker, so a killed worker's message is
delivered again; when the broker itself lost it, `receipt_deliveries_requeue_task` (beat, every
five minutes) enqueues it again from the database (and the pledge e-mails' rows too).
"""

import datetime
import logging

from celery import Task, shared_task
from django.core.exceptions import ObjectDoesNotExist

from . import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


class _RetryingTask(Task):
    autoretry_for = (Exception,)
    dont_autoretry_for = (ObjectDoesNotExist,)
    max_retries = MAX_RETRIES
    retry_backoff = 10
    retry_backoff_max = 600
    retry_jitter = True
    acks_late = True
    reject_on_worker_lost = True

    def give_up(self, args, error: str) -> None:
        raise NotImplementedError

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, ObjectDoesNotExist):
            return
        try:
            self.give_up(args, f"{type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - recording the failure must not hide the failure
            logger.exception("could not mark %s%r as failed", self.name, args)


class _DeliveryTask(_RetryingTask):
    channel = ""

    def give_up(self, args, error):
        services.delivery_mark_failed(receipt_id=args[0], channel=self.channel, error=error)


class _RenderTask(_DeliveryTask):
    channel = "pdf"


class _EmailTask(_DeliveryTask):
    channel = "email"


class _VoidNoticeTask(_DeliveryTask):
    channel = "void_notice"


class _StatementTask(_RetryingTask):
    def give_up(self, args, error):
        services.statement_mark_failed(donor_id=args[0], year=args[1], error=error)


@shared_task(base=_RenderTask)
def receipt_render_task(receipt_id: int) -> None:
    if services.receipt_render(receipt_id=receipt_id):
        # The PDF is committed: the e-mail may start.
        services.enqueue(receipt_email_task, receipt_id)


@shared_task(base=_EmailTask)
def receipt_email_task(receipt_id: int) -> None:
    services.receipt_email(receipt_id=receipt_id)


@shared_task(base=_VoidNoticeTask)
def receipt_void_notice_task(receipt_id: int) -> None:
    services.receipt_void_notice(receipt_id=receipt_id)


@shared_task(base=_StatementTask)
def donor_annual_statement_task(donor_id: int, year: int) -> None:
    services.donor_annual_statement_send(donor_id=donor_id, year=year)


@shared_task(acks_late=True)
def receipt_deliveries_requeue_task(older_than_seconds: int | None = None) -> int:
    older_than = (
        datetime.timedelta(seconds=older_than_seconds) if older_than_seconds else services.STALE_AFTER
    )
    return services.deliveries_requeue_stale(older_than=older_than)

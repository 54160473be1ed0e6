"""Celery tasks of the receipts app: thin, they take ids and call `services`.

Retries: a failing attempt is retried with exponential back-off (10 s, 20 s, 40 s, … capped at
10 minutes, with jitter), at most `MAX_RETRIES` times; when the last one fails the job's row is
marked failed and the admin lists it. A row that is missing (nothing to do) is not retried.
The settings acknowledge late and reject on a lost worker, so a killed worker's message is
delivered again; when the broker itself lost it, the outbox's requeue job (`outbox_requeue_task`,
beat, every five minutes) enqueues it again from the database.
"""

import datetime
import logging

from celery import shared_task

from fundmgr.core import outbox

from . import services
from .models import ReceiptDelivery

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


class _RetryingTask(outbox.RetryingJobTask):
    max_retries = MAX_RETRIES


class _DeliveryTask(_RetryingTask):
    channel = ""

    def give_up(self, args, error):
        services.delivery_mark_failed(receipt_id=args[0], channel=self.channel, error=error)


class _RenderTask(_DeliveryTask):
    channel = ReceiptDelivery.Channel.PDF


class _EmailTask(_DeliveryTask):
    channel = ReceiptDelivery.Channel.EMAIL


class _VoidNoticeTask(_DeliveryTask):
    channel = ReceiptDelivery.Channel.VOID_NOTICE


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


# Which task does the job of each channel (the outbox's requeue job looks it up here).
TASK_BY_CHANNEL = {
    ReceiptDelivery.Channel.PDF: receipt_render_task,
    ReceiptDelivery.Channel.EMAIL: receipt_email_task,
    ReceiptDelivery.Channel.VOID_NOTICE: receipt_void_notice_task,
}


@shared_task(acks_late=True)
def outbox_requeue_task(older_than_seconds: int | None = None) -> int:
    """The outbox's one beat job, for every kind of job (`fundmgr.core.outbox.requeue_stale`).

    Here because Celery finds tasks in the installed apps' `tasks` modules, and the kernel is not
    an app; the receipts app owns its beat schedule (migration 0006).
    """
    older_than = datetime.timedelta(seconds=older_than_seconds) if older_than_seconds else outbox.STALE_AFTER
    return outbox.requeue_stale(older_than=older_than)


@shared_task(acks_late=True)
def receipt_deliveries_requeue_task(older_than_seconds: int | None = None) -> int:
    """The old name of `outbox_requeue_task`, kept for messages a beat sent under it before the upgrade."""
    return outbox_requeue_task(older_than_seconds)

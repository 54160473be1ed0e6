"""Celery tasks of the donations app: thin, they take ids and call `services`.

- `pledge_confirmation_send(pledge_id)`: the confirmation e-mail, queued after commit by
  `services.pledge_create` (which writes its `PledgeEmail` row, pending, in the pledge's
  transaction: a message lost with the broker is sent again by the outbox's requeue beat,
  `fundmgr.core.outbox.requeue_stale`, through `pledge_email_send_task`, as registered in
  `DonationsConfig.ready`);
- `pledge_email_send_task(pledge_email_id)`: any pledge e-mail row (the reminders);
- `bank_statement_import_task(statement_id)`: an uploaded bank statement (the admin's page or the
  API's POST), queued after commit by `bank_statement.statement_upload` (registered with the outbox
  in `DonationsConfig.ready`, so a lost message or a killed worker is picked up again by the requeue
  beat); retried on an unexpected error, then marked failed; a file that cannot be read (refused by
  the upload already, so only a row stored otherwise) fails at once, with its reasons;
- `pledge_reminders_task()`: the daily beat job (08:00 Asia/Ho_Chi_Minh, migration
  `donations/0006`) that creates the reminders due and queues them.

How an e-mail goes out once (the claim, what happens on a crash) is told in `services`, section
"pledge e-mails". Retries: an SMTP or network error is retried with exponential back-off (10 s,
20 s, 40 s, … capped at 10 minutes, with jitter), at most `MAX_RETRIES` times; a row that
another worker is sending is retried once its claim may be stale; when the retries run out the row is
marked failed. An unknown id is not retried.
"""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from fundmgr.core import outbox

from . import services
from .models import PledgeEmail
from .services import bank_statement

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


class _PledgeEmailTask(outbox.JobTask):
    autoretry_for = (SMTPException, OSError)
    max_retries = MAX_RETRIES

    def pledge_email_id(self, args) -> int | None:
        raise NotImplementedError

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, ObjectDoesNotExist):
            return
        try:
            pledge_email_id = self.pledge_email_id(args)
            if pledge_email_id is not None:
                services.pledge_email_mark_failed(pledge_email_id=pledge_email_id, error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("could not mark %s%r as failed", self.name, args)

    def send_or_retry(self, send) -> str:
        try:
            sent = send()
        except services.PledgeEmailBusy:
            raise self.retry(countdown=int(services.PLEDGE_EMAIL_LEASE.total_seconds()), exc=None) from None
        return "sent" if sent else "nothing to send"


class _ConfirmationTask(_PledgeEmailTask):
    def pledge_email_id(self, args):
        return (
            PledgeEmail.objects.filter(pledge_id=args[0], kind=PledgeEmail.Kind.CONFIRMATION)
            .values_list("pk", flat=True).first()
        )


class _RowTask(_PledgeEmailTask):
    def pledge_email_id(self, args):
        return args[0]


@shared_task(bind=True, base=_ConfirmationTask)
def pledge_confirmation_send(self, pledge_id: int) -> str:
    result = self.send_or_retry(lambda: services.pledge_confirmation_send(pledge_id=pledge_id))
    logger.info("pledge confirmation: pledge=%s %s", pledge_id, result)
    return result


@shared_task(bind=True, base=_RowTask)
def pledge_email_send_task(self, pledge_email_id: int) -> str:
    return self.send_or_retry(lambda: services.pledge_email_send(pledge_email_id=pledge_email_id))


@shared_task(acks_late=True)
def pledge_reminders_task() -> int:
    """The daily beat job: create today's reminders and queue them; how many rows were new."""
    return services.pledge_reminders_due(today=timezone.localdate()).created


class _StatementImportTask(outbox.RetryingJobTask):
    max_retries = 3

    def give_up(self, args, error):
        bank_statement.statement_import_mark_failed(statement_id=args[0], error=error)


@shared_task(base=_StatementImportTask)
def bank_statement_import_task(statement_id: int) -> str:
    statement = bank_statement.statement_import_run(statement_id=statement_id)
    return statement.status

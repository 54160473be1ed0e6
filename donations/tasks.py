"""Celery tasks of the donations app: thin, take ids, safe to run twice.

`pledge_confirmation_send` e-mails the donor the reference, the amount and the bank details.
`services.pledge_create` queues it after commit. It goes out once per pledge:

1. under a row lock on the pledge's `PledgeNotice`: done already → stop; another worker holds a
   fresh lease (it is sending right now) → retry later; else take the lease and commit;
2. send, outside any lock or transaction (SMTP may take seconds);
3. mark it sent; on a send error, give the lease back and let Celery retry with backoff.

A worker killed between 2 and 3 leaves a lease that expires after `LEASE`; the redelivered task
then sends again. That window (a crash after the SMTP server accepted the message and before one
UPDATE) is the only way to a second e-mail; closing it would risk never sending at all.
"""

import datetime
import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from campaigns.models import PledgeNotice
from fundmgr.money import format_vnd, vnd_in_words

from .models import Pledge
from .vietqr import transfer_memo

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=10)


class NoticeBusy(Exception):
    """Another worker is sending this notice right now."""


def _claim(pledge_id: int) -> PledgeNotice | None:
    """Take the lease on the pledge's notice; None when there is nothing (more) to send."""
    with transaction.atomic():
        pledge = Pledge.objects.select_related("donor").filter(pk=pledge_id).first()
        if pledge is None or not pledge.donor.email:
            return None
        notice, _created = PledgeNotice.objects.get_or_create(pledge=pledge)
        notice = PledgeNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.sent_at is not None:
            return None
        now = timezone.now()
        if notice.claimed_at is not None and now - notice.claimed_at < LEASE:
            raise NoticeBusy(pledge_id)
        notice.claimed_at = now
        notice.attempts += 1
        notice.recipient = pledge.donor.email
        notice.save(update_fields=["claimed_at", "attempts", "recipient"])
    return notice


def pledge_confirmation_message(pledge: Pledge) -> EmailMultiAlternatives:
    """The e-mail: Vietnamese first, then the same in English (the pledge does not store a language)."""
    campaign = pledge.campaign
    context = {
        "pledge": pledge,
        "campaign": campaign,
        "donor_name": pledge.donor.name,
        "amount": format_vnd(pledge.amount),
        "amount_words": vnd_in_words(pledge.amount),
        "memo": transfer_memo(pledge.reference),
        "installments": [
            (installment.number, installment.due_on, format_vnd(installment.amount))
            for installment in pledge.installments.all()
        ],
        "site_url": getattr(settings, "SITE_URL", ""),
    }
    with translation.override("vi"):
        subject = " ".join(render_to_string("donations/email/pledge_confirmation_subject.txt", context).split())
        body = render_to_string("donations/email/pledge_confirmation.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[pledge.donor.email])


@shared_task(bind=True, max_retries=5, autoretry_for=(SMTPException, OSError), retry_backoff=True)
def pledge_confirmation_send(self, pledge_id: int) -> str:
    try:
        notice = _claim(pledge_id)
    except NoticeBusy:
        raise self.retry(countdown=int(LEASE.total_seconds()), exc=None) from None
    if notice is None:
        return "nothing to send"
    pledge = Pledge.objects.select_related("donor", "fund", "campaign__unit").get(pk=pledge_id)
    try:
        pledge_confirmation_message(pledge).send()
    except Exception:
        PledgeNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(claimed_at=None)
        raise
    PledgeNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    logger.info("pledge confirmation sent: pledge=%s attempt=%s", pledge_id, notice.attempts)
    return "sent"

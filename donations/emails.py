"""What the pledge e-mails say: the confirmation and the installment reminders.

Each is Vietnamese first, then the same in English below (a pledge does not store a language).
These functions build messages; `services.pledge_email_send` decides whether and when one is
sent, and records it. `pledge_confirmation_job_create` writes the confirmation's job row inside
`pledge_create`'s transaction, so a pledge that is committed always has its e-mail recorded as
due, even when the broker is down and the task message is never sent (the outbox's requeue
beat, `fundmgr.core.outbox.requeue_stale`, sends it later).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from fundmgr.core.bulk import row_insert
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.vietqr import transfer_memo

from .models import Pledge, PledgeEmail, PledgeInstallment

_TEMPLATES = {
    PledgeEmail.Kind.CONFIRMATION: "donations/email/pledge_confirmation",
    PledgeEmail.Kind.REMINDER_BEFORE: "donations/email/pledge_reminder_before",
    PledgeEmail.Kind.REMINDER_OVERDUE: "donations/email/pledge_reminder_overdue",
}


def pledge_confirmation_job_create(pledge: Pledge) -> PledgeEmail | None:
    """The confirmation's row, pending, in the caller's transaction; None for a donor without an
    e-mail address (nothing to send). The task is queued by the caller after commit."""
    if not pledge.donor.email:
        return None
    # A new pledge has no e-mail rows yet: one INSERT (the unique constraint guards the rest).
    return row_insert(PledgeEmail(pledge=pledge, kind=PledgeEmail.Kind.CONFIRMATION, installment=None))


def _message_domain() -> str:
    address = getattr(settings, "DEFAULT_FROM_EMAIL", "") or ""
    return address.rsplit("@", 1)[-1].strip(" >") or "khuyenhoc.local"


def _render(kind: str, context: dict, *, recipient: str, message_id: str) -> EmailMultiAlternatives:
    with translation.override("vi"):
        subject = " ".join(render_to_string(f"{_TEMPLATES[kind]}_subject.txt", context).split())
        body = render_to_string(f"{_TEMPLATES[kind]}.txt", context)
    # Fixed per e-mail row: a copy sent again after a crash is recognisably the same message.
    headers = {"Message-ID": f"<{message_id}@{_message_domain()}>"}
    return EmailMultiAlternatives(subject=subject, body=body, to=[recipient], headers=headers)


def _common_context(pledge: Pledge) -> dict:
    return {
        "pledge": pledge,
        "campaign": pledge.campaign,
        "donor_name": pledge.donor.name,
        "memo": transfer_memo(pledge.reference),
        "site_url": getattr(settings, "SITE_URL", ""),
    }


def pledge_confirmation_message(pledge: Pledge, *, recipient: str, message_id: str) -> EmailMultiAlternatives:
    """The confirmation: reference, amount in figures and words, bank details, installments."""
    context = {
        **_common_context(pledge),
        "amount": format_vnd(pledge.amount),
        "amount_words": vnd_in_words(pledge.amount),
        "installments": [
            (installment.number, installment.due_on, format_vnd(installment.amount))
            for installment in pledge.installments.all()
        ],
    }
    return _render(PledgeEmail.Kind.CONFIRMATION, context, recipient=recipient, message_id=message_id)


def pledge_reminder_message(
    pledge: Pledge, *, kind: str, installment: PledgeInstallment, amount_due: int, today: datetime.date,
    recipient: str, message_id: str,
) -> EmailMultiAlternatives:
    """A reminder of one installment: what is still to pay of it (figures and words), its due date
    (in N days, or N days ago), the reference and the transfer memo."""
    context = {
        **_common_context(pledge),
        "installment": installment,
        "installment_count": pledge.installments.count(),
        "amount_due": format_vnd(amount_due),
        "amount_due_words": vnd_in_words(amount_due),
        "pledge_amount": format_vnd(pledge.amount),
        "days": abs((installment.due_on - today).days),
    }
    if kind == PledgeEmail.Kind.REMINDER_NOW:  # a treasurer's reminder reads like the scheduled one
        overdue = installment.due_on < today
        kind = PledgeEmail.Kind.REMINDER_OVERDUE if overdue else PledgeEmail.Kind.REMINDER_BEFORE
    return _render(kind, context, recipient=recipient, message_id=message_id)

"""E-mails about pledges: the confirmation and the installment reminders, sent through job rows."""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from donations import emails, selectors
from donations.models import Payment, Pledge, PledgeEmail, PledgeInstallment
from fundmgr.audit.services import audit_create
from fundmgr.core import outbox
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

logger = logging.getLogger(__name__)


# --- pledge e-mails ----------------------------------------------------------------------------
#
# Every e-mail about a pledge (its confirmation, a reminder of an installment) is a `PledgeEmail`
# row, a job of the outbox (`fundmgr.core.outbox`), unique per pledge, kind and installment, and
# goes out through `pledge_email_send`:
#
# 1. under a row lock: sent, skipped or failed → stop; another worker claimed it less than
#    `PLEDGE_EMAIL_LEASE` ago (it is sending right now) → `PledgeEmailBusy`, the task retries
#    later; nothing to send any more (no address; for a reminder: no consent, the pledge closed or
#    fulfilled, the installment paid) → skipped; else claim it (status sending, attempt + 1) and
#    commit;
# 2. send, outside the lock, and mark it sent (`outbox.send_claimed`); on a send error the claim
#    is given back (pending, the error kept) and the error re-raised, so that the task retries
#    with back-off; the task marks it failed when retries run out.
#
# A worker killed while sending leaves a claim that the outbox's requeue job puts back to pending
# once it is `STALE_AFTER` old (a redelivered task may also take it over then); only a crash after
# the SMTP server accepted the message and before the "sent" mark committed sends it twice; the
# Message-ID is fixed per row, so mail clients that de-duplicate show one.

PLEDGE_EMAIL_LEASE = outbox.STALE_AFTER
PLEDGE_EMAIL_ERROR_MAX_LENGTH = outbox.ERROR_MAX_LENGTH
OPEN_PLEDGE_STATUSES = (Pledge.Status.PLEDGED, Pledge.Status.PARTIALLY_PAID)


class PledgeEmailBusy(Exception):
    """Another worker holds a fresh lease on this e-mail: it is sending it right now."""


# The rule of what is due on an installment lives with the paid sum in the selectors.
installment_amount_due = selectors.installment_amount_due


def _pledge_email_skip_reason(email: PledgeEmail, pledge: Pledge) -> tuple[str, int]:
    """(why not to send, "" to send; the amount due for a reminder)."""
    if not pledge.donor.email:
        return "Nhà hảo tâm không có địa chỉ e-mail.", 0
    if email.kind == PledgeEmail.Kind.CONFIRMATION:
        return "", 0
    # Reminders are checked again at send time: a payment, a cancellation or a withdrawn consent
    # may have come after the row was created.
    if not pledge.donor.email_consent:
        return "Nhà hảo tâm không đồng ý nhận e-mail.", 0
    if pledge.status not in OPEN_PLEDGE_STATUSES:
        return f"Cam kết không còn phải nộp (trạng thái {pledge.status}).", 0
    installments = list(pledge.installments.order_by("number"))
    amount_due = installment_amount_due(installments, email.installment, selectors.pledge_paid(pledge))
    if amount_due == 0:
        return "Đợt này đã được nộp đủ.", 0
    return "", amount_due


def pledge_email_send(*, pledge_email_id: int, today: datetime.date | None = None) -> bool:
    """Send one pledge e-mail once; True when this call sent it (see the section's comment).

    Raises `PledgeEmail.DoesNotExist` for an unknown id, `PledgeEmailBusy` while another worker
    sends it, and the send error itself (the lease is given back first).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        email = PledgeEmail.objects.select_for_update(of=("self",)).select_related("installment").get(pk=pledge_email_id)
        if email.is_finished or email.status == PledgeEmail.Status.FAILED:
            return False
        if (
            email.status == PledgeEmail.Status.RUNNING and email.claimed_at
            and timezone.now() - email.claimed_at < PLEDGE_EMAIL_LEASE
        ):
            raise PledgeEmailBusy(pledge_email_id)
        pledge = Pledge.objects.select_related("donor", "fund", "campaign__unit").get(pk=email.pledge_id)
        skip_reason, amount_due = _pledge_email_skip_reason(email, pledge)
        if skip_reason:
            outbox.skip(email, skip_reason)
            return False
        claimed_at = outbox.claim(email, recipient=pledge.donor.email)
    message_id = f"pledge-email.{email.pk}.{pledge.reference}"

    def build():
        if email.kind == PledgeEmail.Kind.CONFIRMATION:
            return emails.pledge_confirmation_message(pledge, recipient=email.recipient, message_id=message_id)
        return emails.pledge_reminder_message(
            pledge, kind=email.kind, installment=email.installment, amount_due=amount_due, today=today,
            recipient=email.recipient, message_id=message_id,
        )

    return outbox.build_and_send(PledgeEmail, email.pk, claimed_at, build)


def pledge_confirmation_send(*, pledge_id: int) -> bool:
    """Send the pledge's confirmation once; True when this call sent it.

    The row is created on the first attempt, and only for a donor with an e-mail address (the
    confirmation needs no e-mail consent: it answers the donor's own pledge).
    """
    pledge = Pledge.objects.select_related("donor").filter(pk=pledge_id).first()
    if pledge is None or not pledge.donor.email:
        return False
    email, _created = PledgeEmail.objects.get_or_create(
        pledge=pledge, kind=PledgeEmail.Kind.CONFIRMATION, installment=None
    )
    return pledge_email_send(pledge_email_id=email.pk)


def pledge_email_mark_failed(*, pledge_email_id: int, error: str) -> None:
    """The task gave up (retries exhausted): the row says failed, with the last error.

    A row that was sent or skipped meanwhile, or that another worker holds a fresh claim on, is
    left alone (`outbox.mark_failed`).
    """
    outbox.mark_failed(PledgeEmail.objects.filter(pk=pledge_email_id), error)


# --- pledge reminders ----------------------------------------------------------------------------

@dataclasses.dataclass
class PledgeRemindersResult:
    created: int  # new reminder rows (0 when the job already ran today)
    queued: list[int]  # ids of the reminder rows queued for sending after commit


def _reminder_windows(today: datetime.date) -> dict[str, tuple[datetime.date, datetime.date]]:
    """(first, last) due dates, inclusive, of the installments each kind of reminder is for.

    Due in `PLEDGE_REMINDER_DAYS_BEFORE` days, overdue by `PLEDGE_REMINDER_DAYS_AFTER` days; each
    window reaches `PLEDGE_REMINDER_CATCH_UP_DAYS` back, so a day the beat job did not run (beat
    down, a deployment) is caught up the next time; the unique row keeps it to one e-mail each.
    A reminder before the due date is never sent on or after that date.
    """
    before = settings.PLEDGE_REMINDER_DAYS_BEFORE
    after = settings.PLEDGE_REMINDER_DAYS_AFTER
    catch_up = settings.PLEDGE_REMINDER_CATCH_UP_DAYS
    return {
        PledgeEmail.Kind.REMINDER_BEFORE: (
            max(today + datetime.timedelta(days=1), today + datetime.timedelta(days=before - catch_up)),
            today + datetime.timedelta(days=before),
        ),
        PledgeEmail.Kind.REMINDER_OVERDUE: (
            today - datetime.timedelta(days=after + catch_up), today - datetime.timedelta(days=after),
        ),
    }


def installments_to_remind(*, today: datetime.date):
    """The installments a reminder is due for today, each annotated with `reminder_kind`: one query.

    An installment qualifies when its due date is in a window of `_reminder_windows`, its pledge
    is open (pledged or partially paid), the donor has an e-mail address and consented to e-mail,
    and it is not covered: payments (not voided) cover installments in order, so it is covered
    when the installments up to it add up to no more than the amount paid. Both sums are
    correlated subqueries, so the cost does not grow with the number of payments or installments.
    """
    windows = _reminder_windows(today)
    paid = (
        Payment.objects.not_voided().filter(pledge=OuterRef("pledge")).order_by().values("pledge")
        .annotate(total=Sum("amount")).values("total")
    )
    cumulative = (
        PledgeInstallment.objects.filter(pledge=OuterRef("pledge"), number__lte=OuterRef("number"))
        .order_by().values("pledge").annotate(total=Sum("amount")).values("total")
    )
    in_windows = Q()
    kind_of = []
    for kind, (first, last) in windows.items():
        in_windows |= Q(due_on__gte=first, due_on__lte=last)
        kind_of.append(When(due_on__gte=first, due_on__lte=last, then=Value(kind)))
    return (
        PledgeInstallment.objects.filter(in_windows)
        .filter(pledge__status__in=OPEN_PLEDGE_STATUSES, pledge__donor__email_consent=True)
        .exclude(pledge__donor__email="")
        .annotate(
            paid_amount=Coalesce(Subquery(paid, output_field=BigIntegerField()), Value(0)),
            cumulative_amount=Subquery(cumulative, output_field=BigIntegerField()),
            reminder_kind=Case(*kind_of, output_field=CharField()),
        )
        .filter(cumulative_amount__gt=F("paid_amount"))
        .order_by("pledge_id", "number")
    )


def pledge_reminders_due(*, today: datetime.date) -> PledgeRemindersResult:
    """Create the reminder e-mails due today and queue them for sending after commit.

    One `PledgeEmail` per installment and kind: the unique constraint, not a read before the
    write, keeps it to one, also when the job runs twice at once, so running again on the same
    day creates nothing. Rows of these installments still pending (their message was lost, or
    the job is running again) are queued again; sending is idempotent. Queries: the installments
    (`installments_to_remind`), the rows that exist, one INSERT per 1,000 new rows, the rows to
    queue; the pledges are re-checked when each e-mail is sent (`pledge_email_send`).
    """
    with transaction.atomic():
        candidates = list(installments_to_remind(today=today).values_list("pk", "pledge_id", "reminder_kind"))
        installment_ids = [pk for pk, _pledge, _kind in candidates]
        existing = set(
            PledgeEmail.objects.filter(installment_id__in=installment_ids).values_list("installment_id", "kind")
        )
        new = [
            PledgeEmail(pledge_id=pledge_id, kind=kind, installment_id=pk)
            for pk, pledge_id, kind in candidates
            if (pk, kind) not in existing
        ]
        # ignore_conflicts: a second run at the same moment inserts the same rows; the constraint
        # drops them here instead of failing the whole run.
        PledgeEmail.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        jobs = list(
            PledgeEmail.objects.filter(
                installment_id__in=installment_ids, status=PledgeEmail.Status.PENDING,
                kind__in=[PledgeEmail.Kind.REMINDER_BEFORE, PledgeEmail.Kind.REMINDER_OVERDUE],
            ).order_by("pk").only("pk", "kind", "pledge_id")
        )
        queued = [job.pk for job in jobs]
        transaction.on_commit(lambda: outbox.enqueue_jobs(jobs))
    logger.info("pledge reminders for %s: %d new, %d queued", today, len(new), len(queued))
    return PledgeRemindersResult(created=len(new), queued=queued)




# --- "remind now" -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RemindNowResult:
    queued: list[str]  # the references of the pledges reminded
    skipped: dict[str, list[str]]  # why not → the references


def _remind_now_skip_reason(pledge: Pledge, installment: PledgeInstallment | None) -> str:
    if pledge.status not in OPEN_PLEDGE_STATUSES:
        return "closed"
    if not pledge.donor.email:
        return "no_email"
    if not pledge.donor.email_consent:
        return "no_consent"
    if installment is None:
        return "nothing_due"
    return ""


def _next_installment_due(pledge: Pledge) -> PledgeInstallment | None:
    """The first installment not covered by what was paid (payments cover them in order)."""
    installments = sorted(pledge.installments.all(), key=lambda item: item.number)
    paid = selectors.pledge_paid(pledge)
    return next((item for item in installments if installment_amount_due(installments, item, paid)), None)


def pledge_remind_now(*, pledges, by, today: datetime.date | None = None) -> RemindNowResult:
    """A treasurer's "remind now": a reminder of each pledge's next uncovered installment, sent now.

    The same rules as the scheduled reminders (an open pledge, an address, the donor's consent to
    e-mail, something still due), checked again when it is sent; at most one a day per
    installment, however often the button is pressed (a unique constraint). The actor must hold
    the money change capability in each pledge's campaign unit; one audit row per reminder.
    """
    today = today or timezone.localdate()
    queued: list[str] = []
    skipped: dict[str, list[str]] = {}
    with transaction.atomic():
        pledges = list(
            Pledge.objects.filter(pk__in=[pledge.pk for pledge in pledges]).order_by("pk")
            .select_related("donor", "campaign__unit").prefetch_related("installments")
        )
        access_units(by, {pledge.campaign.unit for pledge in pledges}, action=Action.CHANGE, domain=Domain.MONEY)
        jobs = []
        for pledge in pledges:
            installment = _next_installment_due(pledge)
            reason = _remind_now_skip_reason(pledge, installment)
            if not reason:
                job, created = PledgeEmail.objects.get_or_create(
                    installment=installment, kind=PledgeEmail.Kind.REMINDER_NOW, requested_on=today,
                    defaults={"pledge": pledge, "requested_by": by},
                )
                reason = "" if created else "already_today"
            if reason:
                skipped.setdefault(reason, []).append(pledge.reference)
                continue
            audit_create(job, ["pledge", "kind", "installment", "requested_on"], actor=by)
            jobs.append(job)
            queued.append(pledge.reference)
        transaction.on_commit(lambda: outbox.enqueue_jobs(jobs))
    return RemindNowResult(queued=queued, skipped=skipped)

"""Every write of the receipts app: issue, render, e-mail, void, re-send, re-enqueue.

Each function takes keyword arguments only and runs in one transaction (the e-mailing ones in
two short ones around the send; see below). Refusals are `ValidationError` (Vietnamese, English
in the catalogue) or `PermissionDenied`, and nothing is written when one is raised.

Jobs and their state. `receipt_issue` runs inside the payment's transaction and creates the
receipt with two `ReceiptDelivery` rows (pdf, email), both pending; after commit it enqueues the
render task, which enqueues the e-mail task when the PDF is done. The database, not the broker,
holds what is left to do: `deliveries_requeue_stale` (beat, every five minutes) enqueues again
every delivery that stayed pending or running too long, because its message was lost (Redis
restarted, the broker was down when the payment committed) or its worker was killed. So every
job must be safe to run twice, also at the same time:

- render: lock the pdf row; done → return; else write the file (a fixed name, overwritten) and
  mark the row done in the same transaction.
- e-mail: lock the email row; done, skipped or running → return; else mark it running and commit
  (the claim), build the message, send it, and mark it done. A second run while the first is
  sending finds it running and returns, so a receipt is never e-mailed twice by two runs. A
  claim whose worker died stays running until `deliveries_requeue_stale` finds it stale and
  puts it back to pending. On PostgreSQL the "done" update is written before the send and
  committed right after it, inside the row lock the claim already owns (the requeue job skips
  locked rows): only the instant between the SMTP server's acceptance and that COMMIT can make
  a killed worker's message go out twice. SMTP offers no way to close that instant; the
  Message-ID is fixed per receipt, so mail clients that de-duplicate show one message. On
  SQLite, where an open write transaction locks the whole database, the mark follows the send
  in its own short transaction.

Enqueueing never raises into the caller: a broker that is down is logged and the delivery stays
pending for the requeue job (`enqueue`).
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from donations import services as donations_services
from donations.models import Donor, Payment, PledgeEmail
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.numbering import counter_lock, number_take
from fundmgr.ledger.models import JournalLine
from fundmgr.orgs.roles import Action, Domain, user_can

from .models import (
    OPEN_STATUSES,
    DonorAnnualStatement,
    JobStatus,
    Receipt,
    ReceiptCounter,
    ReceiptDelivery,
    receipt_pdf_path,
)
from .numbering import number_format
from .pdf import document_from_receipt, receipt_pdf_render

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: the code is read off paper. 31**12 ≈ 8·10**17 codes; a collision (unique in the
# database) would fail the issuing transaction, with odds far below one in a million per million receipts.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFICATION_LENGTH = 12
STALE_AFTER = datetime.timedelta(minutes=10)
REQUEUE_BATCH = 2000
BROKER_CONNECT_TIMEOUT = 3  # seconds; a refused connection fails at once
ERROR_MAX_LENGTH = 2000

# Accounts printed when a payment has no journal entry to read them from (cash, bank, in kind).
_ACCOUNTS_BY_METHOD = {
    Payment.Method.CASH: ("111", "511"),
    Payment.Method.BANK_TRANSFER: ("112", "511"),
    Payment.Method.IN_KIND: ("156", "512"),
}


# --- enqueueing -------------------------------------------------------------------------------
def enqueue(task, *args) -> bool:
    """Send `task` to the broker; False (logged) when that fails, never an exception.

    Called after commit: the work is recorded in the database already, and a broker that is
    down must not turn a recorded payment into an error page. The requeue job sends it later.
    """
    return enqueue_many([(task, args)]) == 1


def enqueue_many(jobs) -> int:
    """Send [(task, args)] over one broker connection; how many were sent.

    The connection is tried once (kombu would otherwise retry for seconds inside a request) and
    publishing does not retry; at the first broker error the rest is left for the requeue job.
    In eager mode (the embedded demo) each task runs here, and one that fails is logged: its row
    says what is left to do.
    """
    if not jobs:
        return 0
    app = jobs[0][0].app
    sent = 0
    if app.conf.task_always_eager:
        for task, args in jobs:
            try:
                task.apply_async(args=args)
                sent += 1
            except Exception:  # noqa: BLE001 - the job's row keeps its state for the requeue job
                logger.warning("%s%r failed; the requeue job will retry it", task.name, tuple(args), exc_info=True)
        return sent
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_CONNECT_TIMEOUT)
            for task, args in jobs:
                task.apply_async(args=args, retry=False, connection=connection)
                sent += 1
    except Exception as error:  # noqa: BLE001 - kombu and redis connection errors
        task, args = jobs[sent]
        logger.warning(
            "could not enqueue %s%r; the requeue job will retry it (%s: %s)", task.name, tuple(args),
            type(error).__name__, error, exc_info=logger.isEnabledFor(logging.DEBUG),
        )
    return sent


def _enqueue_on_commit(task_name: str, *args) -> None:
    def send():
        from . import tasks

        enqueue(getattr(tasks, task_name), *args)

    transaction.on_commit(send)


# --- issuing ------------------------------------------------------------------------------------
def _verification_code() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_LENGTH))


def _accounts(payment: Payment) -> tuple[str, str]:
    """The debit and credit account codes of the payment's journal entry ("111", "511")."""
    if payment.journal_entry_id is None:
        return _ACCOUNTS_BY_METHOD[payment.method]
    debit, credit = [], []
    for code, amount_debit in (
        JournalLine.objects.filter(entry_id=payment.journal_entry_id).order_by("pk").values_list("account__code", "debit")
    ):
        side = debit if amount_debit else credit
        if code not in side:
            side.append(code)
    return ", ".join(debit), ", ".join(credit)


def _reason(payment: Payment) -> str:
    # The receipt is a document of the books: Vietnamese whatever the request's language.
    text = f"Ủng hộ {payment.fund.name}"
    if payment.pledge_id is not None:
        text += f" theo cam kết {payment.pledge.reference}"
    if payment.method == Payment.Method.IN_KIND:
        text += f"; hiện vật: {payment.in_kind_description}"
    return text[:500]


def _attached_documents(payment: Payment) -> str:
    if payment.method == Payment.Method.BANK_TRANSFER and payment.bank_reference:
        return f"Giấy báo Có số {payment.bank_reference}"[:200]
    return ""


# What the audit row of an issued receipt holds (its payer's address is masked by the audit).
RECEIPT_AUDIT_FIELDS = [
    "unit", "number", "payment", "receipt_date", "payer_name", "payer_address", "amount", "fund_name",
    "payment_method",
]


def receipt_issue(*, payment: Payment, issued_by=None) -> Receipt:
    """Issue the receipt of `payment`, inside the payment's transaction; the next number of the
    payment's unit and year (the year it was received).

    Issuing twice for one payment returns the first receipt. Queries: lock (or create) the
    counter, look for an existing receipt, read the entry's accounts, save the counter, insert
    the receipt, its two deliveries (one INSERT) and its audit row.
    """
    with transaction.atomic():
        year = payment.received_on.year
        counter = counter_lock(ReceiptCounter, unit=payment.unit, year=year)
        # Under the counter's lock, so two issuers of the same payment cannot both pass.
        existing = Receipt.objects.filter(payment_id=payment.pk).first()
        if existing is not None:
            return existing
        debit_account, credit_account = _accounts(payment)
        sequence = number_take(counter)
        donor = payment.donor
        unit = payment.unit
        receipt = Receipt.objects.create(
            unit=unit,
            year=year,
            sequence=sequence,
            number=number_format(year=year, sequence=sequence),
            payment=payment,
            receipt_date=payment.received_on,
            issued_by=issued_by,
            verification_code=_verification_code(),
            unit_name=unit.name,
            unit_address=unit.address,
            payer_name=donor.name,
            payer_address=donor.address,
            amount=payment.amount,
            reason=_reason(payment),
            fund_name=payment.fund.name,
            payment_method=payment.method,
            debit_account=debit_account,
            credit_account=credit_account,
            attached_documents=_attached_documents(payment),
        )
        ReceiptDelivery.objects.bulk_create([
            ReceiptDelivery(receipt=receipt, channel=channel) for channel in ISSUE_CHANNELS
        ])
        audit_create(receipt, RECEIPT_AUDIT_FIELDS, actor=issued_by)
        _enqueue_on_commit("receipt_render_task", receipt.pk)
        return receipt


# --- rendering ----------------------------------------------------------------------------------
# The jobs a receipt gets when it is issued; the void notice's row is created by `receipt_void`.
ISSUE_CHANNELS = (ReceiptDelivery.Channel.PDF, ReceiptDelivery.Channel.EMAIL)
# Which task does the job of each channel (the requeue job and a retry look it up here).
TASK_BY_CHANNEL = {
    ReceiptDelivery.Channel.PDF: "receipt_render_task",
    ReceiptDelivery.Channel.EMAIL: "receipt_email_task",
    ReceiptDelivery.Channel.VOID_NOTICE: "receipt_void_notice_task",
}


def _delivery(receipt_id: int, channel: str, *, lock: bool = False) -> ReceiptDelivery:
    queryset = ReceiptDelivery.objects.select_for_update() if lock else ReceiptDelivery.objects
    return queryset.get(receipt_id=receipt_id, channel=channel)


def _job_attempt_failed(model, pk: int, error: BaseException, *, count_attempt: bool = True) -> None:
    """Record a failed attempt (the task retries it); the row goes back to pending.

    An e-mail's attempt was counted when it was claimed (`count_attempt=False`).
    """
    now = timezone.now()
    with transaction.atomic():
        job = model.objects.select_for_update().get(pk=pk)
        if job.status in (JobStatus.DONE, JobStatus.SKIPPED):
            return
        job.status = JobStatus.PENDING
        job.attempts += 1 if count_attempt else 0
        job.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
        job.claimed_at = None
        job.updated_at = now
        job.save(update_fields=["status", "attempts", "last_error", "claimed_at", "updated_at"])


def receipt_render(*, receipt_id: int, page_size: str | None = None) -> bool:
    """Render the receipt's PDF once; True when this call rendered it, False when it was done.

    The PDF is drawn before taking the row lock (it is the slow part; on SQLite a lock is the
    whole database), then written and marked done under the lock, in one transaction. Under the
    lock the receipt is read again: when it was voided meanwhile (`receipt_void` put the row back
    to pending), the PDF is drawn again, so a render that raced the void never stores the copy
    without the stamp.
    """
    if _delivery(receipt_id, ReceiptDelivery.Channel.PDF).status == JobStatus.DONE:
        return False
    receipt = Receipt.objects.select_related("issued_by").get(pk=receipt_id)
    delivery_pk = None
    try:
        document = document_from_receipt(receipt)
        content = receipt_pdf_render(document, page_size=page_size)
        with transaction.atomic():
            delivery = _delivery(receipt_id, ReceiptDelivery.Channel.PDF, lock=True)
            delivery_pk = delivery.pk
            if delivery.status == JobStatus.DONE:
                return False
            current = document_from_receipt(Receipt.objects.select_related("issued_by").get(pk=receipt_id))
            if current != document:
                content = receipt_pdf_render(current, page_size=page_size)
            name = receipt_pdf_path(receipt, "")
            storage = receipt.pdf.storage
            # A fixed name, replaced: a retry after a crash between the write and the commit
            # leaves one file, not two.
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, ContentFile(content))
            Receipt.objects.filter(pk=receipt_id).update(pdf=saved)
            now = timezone.now()
            delivery.status = JobStatus.DONE
            delivery.attempts += 1
            delivery.last_error = ""
            delivery.done_at = now
            delivery.updated_at = now
            delivery.save(update_fields=["status", "attempts", "last_error", "done_at", "updated_at"])
        return True
    except Exception as error:
        pk = delivery_pk or _delivery(receipt_id, ReceiptDelivery.Channel.PDF).pk
        _job_attempt_failed(ReceiptDelivery, pk, error)
        raise


# --- e-mailing ----------------------------------------------------------------------------------
def _claim(job, *, recipient: str, **fields) -> datetime.datetime:
    now = timezone.now()
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.recipient = recipient
    job.claimed_at = now
    job.updated_at = now
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "attempts", "recipient", "claimed_at", "updated_at", *fields])
    return now


def _skip(job, note: str) -> None:
    job.status = JobStatus.SKIPPED
    job.last_error = note
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "last_error", "updated_at"])


def _send_claimed(model, pk: int, claimed_at: datetime.datetime, message: EmailMessage) -> bool:
    """Send a message whose job row this worker has claimed, and mark the row done.

    False (nothing sent) when the claim was taken away meanwhile (reset by the requeue job).
    See the module docstring for why PostgreSQL writes the mark before the send.
    """
    def mark_done() -> int:
        now = timezone.now()
        return model.objects.filter(pk=pk, status=JobStatus.RUNNING, claimed_at=claimed_at).update(
            status=JobStatus.DONE, done_at=now, updated_at=now, last_error=""
        )

    try:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                if not mark_done():
                    return False
                message.send()
            return True
        if not model.objects.filter(pk=pk, status=JobStatus.RUNNING, claimed_at=claimed_at).exists():
            return False
        message.send()
        mark_done()
        return True
    except Exception as error:
        _job_attempt_failed(model, pk, error, count_attempt=False)
        raise


def _message_domain() -> str:
    address = getattr(settings, "DEFAULT_FROM_EMAIL", "") or ""
    return address.rsplit("@", 1)[-1].strip(" >") or "khuyenhoc.local"


def _donor_message(
    receipt: Receipt, recipient: str, *, subject: str, template: str, context: dict, message_id: str,
    headers: dict, attachment_name: str,
) -> EmailMessage:
    """An e-mail to the donor about `receipt`, with its stored PDF attached."""
    message = EmailMessage(
        subject=subject,
        body=render_to_string(template, {"receipt": receipt, **context}),
        to=[recipient],
        # Fixed per receipt and kind: a copy sent again after a crash is recognisably the same message.
        headers={"Message-ID": f"<{message_id}.{receipt.pk}.{receipt.verification_code}@{_message_domain()}>", **headers},
    )
    with receipt.pdf.open("rb") as pdf_file:
        message.attach(attachment_name, pdf_file.read(), "application/pdf")
    return message


def _receipt_message(receipt: Receipt, recipient: str) -> EmailMessage:
    return _donor_message(
        receipt, recipient, subject=f"Phiếu thu {receipt.number} – {receipt.unit_name}",
        template="receipts/email/receipt.txt", message_id="receipt",
        context={
            "amount": format_vnd(receipt.amount),
            "amount_in_words": vnd_in_words(receipt.amount, round_suffix=True),
            "date": receipt.receipt_date.strftime("%d/%m/%Y"),
        },
        headers={"X-Receipt-Number": receipt.number}, attachment_name=f"{receipt.number}.pdf",
    )


def _send_to_donor(receipt_id: int, channel: str, build_message, *, unless_voided: bool) -> bool:
    """Claim the receipt's `channel` job, send `build_message(receipt, address)` once, mark it done.

    Renders the PDF first if that job has not run yet. The address is the one the donor record
    holds now; none, or a voided receipt when `unless_voided`, marks the job skipped.
    """
    if _delivery(receipt_id, ReceiptDelivery.Channel.PDF).status != JobStatus.DONE:
        receipt_render(receipt_id=receipt_id)
    with transaction.atomic():
        delivery = _delivery(receipt_id, channel, lock=True)
        if delivery.status != JobStatus.PENDING:
            # Done or skipped; running: another run is sending it right now; failed: given up,
            # until a person asks again (`delivery_retry`, `receipt_email_resend`).
            return False
        receipt = Receipt.objects.select_related("payment__donor").get(pk=receipt_id)
        address = receipt.payment.donor.email
        if unless_voided and receipt.is_voided:
            _skip(delivery, "Phiếu thu đã hủy: không gửi.")
            return False
        if not address:
            _skip(delivery, "Nhà hảo tâm không có địa chỉ e-mail.")
            return False
        claimed_at = _claim(delivery, recipient=address)
    return _send_claimed(ReceiptDelivery, delivery.pk, claimed_at, build_message(receipt, address))


def receipt_email(*, receipt_id: int) -> bool:
    """E-mail the receipt's PDF to the donor once; True when this call sent it.

    Renders the PDF first if that job has not run yet. A voided receipt, or a donor without an
    e-mail address, marks the job skipped (with the reason in `last_error`).
    """
    return _send_to_donor(receipt_id, ReceiptDelivery.Channel.EMAIL, _receipt_message, unless_voided=True)


# --- re-sending, retrying, requeueing -------------------------------------------------------
def _check_may_change(user, unit) -> None:
    if user is None or not user_can(user, Action.CHANGE, Domain.MONEY, unit):
        raise PermissionDenied(_("Chỉ thủ quỹ / kế toán của đơn vị thu mới được làm việc này."))


def _reopen(delivery: ReceiptDelivery, note: str = "") -> None:
    delivery.status = JobStatus.PENDING
    delivery.claimed_at = None
    delivery.last_error = note
    delivery.updated_at = timezone.now()
    delivery.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])
    _enqueue_on_commit(TASK_BY_CHANNEL[delivery.channel], delivery.receipt_id)


@transaction.atomic
def receipt_email_resend(*, receipt: Receipt, requested_by) -> ReceiptDelivery:
    """Send the receipt's e-mail again (a person asked): the delivery goes back to pending."""
    _check_may_change(requested_by, receipt.unit)
    delivery = _delivery(receipt.pk, ReceiptDelivery.Channel.EMAIL, lock=True)
    if Receipt.objects.filter(pk=receipt.pk, state=Receipt.State.VOIDED).exists():
        raise ValidationError(_("Phiếu thu %(number)s đã hủy: không gửi lại.") % {"number": receipt.number}, code="voided")
    if delivery.status == JobStatus.RUNNING:
        raise ValidationError(_("Phiếu thu %(number)s đang được gửi.") % {"number": receipt.number}, code="running")
    before = delivery.status
    _reopen(delivery)
    audit_record(
        action=AuditEvent.Action.TRANSITION, instance=delivery, actor=requested_by,
        before={"status": before}, after={"status": delivery.status, "resend": True},
    )
    return delivery


@transaction.atomic
def delivery_retry(*, delivery: ReceiptDelivery, requested_by) -> ReceiptDelivery:
    """Try a failed (or stuck) job again; a job that is done is left alone."""
    delivery = ReceiptDelivery.objects.select_for_update(of=("self",)).select_related("receipt__unit").get(pk=delivery.pk)
    _check_may_change(requested_by, delivery.receipt.unit)
    if delivery.status in (JobStatus.DONE, JobStatus.SKIPPED):
        return delivery
    before = delivery.status
    _reopen(delivery, note=delivery.last_error)
    audit_record(
        action=AuditEvent.Action.TRANSITION, instance=delivery, actor=requested_by,
        before={"status": before}, after={"status": delivery.status},
    )
    return delivery


def delivery_mark_failed(*, receipt_id: int, channel: str, error: str) -> None:
    """The task gave up (retries exhausted): the admin lists the job as failed."""
    _job_mark_failed(ReceiptDelivery.objects.filter(receipt_id=receipt_id, channel=channel), error)


def _job_mark_failed(job_queryset, error: str) -> None:
    """Mark the one job row of `job_queryset` failed, unless it is done already (row locked)."""
    with transaction.atomic():
        job = job_queryset.select_for_update().first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.SKIPPED):
            return
        job.status = JobStatus.FAILED
        job.last_error = (error or job.last_error)[:ERROR_MAX_LENGTH]
        job.claimed_at = None
        job.updated_at = timezone.now()
        job.save(update_fields=["status", "last_error", "claimed_at", "updated_at"])


def deliveries_requeue_stale(*, older_than: datetime.timedelta = STALE_AFTER) -> int:
    """Enqueue again every job left pending or running for longer than `older_than`; how many.

    Pending: its message was lost or never sent (broker down). Running: its worker died in the
    middle; it goes back to pending (on PostgreSQL a job whose worker is alive holds its row
    lock while it sends, and is skipped). The rows are touched, so a job whose message merely
    waits in a long queue is sent again at most once per `older_than`.

    Pledge e-mails (`PledgeEmail`: the confirmation written by `pledge_create`, the reminders)
    are the same kind of job with their own lease (`donations.services.pledge_email_send`): a
    row pending since before `older_than`, or sending under a lease that expired, is enqueued
    again. Those rows have no `updated_at` to touch, so one still pending is enqueued at every
    run until it is sent, skipped or failed; sending is idempotent, so that costs a task, not an
    e-mail.
    """
    cutoff = timezone.now() - older_than
    now = timezone.now()
    with transaction.atomic():
        stale = list(
            ReceiptDelivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_STATUSES, updated_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", "receipt_id", "channel", "status")[:REQUEUE_BATCH]
        )
        statements = list(
            DonorAnnualStatement.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_STATUSES, updated_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", "donor_id", "year", "status")[:REQUEUE_BATCH]
        )
        pledge_emails = list(
            PledgeEmail.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=PledgeEmail.Status.PENDING, created_at__lt=cutoff)
                | Q(status=PledgeEmail.Status.SENDING, claimed_at__lt=now - donations_services.PLEDGE_EMAIL_LEASE)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:REQUEUE_BATCH]
        )
        interrupted = "Bị gián đoạn (worker dừng giữa chừng); đã xếp hàng lại."
        for model, rows in ((ReceiptDelivery, stale), (DonorAnnualStatement, statements)):
            running = [row[0] for row in rows if row[3] == JobStatus.RUNNING]
            if running:
                model.objects.filter(pk__in=running, status=JobStatus.RUNNING).update(
                    status=JobStatus.PENDING, claimed_at=None, last_error=interrupted, updated_at=now
                )
            model.objects.filter(pk__in=[row[0] for row in rows]).update(updated_at=now)

        def send():
            from donations import tasks as pledge_tasks

            from . import tasks

            jobs = [
                (getattr(tasks, TASK_BY_CHANNEL[channel]), (receipt_id,))
                for _pk, receipt_id, channel, _status in stale
            ] + [(tasks.donor_annual_statement_task, (donor_id, year)) for _pk, donor_id, year, _status in statements]
            jobs += [(pledge_tasks.pledge_email_send_task, (pk,)) for pk in pledge_emails]
            enqueue_many(jobs)

        transaction.on_commit(send)
    if stale or statements or pledge_emails:
        logger.info(
            "re-enqueued %d stale receipt jobs, %d annual statements and %d pledge e-mails",
            len(stale), len(statements), len(pledge_emails),
        )
    return len(stale) + len(statements) + len(pledge_emails)


# --- voiding ------------------------------------------------------------------------------------
RECEIPT_VOID_FIELDS = ["state", "void_reason", "voided_by", "voided_at", "void_entry"]


@transaction.atomic
def receipt_void(*, receipt: Receipt, reason: str, voided_by) -> Receipt:
    """Void a receipt and its payment: the payment is voided by `donations.services.payment_void`
    (the reversal of its journal entry, and its pledge's status from the payments left), and the
    receipt stays in the register with its number, marked voided with the reason, who and when.

    Its jobs, in the same transaction (`_void_jobs`): the receipt's e-mail, unless it was sent
    already, is skipped for good; the stored PDF is rendered again with the "ĐÃ HỦY" stamp, the
    reason and the date; and a void notice is e-mailed to the donor once. Both jobs start after
    commit and are requeued from their rows like every receipt job.

    Only a treasurer (or unit admin) of the issuing unit or a unit above it may. The corrected
    payment, if any, is recorded anew and gets a new number.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Hãy ghi lý do hủy phiếu thu."), code="reason_required")})
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("Lý do dài quá 500 ký tự."), code="max_length")})
    _check_may_change(voided_by, receipt.unit)
    receipt = Receipt.objects.select_for_update(of=("self",)).select_related("payment").get(pk=receipt.pk)
    if receipt.is_voided:
        raise ValidationError(_("Phiếu thu %(number)s đã bị hủy trước đó.") % {"number": receipt.number}, code="already_voided")
    before = audit_fields(receipt, RECEIPT_VOID_FIELDS)
    payment = donations_services.payment_void(
        payment=receipt.payment, reason=reason, by=voided_by,
        reversal_reason=f"Hủy phiếu thu {receipt.number}: {reason}",
    )
    receipt.void_entry = payment.void_entry
    receipt.state = Receipt.State.VOIDED
    receipt.void_reason = reason
    receipt.voided_by = voided_by
    receipt.voided_at = payment.voided_at
    receipt.save(update_fields=["state", "void_reason", "voided_by", "voided_at", "void_entry"])
    audit_change(receipt, before, action=AuditEvent.Action.TRANSITION, actor=voided_by)
    _void_jobs(receipt)
    return receipt


def _void_jobs(receipt: Receipt) -> None:
    """The jobs of a receipt being voided, inside `receipt_void`'s transaction.

    The e-mail row is locked (in pk order, with the PDF row) and, unless it is done, marked
    skipped: a claim taken before the void then finds its row no longer running and sends
    nothing (`_send_claimed`). On PostgreSQL a worker that is sending holds that row's lock until
    its "done" commits, so the void waits for it and leaves a sent e-mail alone: the notice that
    follows tells the donor. (On SQLite the check before the send and the send are not under one
    lock; a void in that instant comes after the send.)
    """
    now = timezone.now()
    deliveries = {
        delivery.channel: delivery
        for delivery in ReceiptDelivery.objects.select_for_update().filter(receipt=receipt).order_by("pk")
    }
    email = deliveries.get(ReceiptDelivery.Channel.EMAIL)
    if email is not None and email.status not in (JobStatus.DONE, JobStatus.SKIPPED):
        email.status = JobStatus.SKIPPED
        email.claimed_at = None
        email.last_error = "Phiếu thu đã hủy: không gửi."
        email.updated_at = now
        email.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])
    pdf = deliveries.get(ReceiptDelivery.Channel.PDF)
    if pdf is None:
        pdf = ReceiptDelivery.objects.create(receipt=receipt, channel=ReceiptDelivery.Channel.PDF)
    else:
        pdf.status = JobStatus.PENDING
        pdf.claimed_at = None
        pdf.last_error = "Phiếu thu đã hủy: vẽ lại tệp PDF có dấu hủy."
        pdf.updated_at = now
        pdf.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])
    _enqueue_on_commit("receipt_render_task", receipt.pk)
    ReceiptDelivery.objects.create(receipt=receipt, channel=ReceiptDelivery.Channel.VOID_NOTICE)
    _enqueue_on_commit("receipt_void_notice_task", receipt.pk)


def _void_notice_message(receipt: Receipt, recipient: str) -> EmailMessage:
    return _donor_message(
        receipt, recipient, subject=f"Thông báo hủy phiếu thu {receipt.number} – {receipt.unit_name}",
        template="receipts/email/void_notice.txt", message_id="receipt-void",
        context={
            "amount": format_vnd(receipt.amount),
            "date": receipt.receipt_date.strftime("%d/%m/%Y"),
            "void_date": timezone.localtime(receipt.voided_at).strftime("%d/%m/%Y"),
        },
        headers={"X-Receipt-Void-Notice": receipt.number}, attachment_name=f"{receipt.number}-da-huy.pdf",
    )


def receipt_void_notice(*, receipt_id: int) -> bool:
    """Tell the donor, once, that their receipt was voided; True when this call sent it.

    To the address the donor record holds now (none: the job is skipped), with the re-rendered
    PDF (stamped "ĐÃ HỦY") attached; it renders it first when that job has not run yet. Claimed
    and marked done like the receipt's e-mail, so running twice sends once.
    """
    return _send_to_donor(receipt_id, ReceiptDelivery.Channel.VOID_NOTICE, _void_notice_message, unless_voided=False)


# --- annual statements --------------------------------------------------------------------------
def _statement_receipts(donor_id: int, year: int):
    return (
        Receipt.objects.filter(Q(payment__donor_id=donor_id) | Q(payment__donor__merged_into_id=donor_id), year=year)
        .order_by("receipt_date", "unit_id", "sequence")
    )


def donor_annual_statement_send(*, donor_id: int, year: int) -> bool:
    """E-mail the donor one list of all their receipts of `year`, once; True when this call sent it.

    The (donor, year) row makes it idempotent like a receipt's e-mail. Voided receipts are listed
    as voided and left out of the total.
    """
    with transaction.atomic():
        DonorAnnualStatement.objects.get_or_create(donor_id=donor_id, year=year)
        statement = DonorAnnualStatement.objects.select_for_update().get(donor_id=donor_id, year=year)
        if statement.status != JobStatus.PENDING and statement.status != JobStatus.FAILED:
            return False
        donor = Donor.objects.get(pk=donor_id)
        receipts = list(_statement_receipts(donor_id, year))
        if not donor.email:
            _skip(statement, "Nhà hảo tâm không có địa chỉ e-mail.")
            return False
        if not receipts:
            _skip(statement, "Không có phiếu thu nào trong năm.")
            return False
        valid = [receipt for receipt in receipts if not receipt.is_voided]
        total = sum(receipt.amount for receipt in valid)
        claimed_at = _claim(statement, recipient=donor.email, receipt_count=len(valid), total_amount=total)
    context = {
        "donor": donor,
        "year": year,
        "rows": [
            {"receipt": receipt, "amount": format_vnd(receipt.amount), "date": receipt.receipt_date.strftime("%d/%m/%Y")}
            for receipt in receipts
        ],
        "count": len(valid),
        "total": format_vnd(total),
        "total_in_words": vnd_in_words(total, round_suffix=True),
    }
    message = EmailMessage(
        subject=f"Bảng kê phiếu thu năm {year} – {donor.name}",
        body=render_to_string("receipts/email/annual_statement.txt", context),
        to=[donor.email],
        headers={"Message-ID": f"<statement.{donor_id}.{year}@{_message_domain()}>"},
    )
    return _send_claimed(DonorAnnualStatement, statement.pk, claimed_at, message)


def statement_mark_failed(*, donor_id: int, year: int, error: str) -> None:
    _job_mark_failed(DonorAnnualStatement.objects.filter(donor_id=donor_id, year=year), error)

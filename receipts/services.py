"""Every write of the receipts app: issue, render, e-mail, void, re-send, re-enqueue.

Each function takes keyword arguments only and runs in one transaction (the e-mailing ones in
two short ones around the send; see below). Refusals are `ValidationError` (Vietnamese, English
in the catalogue) or `PermissionDenied`, and nothing is written when one is raised.

Jobs and their state. `receipt_issue` runs inside the payment's transaction and creates the
receipt with two `ReceiptDelivery` rows (pdf, email), both pending; after commit it enqueues the
render task, which enqueues the e-mail task when the PDF is done. The database, not the broker,
holds what is left to do: the rows are jobs of the outbox (`fundmgr.core.outbox`), whose one
beat task (every five minutes) enqueues again every job that stayed pending or running too long,
because its message was lost (Redis restarted, the broker was down when the payment committed) or
its worker was killed. So every job must be safe to run twice, also at the same time:

- render: lock the pdf row; done → return; else write the file (a fixed name, overwritten) and
  mark the row done in the same transaction.
- e-mail: lock the email row; done, skipped or running → return; else mark it running and commit
  (the claim), build the message, send it, and mark it done. A second run while the first is
  sending finds it running and returns, so a receipt is never e-mailed twice by two runs. A
  claim whose worker died stays running until the requeue job finds it stale and puts it back
  to pending. How the "done" mark and the send are ordered, and the one instant that can send
  twice, is told in `outbox.send_claimed`.

Enqueueing never raises into the caller: a broker that is down is logged and the delivery stays
pending for the requeue job (`outbox.enqueue`).

Voiding is driven by the donations side (`donations.services.receipt_void`, which voids the
payment): this module checks and marks the receipt (`receipt_void_check`, `receipt_mark_voided`)
and never calls the donations services.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.models import Donor, Payment
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import (
    audit_change,
    audit_create,
    audit_create_unsaved,
    audit_fields,
    audit_record,
    audit_save,
)
from fundmgr.core import outbox
from fundmgr.core.bulk import instance_new, rows_insert
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.numbering import counter_lock, number_take, numbers_next
from fundmgr.core.outbox import STALE_AFTER, JobStatus, enqueue
from fundmgr.idempotency.services import AlreadyDone
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from fundmgr.orgs.roles import Action, Domain, user_can

from .models import (
    DonorAnnualStatement,
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

# --- enqueueing -------------------------------------------------------------------------------
def _enqueue_on_commit(channel: str, receipt_id: int) -> None:
    """After commit, send the task that does the receipt's `channel` job (as receipts registered it)."""
    # `enqueue` is looked up when the callback runs, so a test may replace it.
    def send():
        task, args = outbox.task_for(ReceiptDelivery(channel=channel, receipt_id=receipt_id))
        enqueue(task, *args)

    transaction.on_commit(send)


# --- issuing ------------------------------------------------------------------------------------
def _verification_code() -> str:
    # One draw of the whole code, uniform over the 31^12 codes as twelve draws of a character are
    # (secrets.choice per character: a bank import issues thousands of receipts at once).
    base = len(VERIFICATION_ALPHABET)
    number = secrets.randbelow(base**VERIFICATION_LENGTH)
    characters = []
    for _position in range(VERIFICATION_LENGTH):
        number, digit = divmod(number, base)
        characters.append(VERIFICATION_ALPHABET[digit])
    return "".join(characters)


def _accounts(payment: Payment) -> tuple[str, str]:
    """The debit and credit account codes of the payment's journal entry ("111", "511")."""
    if payment.journal_entry_id is None:  # the accounts its entry would have (the ledger's one table)
        return accounts.METHOD_ACCOUNTS[payment.method], accounts.DONATION_INCOME_ACCOUNTS[payment.method]
    posted = getattr(payment.journal_entry, "posted_lines", None) if Payment.journal_entry.is_cached(payment) else None
    if posted is not None:  # the entry was posted in this transaction: its lines are at hand
        rows = [(line.account.code, line.debit) for line in posted]
    else:
        rows = JournalLine.objects.filter(entry_id=payment.journal_entry_id).order_by("pk").values_list(
            "account__code", "debit"
        )
    debit, credit = [], []
    for code, amount_debit in rows:
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
    the receipt, its two deliveries (one INSERT) and its audit row; inside a transaction, a
    savepoint around them. A payment recorded in this same transaction gets its receipt from
    `receipts_issue_fresh`, in four statements (`payment_record`, the bank import).
    """
    with transaction.atomic():
        year = payment.received_on.year
        debit_account, credit_account = _accounts(payment)
        counter = counter_lock(ReceiptCounter, unit=payment.unit, year=year)
        # Under the counter's lock, so two issuers of the same payment cannot both pass.
        existing = Receipt.objects.filter(payment_id=payment.pk).first()
        if existing is not None:
            return existing
        sequence = number_take(counter)
        receipt = _receipt_build(payment, sequence=sequence, issued_by=issued_by, accounts_used=(debit_account, credit_account))
        receipt.save(force_insert=True)
        ReceiptDelivery.objects.bulk_create([
            ReceiptDelivery(receipt=receipt, channel=channel) for channel in ISSUE_CHANNELS
        ])
        audit_create(receipt, RECEIPT_AUDIT_FIELDS, actor=issued_by)
        _enqueue_on_commit(ReceiptDelivery.Channel.PDF, receipt.pk)
        return receipt


def _receipt_build(payment: Payment, *, sequence: int, issued_by, accounts_used: tuple[str, str]) -> Receipt:
    """The receipt (unsaved) of `payment` with number `sequence` of its unit and year: what every
    issuer writes (`receipt_issue`, `receipts_issue_fresh`)."""
    year = payment.received_on.year
    donor = payment.donor
    unit = payment.unit
    debit_account, credit_account = accounts_used
    return instance_new(
        Receipt,
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


def receipts_issue_fresh(*, payments: list[Payment], issued_by=None) -> list[Receipt]:
    """The receipts of payments created in the caller's transaction (`payment_record`'s one, the
    bank-statement import's chunk), in a constant number of statements (four), all of them after
    the ledger's chain head lock: the caller's atomic block rolls back as a whole if this raises, so
    no savepoint; no receipt of these payments can exist yet (the one-to-one would refuse a second).

    Each (unit, year) register gives its numbers in one `UPDATE ... SET last_number = last_number
    + n RETURNING` (`numbers_next`, registers in (unit, year) order), handed out in the payments'
    order: consecutive, no gap. The receipts, their deliveries and their audit rows are inserted
    in one statement each; after commit their PDF jobs are sent over one broker connection
    (`outbox.enqueue_many`). The payments must carry their donor, unit, fund, pledge and journal
    entry (with `posted_lines`), as `payment_record` leaves them.
    """
    payments = list(payments)
    if not payments:
        return []
    by_register: dict[tuple[int, int], list[Payment]] = {}
    units = {}
    for payment in payments:
        units[payment.unit_id] = payment.unit
        by_register.setdefault((payment.unit_id, payment.received_on.year), []).append(payment)
    sequences: dict[int, int] = {}
    for (unit_id, year), register in sorted(by_register.items(), key=lambda item: item[0]):
        numbers = numbers_next(ReceiptCounter, unit=units[unit_id], year=year, count=len(register))
        for payment, sequence in zip(register, numbers, strict=True):
            sequences[id(payment)] = sequence
    receipts = [
        _receipt_build(payment, sequence=sequences[id(payment)], issued_by=issued_by, accounts_used=_accounts(payment))
        for payment in payments
    ]
    rows_insert(receipts)
    deliveries = rows_insert([
        instance_new(ReceiptDelivery, receipt=receipt, channel=channel) for receipt in receipts for channel in ISSUE_CHANNELS
    ])
    audit_save([audit_create_unsaved(receipt, RECEIPT_AUDIT_FIELDS, actor=issued_by) for receipt in receipts])
    jobs = [delivery for delivery in deliveries if delivery.channel == ReceiptDelivery.Channel.PDF]
    # `outbox.enqueue_jobs` is looked up when the callback runs, so a test may replace it.
    transaction.on_commit(lambda: outbox.enqueue_jobs(jobs))
    return receipts


# --- rendering ----------------------------------------------------------------------------------
# The jobs a receipt gets when it is issued; the void notice's row is created by `receipt_mark_voided`.
ISSUE_CHANNELS = (ReceiptDelivery.Channel.PDF, ReceiptDelivery.Channel.EMAIL)


def _delivery(receipt_id: int, channel: str, *, lock: bool = False) -> ReceiptDelivery:
    queryset = ReceiptDelivery.objects.select_for_update() if lock else ReceiptDelivery.objects
    return queryset.get(receipt_id=receipt_id, channel=channel)


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
            outbox.mark_done(delivery)
        return True
    except Exception as error:
        pk = delivery_pk or _delivery(receipt_id, ReceiptDelivery.Channel.PDF).pk
        outbox.attempt_failed(ReceiptDelivery, pk, error)
        raise


# --- e-mailing ----------------------------------------------------------------------------------
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


def _gift_check_url(receipt: Receipt) -> str:
    """The absolute address of the donor's "check my gift" page (the public pages'
    `/p/<reference>/verify/`), or "" when the payment has no pledge or SITE_URL is not set."""
    site_url = getattr(settings, "SITE_URL", "")
    pledge_reference = Payment.objects.filter(pk=receipt.payment_id).values_list("pledge__reference", flat=True).first()
    if not site_url or not pledge_reference:
        return ""
    return site_url + reverse("public:pledge-verify", args=[pledge_reference])


def _receipt_message(receipt: Receipt, recipient: str) -> EmailMessage:
    return _donor_message(
        receipt, recipient, subject=f"Phiếu thu {receipt.number} – {receipt.unit_name}",
        template="receipts/email/receipt.txt", message_id="receipt",
        context={
            "amount": format_vnd(receipt.amount),
            "amount_in_words": vnd_in_words(receipt.amount, round_suffix=True),
            "date": receipt.receipt_date.strftime("%d/%m/%Y"),
            "gift_check_url": _gift_check_url(receipt),
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
            outbox.skip(delivery, "Phiếu thu đã hủy: không gửi.")
            return False
        if not address:
            outbox.skip(delivery, "Nhà hảo tâm không có địa chỉ e-mail.")
            return False
        claimed_at = outbox.claim(delivery, recipient=address)
    return outbox.build_and_send(ReceiptDelivery, delivery.pk, claimed_at, lambda: build_message(receipt, address))


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
    outbox.reopen(delivery, note)
    _enqueue_on_commit(delivery.channel, delivery.receipt_id)


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
    outbox.mark_failed(ReceiptDelivery.objects.filter(receipt_id=receipt_id, channel=channel), error)


def deliveries_requeue_stale(*, older_than: datetime.timedelta = STALE_AFTER) -> int:
    """The outbox's requeue job (all kinds of jobs, the pledge e-mails too): `outbox.requeue_stale`."""
    return outbox.requeue_stale(older_than=older_than)


# --- voiding ------------------------------------------------------------------------------------
RECEIPT_VOID_FIELDS = ["state", "void_reason", "voided_by", "voided_at", "void_entry"]


def receipt_void_check(*, receipt: Receipt, reason: str, voided_by) -> tuple[Receipt, str]:
    """The receipts' half of voiding, first step, inside the caller's transaction
    (`donations.services.receipt_void`): refuse a missing or too long reason, a user who is not a
    treasurer (or unit admin) of the issuing unit or a unit above it, and a receipt voided before;
    lock the receipt. Returns the locked receipt (with its payment) and the reason, cleaned."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Hãy ghi lý do hủy phiếu thu."), code="reason_required")})
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("Lý do dài quá 500 ký tự."), code="max_length")})
    receipt_void_access(receipt=receipt, voided_by=voided_by)
    receipt = Receipt.objects.select_for_update(of=("self",)).select_related("payment").get(pk=receipt.pk)
    if receipt.is_voided:
        # Never a second void (nor a second reversal): the API answers it with a 409.
        raise AlreadyDone(_("Phiếu thu %(number)s đã bị hủy trước đó.") % {"number": receipt.number}, code="already_voided")
    return receipt, reason


def receipt_void_access(*, receipt: Receipt, voided_by) -> None:
    """Refuse (PermissionDenied) a user who may not void `receipt`: a treasurer (or unit admin) of
    the issuing unit or a unit above it may."""
    _check_may_change(voided_by, receipt.unit)


def receipt_void_reversal_reason(receipt: Receipt, reason: str) -> str:
    """The reason the payment's reversal carries in the ledger: it names the receipt."""
    return f"Hủy phiếu thu {receipt.number}: {reason}"


def receipt_mark_voided(*, receipt: Receipt, reason: str, voided_by, payment: Payment) -> Receipt:
    """The receipts' half of voiding, second step, once the payment is voided (same transaction):
    the receipt stays in the register with its number, marked voided with the reason, who, when
    and the reversal; then its jobs (`_void_jobs`)."""
    before = audit_fields(receipt, RECEIPT_VOID_FIELDS)
    receipt.void_entry = payment.void_entry
    receipt.state = Receipt.State.VOIDED
    receipt.void_reason = reason
    receipt.voided_by = voided_by
    receipt.voided_at = payment.voided_at
    receipt.save(update_fields=RECEIPT_VOID_FIELDS)
    audit_change(receipt, before, action=AuditEvent.Action.TRANSITION, actor=voided_by)
    _void_jobs(receipt)
    return receipt


def _void_jobs(receipt: Receipt) -> None:
    """The jobs of a receipt being voided, inside the void's transaction.

    The receipt's e-mail, unless it was sent already, is skipped for good; the stored PDF is
    rendered again with the "ĐÃ HỦY" stamp, the reason and the date; and a void notice is e-mailed
    to the donor once. Both jobs start after commit and are requeued from their rows like every
    receipt job.

    The e-mail row is locked (in pk order, with the PDF row) and, unless it is done, marked
    skipped: a claim taken before the void then finds its row no longer running and sends
    nothing (`outbox.send_claimed`). On PostgreSQL a worker that is sending holds that row's lock
    until its "done" commits, so the void waits for it and leaves a sent e-mail alone: the notice
    that follows tells the donor. (On SQLite the check before the send and the send are not under
    one lock; a void in that instant comes after the send.)
    """
    deliveries = {
        delivery.channel: delivery
        for delivery in ReceiptDelivery.objects.select_for_update().filter(receipt=receipt).order_by("pk")
    }
    email = deliveries.get(ReceiptDelivery.Channel.EMAIL)
    if email is not None and not email.is_finished:
        outbox.skip(email, "Phiếu thu đã hủy: không gửi.")
    pdf = deliveries.get(ReceiptDelivery.Channel.PDF)
    if pdf is None:
        pdf = ReceiptDelivery.objects.create(receipt=receipt, channel=ReceiptDelivery.Channel.PDF)
    else:
        outbox.reopen(pdf, "Phiếu thu đã hủy: vẽ lại tệp PDF có dấu hủy.")
    _enqueue_on_commit(ReceiptDelivery.Channel.PDF, receipt.pk)
    ReceiptDelivery.objects.create(receipt=receipt, channel=ReceiptDelivery.Channel.VOID_NOTICE)
    _enqueue_on_commit(ReceiptDelivery.Channel.VOID_NOTICE, receipt.pk)


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
            outbox.skip(statement, "Nhà hảo tâm không có địa chỉ e-mail.")
            return False
        if not receipts:
            outbox.skip(statement, "Không có phiếu thu nào trong năm.")
            return False
        valid = [receipt for receipt in receipts if not receipt.is_voided]
        total = sum(receipt.amount for receipt in valid)
        claimed_at = outbox.claim(statement, recipient=donor.email, receipt_count=len(valid), total_amount=total)
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
    return outbox.send_claimed(DonorAnnualStatement, statement.pk, claimed_at, message)


# The first year a statement may be asked for: no association here kept receipts before it.
EARLIEST_STATEMENT_YEAR = 2000


@dataclasses.dataclass(frozen=True)
class AnnualStatementsRequested:
    queued: list[str]  # the donors (names) whose statement goes out now
    skipped: dict[str, list[str]]  # why not ("no_email", "already_sent", "merged") → the donors


@transaction.atomic
def annual_statements_request(*, donors, year: int, by, today: datetime.date | None = None) -> AnnualStatementsRequested:
    """A treasurer asks for the annual statements of `donors` for `year`: made and e-mailed now.

    One statement per donor and year, ever: a statement already sent is not sent again (it is
    the donor's record of the year, the same each time); one that failed, or was skipped because
    the donor had no receipt or address then, is tried again. A donor merged into another gets
    none (the other's statement lists both). The actor must hold the money change capability in
    each donor's unit; one audit row per statement.
    """
    today = today or timezone.localdate()
    if isinstance(year, bool) or not isinstance(year, int) or not EARLIEST_STATEMENT_YEAR <= year <= today.year:
        raise ValidationError(
            {"year": [_("Năm phải từ %(first)d đến %(last)d.") % {"first": EARLIEST_STATEMENT_YEAR, "last": today.year}]}
        )
    donors = list(Donor.objects.filter(pk__in=[donor.pk for donor in donors]).select_related("unit").order_by("name", "pk"))
    for unit in {donor.unit for donor in donors}:
        _check_may_change(by, unit)
    existing = {
        statement.donor_id: statement
        for statement in DonorAnnualStatement.objects.select_for_update().filter(donor__in=donors, year=year)
    }
    queued, skipped, jobs = [], {}, []
    for donor in donors:
        statement = existing.get(donor.pk)
        reason = (
            "merged" if donor.merged_into_id else "no_email" if not donor.email
            else "already_sent" if statement is not None and statement.status == JobStatus.DONE else ""
        )
        if reason:
            skipped.setdefault(reason, []).append(donor.name)
            continue
        if statement is None:
            statement = DonorAnnualStatement.objects.create(donor=donor, year=year)
            audit_create(statement, ["donor", "year"], actor=by)
        elif statement.status in (JobStatus.FAILED, JobStatus.SKIPPED):
            before = statement.status
            outbox.reopen(statement, statement.last_error)
            audit_record(
                action=AuditEvent.Action.TRANSITION, instance=statement, actor=by,
                before={"status": before}, after={"status": statement.status},
            )
        jobs.append(statement)  # a pending or running one is only enqueued again: sending is idempotent
        queued.append(donor.name)
    transaction.on_commit(lambda: outbox.enqueue_jobs(jobs))
    return AnnualStatementsRequested(queued=queued, skipped=skipped)


def statement_mark_failed(*, donor_id: int, year: int, error: str) -> None:
    outbox.mark_failed(DonorAnnualStatement.objects.filter(donor_id=donor_id, year=year), error)

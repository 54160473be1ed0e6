"""Payments: recording money that arrived (with its journal entry and receipt), voiding one, and the
pledge status that follows from what was paid."""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaigns.models import Campaign
from donations import progress, selectors
from donations.models import Donor, Payment, Pledge
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import (
    audit_change,
    audit_create,
    audit_create_unsaved,
    audit_fields,
    audit_rows_together,
    audit_save,
)
from fundmgr.core import sql_rows
from fundmgr.core.bulk import instance_new, rows_insert, rows_update
from fundmgr.core.dates import document_date_errors
from fundmgr.core.money import format_vnd
from fundmgr.idempotency.services import idempotent_create, key_clean, scope_of
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.ledger.services import Line, Posting, entries_post, entry_post, entry_reverse
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from receipts import services as receipts_services

from .pledges import CLOSED_STATUSES, amount_errors
from .tallies import tally_payment_added, tally_payments_added

logger = logging.getLogger(__name__)


PAYMENT_AUDIT_FIELDS = [
    "donor", "pledge", "fund", "unit", "amount", "method", "received_on", "bank_reference", "journal_entry",
]
PAYMENT_VOID_FIELDS = ["voided_at", "void_reason", "voided_by", "void_entry"]


# --- payments ---------------------------------------------------------------------------------



def _payment_errors(
    *, donor, amount, method, received_on, fund, pledge, paid_before, bank_reference, in_kind_description,
    overpayment_reason, recorded_references: set[str] | None = None,
):
    """Why the payment cannot be recorded ({field: [errors]}; empty when it can).

    `recorded_references`, when given, is the set of bank references already recorded (read by a
    caller that checks many payments at once) instead of one query for this one."""
    errors: dict[str | None, list[ValidationError]] = {}

    def add(field, message_text, code):
        errors.setdefault(field, []).append(ValidationError(message_text, code=code))

    if bank_reference and (
        bank_reference in recorded_references if recorded_references is not None
        else Payment.objects.filter(bank_reference=bank_reference).exists()
    ):
        # Said alone: whatever else is wrong with it, this transfer is on the books already. (The
        # unique index, not this query, is what stops two concurrent recordings of it.)
        add("bank_reference", _duplicate_bank_reference_message(bank_reference), "duplicate_bank_reference")
        return errors
    for error in amount_errors(amount):
        errors.setdefault("amount", []).append(error)
    if method not in Payment.Method.values:
        add("method", _("Hình thức nộp tiền không hợp lệ."), "invalid_method")
    elif method == Payment.Method.IN_KIND and not (in_kind_description or "").strip():
        add("in_kind_description", _("Hãy mô tả hiện vật nhận được."), "in_kind_description_required")
    elif method == Payment.Method.BANK_TRANSFER and not bank_reference:
        # The bank's transaction number is what ties the money to the statement, and what stops
        # the same transfer being recorded twice.
        add("bank_reference", _("Chuyển khoản cần mã giao dịch ngân hàng."), "bank_reference_required")
    # Not after today, not before the association existed (fundmgr.core.dates): the date also picks
    # the receipt's numbering year.
    for error in document_date_errors(received_on, label=pgettext("subject of a sentence", "Ngày nhận")):
        errors.setdefault("received_on", []).append(error)
    if pledge is not None:
        if pledge.status in CLOSED_STATUSES:
            add("pledge", _("Cam kết %(reference)s đã hủy hoặc đã xóa nợ: không ghi nhận khoản thu vào cam kết này.")
                % {"reference": pledge.reference}, "pledge_closed")
        if pledge.donor_id != donor.pk:
            add("pledge", _("Cam kết %(reference)s không phải của nhà hảo tâm này.") % {"reference": pledge.reference}, "pledge_other_donor")
        if fund is not None and fund.pk != pledge.fund_id:
            add("fund", _("Khoản thu theo cam kết vào quỹ của cam kết đó."), "fund_not_pledge_fund")
        if "amount" not in errors and not overpayment_reason:
            left = pledge.amount - paid_before
            if amount > left:
                add(
                    "overpayment_reason",
                    _("Khoản thu %(amount)s vượt số cam kết còn phải nộp (%(left)s). Nếu đúng là nộp thừa, "
                      "hãy xác nhận và ghi lý do.")
                    % {"amount": format_vnd(amount), "left": format_vnd(max(left, 0))},
                    "overpayment_unconfirmed",
                )
    elif fund is None:
        add("fund", _("Hãy chọn quỹ nhận tiền."), "fund_required")
    if donor.merged_into_id is not None:
        add("donor", _("Nhà hảo tâm này đã được gộp vào một hồ sơ khác: hãy ghi vào hồ sơ đó."), "donor_merged")
    if bank_reference is not None and len(bank_reference) > 64:
        add("bank_reference", _("Mã giao dịch ngân hàng dài quá 64 ký tự."), "max_length")
    if len(overpayment_reason) > 500:
        add("overpayment_reason", _("Lý do dài quá 500 ký tự."), "max_length")
    return errors


def _duplicate_bank_reference_message(bank_reference: str) -> str:
    return _("Giao dịch ngân hàng %(reference)s đã được ghi nhận.") % {"reference": bank_reference}


def _pledge_status_paid(pledge: Pledge, paid: int) -> str:
    """The status of an open pledge on which `paid` was paid."""
    if paid >= pledge.amount:
        return Pledge.Status.FULFILLED
    if paid > 0:
        return Pledge.Status.PARTIALLY_PAID
    return Pledge.Status.PLEDGED


def pledge_status_refresh(pledge: Pledge, *, by=None, paid: int | None = None) -> Pledge:
    """Set an open pledge's status from the sum of its payments not voided (the caller holds its row lock).

    `by` is the actor of the audit row of a status change (the person recording the payment);
    `paid` is that sum when the caller knows it already.
    """
    if pledge.status in CLOSED_STATUSES:
        return pledge
    paid = selectors.pledge_paid(pledge) if paid is None else paid
    status = _pledge_status_paid(pledge, paid)
    if status != pledge.status:
        before = {"status": pledge.status}
        pledge.status = status
        pledge.save(update_fields=["status"])
        audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
    return pledge


def pledge_locked_with_funds(pk: int) -> Pledge:
    """The pledge of `pk` locked FOR UPDATE (its row only: payments into one fund do not wait for
    each other), with its fund and campaign and their units; Pledge.DoesNotExist when there is
    none. A lock is the write's, so it lives with the payments' service. `select_related` written
    as SQL (`fundmgr.core.sql_rows`): every payment of a pledge asks it first, and the ORM's
    compilation of the four joins cost more than the lookup."""
    found = sql_rows.with_parents(
        (Pledge, "pledge"),
        [("pledge", "fund", Fund, "fund"), ("fund", "unit", OrgUnit, "fund_unit"),
         ("pledge", "campaign", Campaign, "campaign"), ("campaign", "unit", OrgUnit, "campaign_unit")],
        f"{sql_rows.column(Pledge, 'pledge', 'id')} = %s", [pk], lock=True,
    )
    if not found:
        raise Pledge.DoesNotExist(f"no pledge {pk}")
    return found[0]


def payment_record(
    *,
    donor: Donor,
    amount: int,
    method: str,
    received_on: datetime.date,
    unit: OrgUnit,
    fund: Fund | None = None,
    pledge: Pledge | None = None,
    bank_reference: str | None = None,
    in_kind_description: str = "",
    overpayment_reason: str = "",
    recorded_by=None,
    channel: str = "admin",
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received: the payment, its journal entry and the pledge's new status, at once.

    Cash: Dr 111 / Cr 511; bank transfer: Dr 112 / Cr 511; in kind: Dr 156 / Cr 512, all in
    the fund (the pledge's fund when the payment is for a pledge). Refused: a unit, fund, pledge or
    donor outside `recorded_by`'s units; a bank transfer without its bank reference, or one
    recorded before; paying into a cancelled or written-off pledge; paying more than a pledge has
    left without an `overpayment_reason`. A repeat of `idempotency_key` (scoped to `channel` and
    `unit`) with the same request returns the first payment, with `replayed` set to True.
    """
    bank_reference = (bank_reference or "").strip() or None
    overpayment_reason = " ".join((overpayment_reason or "").split())
    idempotency_key = key_clean(idempotency_key)
    request = {
        "donor": donor.pk, "pledge": getattr(pledge, "pk", None), "fund": getattr(fund, "pk", None),
        "unit": unit.pk, "amount": amount, "method": method, "received_on": received_on,
        "bank_reference": bank_reference, "in_kind_description": in_kind_description or "",
        "overpayment_reason": overpayment_reason,
    }
    try:
        with transaction.atomic():
            payment, created = idempotent_create(
                scope=scope_of(channel, unit), key=idempotency_key, content=request, model=Payment,
                create=lambda: _payment_record(
                    donor=donor, amount=amount, method=method, received_on=received_on, unit=unit, fund=fund,
                    pledge=pledge, bank_reference=bank_reference, in_kind_description=in_kind_description,
                    overpayment_reason=overpayment_reason, recorded_by=recorded_by,
                ),
            )
    except IntegrityError:
        # The unique bank reference, not a query before the insert, is what stops the same bank
        # transaction being recorded twice (also by two imports at once); the block has rolled back.
        if bank_reference and Payment.objects.filter(bank_reference=bank_reference).exists():
            raise ValidationError(
                {"bank_reference": ValidationError(
                    _duplicate_bank_reference_message(bank_reference), code="duplicate_bank_reference"
                )}
            ) from None
        raise
    payment.replayed = not created
    return payment


def _payment_record(**request) -> Payment:
    # Its audit rows (the pledge's status, the entry, the payment, the receipt) in one INSERT: the
    # block rolls back as a whole (no savepoint inside it is rolled back on its own).
    with audit_rows_together():
        return _payment_write(**request)


def _payment_write(
    *, donor, amount, method, received_on, unit, fund, pledge, bank_reference, in_kind_description,
    overpayment_reason, recorded_by,
) -> Payment:
    if pledge is not None:
        # The row lock serialises payments of one pledge, so each sees the others' amounts. The
        # fund and campaign come along, not locked (`of`): money coming in never overspends a
        # fund, so payments into one fund do not wait for each other (docs/performance.md).
        pledge = pledge_locked_with_funds(pledge.pk)
    target_fund = pledge.fund if pledge is not None else fund

    def units():
        # Read as they are checked: the system (no actor) is not checked, and the donor's unit
        # is not read for it.
        yield from (unit, donor.unit, getattr(target_fund, "unit", None))
        yield pledge.campaign.unit if pledge is not None else None

    access_units(recorded_by, units(), action=Action.ADD, domain=Domain.MONEY)
    # Read under the pledge's lock: the payments of one pledge are serialised, and so is a removal
    # request of the pledge (whether it has one is for the honor roll's running total).
    paid_before, removal_requested = (
        selectors.pledge_paid_and_removal_requested(pledge) if pledge is not None else (0, False)
    )
    errors = _payment_errors(
        donor=donor, amount=amount, method=method, received_on=received_on, fund=fund, pledge=pledge,
        paid_before=paid_before, bank_reference=bank_reference, in_kind_description=in_kind_description,
        overpayment_reason=overpayment_reason,
    )
    if errors:
        raise ValidationError({field or "__all__": messages for field, messages in errors.items()})
    fund = target_fund
    payment = _payment_build(
        donor=donor, pledge=pledge, fund=fund, unit=unit, amount=amount, method=method,
        in_kind_description=in_kind_description, received_on=received_on, bank_reference=bank_reference,
        recorded_by=recorded_by, overpayment_reason=overpayment_reason,
    )
    payment.save(force_insert=True)
    if pledge is not None:
        pledge_status_refresh(pledge, by=recorded_by, paid=paid_before + amount)
        # The campaign page's running totals (sharded counters, the donor's own row).
        tally_payment_added(
            payment=payment, pledge=pledge, paid_before=paid_before, removal_requested=removal_requested,
        )
    # What every payment waits for comes last, so that it is held only until the commit that
    # follows: the ledger's chain head (one for the whole ledger) and the receipt counter of the
    # unit and year (docs/performance.md). The entry names the payment, the receipt the entry.
    # The ledger's rule: the money (or goods) account of the method, against donation income.
    posting = _payment_posting(payment)
    entry = entry_post(
        unit=posting.unit,
        date=posting.date,
        memo=posting.memo,
        lines=posting.lines,
        source=posting.source,
        created_by=recorded_by,
        savepoint=False,  # an error here rolls back payment_record's own atomic block as a whole
    )
    payment.journal_entry = entry
    payment.save(update_fields=["journal_entry"])
    audit_create(payment, PAYMENT_AUDIT_FIELDS, actor=recorded_by)
    # The receipt (phiếu thu) is issued here, inside this transaction, by the receipts service:
    # the gap-free number is the last lock taken before the commit.
    receipts_services.receipts_issue_fresh(payments=[payment], issued_by=recorded_by)
    return payment


def _payment_build(
    *, donor, pledge, fund, unit, amount, method, in_kind_description, received_on, bank_reference, recorded_by,
    overpayment_reason,
) -> Payment:
    """The payment row (unsaved) of a request `_payment_errors` accepted."""
    return instance_new(
        Payment, donor=donor, pledge=pledge, fund=fund, unit=unit, amount=amount, method=method,
        in_kind_description=(in_kind_description or "").strip() if method == Payment.Method.IN_KIND else "",
        received_on=received_on, bank_reference=bank_reference, recorded_by=recorded_by,
        overpayment_reason=overpayment_reason if pledge is not None else "",
    )


def _payment_posting(payment: Payment) -> Posting:
    """The payment's journal entry: the money (or goods) account of its method against donation
    income, in its fund (the ledger's rule, `accounts.METHOD_ACCOUNTS`)."""
    method, fund, amount = payment.method, payment.fund, payment.amount
    debit_account, credit_account = accounts.METHOD_ACCOUNTS[method], accounts.DONATION_INCOME_ACCOUNTS[method]
    return Posting(
        unit=payment.unit, date=payment.received_on,
        memo=_payment_memo(payment, donor=payment.donor, pledge=payment.pledge if payment.pledge_id else None),
        lines=[Line(debit_account, fund, debit=amount), Line(credit_account, fund, credit=amount)],
        source=payment,
    )


def _payment_memo(payment: Payment, *, donor: Donor, pledge: Pledge | None) -> str:
    # Ledger text is a record, not an interface: written in Vietnamese whatever the request language.
    kind = {"cash": "tiền mặt", "bank_transfer": "chuyển khoản", "in_kind": "hiện vật"}[payment.method]
    reference = f" {pledge.reference}" if pledge is not None else ""
    return f"Thu ủng hộ{reference} ({kind}) – {donor.name}"[:500]


@dataclasses.dataclass(frozen=True)
class PledgePayment:
    """One payment for `pledge_payments_record`: what `payment_record` takes for a pledge's payment."""

    pledge_id: int
    amount: int
    method: str
    received_on: datetime.date
    bank_reference: str | None = None


class PledgePaymentBatch:
    """Many payments of pledges recorded in one pass, each exactly as `payment_record` (without an
    idempotency key or an overpayment reason) would record it, in the order they are added.

    Inside the caller's transaction, in a constant number of statements whatever their number
    (the bank-statement import, a chunk at a time):

        batch = PledgePaymentBatch(pledge_ids=..., unit=unit, recorded_by=by)  # locks, reads
        outcome = batch.add(PledgePayment(...))  # the Payment (unsaved yet), or the refusal
        ...
        batch.write()                            # every accepted payment, in bulk

    Created: the pledges that may be paid locked in one statement (pk order) and their paid sums
    (and which have a removal request) read in one query under the locks, the bank references
    already recorded in one. `add` checks who may once per set of units and the payment by
    `_payment_errors`, the payments of one pledge seeing the earlier ones' amounts, as sequential
    `payment_record` calls would; it returns the refusal `payment_record` would have raised
    (`ValidationError`, `PermissionDenied`). `write` writes the payments, the pledges' status
    changes (one UPDATE per step, at most two), the tallies (`tally_payments_added`), the journal
    entries (`entries_post`), the payments' entries, the audit rows and the receipts
    (`receipts_issue_fresh`), taking its locks in `payment_record`'s order: pledges, donors' tally rows, counter rows, chain head, receipt counters. It raises
    IntegrityError when a concurrent writer recorded one of the bank references meanwhile (the
    unique index): the caller rolls its savepoint back and records the payments one at a time.
    """

    def __init__(self, *, pledge_ids, unit: OrgUnit, recorded_by=None, bank_references=()):
        pledge_ids = sorted(set(pledge_ids))
        self.unit, self.recorded_by = unit, recorded_by
        self.pledges = {
            pledge.pk: pledge
            for pledge in Pledge.objects.select_for_update(of=("self",)).select_related("donor")
            .filter(pk__in=pledge_ids).order_by("pk")
        }
        # Funds, campaigns and units once each (not a copy of each per pledge through select_related).
        pledges = self.pledges.values()
        funds = Fund.objects.in_bulk({pledge.fund_id for pledge in pledges})
        campaigns = Campaign.objects.in_bulk({pledge.campaign_id for pledge in pledges})
        units = OrgUnit.objects.in_bulk(
            {item.unit_id for item in [*funds.values(), *campaigns.values()]}
            | {pledge.donor.unit_id for pledge in pledges}
        )
        for item in [*funds.values(), *campaigns.values()]:
            item.unit = units[item.unit_id]
        for pledge in pledges:
            pledge.fund, pledge.campaign = funds[pledge.fund_id], campaigns[pledge.campaign_id]
            pledge.donor.unit = units[pledge.donor.unit_id]
        # Read under the pledges' locks, as payment_record reads its pledge's sum, and with it
        # which pledges have a removal request (the honor roll's running totals).
        self.paid, self.removal_requested = {}, set()
        for pk, paid, removal_requested in (
            selectors.pledge_paid_amounts(Pledge.objects.filter(pk__in=pledge_ids))
            .annotate(removal_requested=progress.removal_requested()).order_by()  # a dict: no sort
            .values_list("pk", "paid_amount", "removal_requested")
        ):
            self.paid[pk] = paid
            if removal_requested:
                self.removal_requested.add(pk)
        references = {(reference or "").strip() for reference in bank_references} - {""}
        self.recorded = set(
            Payment.objects.filter(bank_reference__in=references).values_list("bank_reference", flat=True)
        ) if references else set()
        self._refused_units: dict[tuple, PermissionDenied | None] = {}
        self.accepted: list[tuple[Payment, Pledge, int]] = []
        self._transitions: list[list[tuple[Pledge, str, str]]] = []  # [step][(pledge, before, after)]
        self._steps: dict[int, int] = {}

    def add(self, request: PledgePayment) -> Payment | ValidationError | PermissionDenied:
        pledge = self.pledges[request.pledge_id]
        donor = pledge.donor
        bank_reference = (request.bank_reference or "").strip() or None
        units = (self.unit, donor.unit, pledge.fund.unit, pledge.campaign.unit)
        key = tuple(getattr(item, "pk", None) for item in units)
        if key not in self._refused_units:
            try:
                access_units(self.recorded_by, units, action=Action.ADD, domain=Domain.MONEY)
                self._refused_units[key] = None
            except PermissionDenied as error:
                self._refused_units[key] = error
        if self._refused_units[key] is not None:
            return self._refused_units[key]
        paid_before = self.paid[pledge.pk]
        errors = _payment_errors(
            donor=donor, amount=request.amount, method=request.method, received_on=request.received_on,
            fund=None, pledge=pledge, paid_before=paid_before, bank_reference=bank_reference,
            in_kind_description="", overpayment_reason="", recorded_references=self.recorded,
        )
        if errors:
            return ValidationError({field or "__all__": messages for field, messages in errors.items()})
        payment = _payment_build(
            donor=donor, pledge=pledge, fund=pledge.fund, unit=self.unit, amount=request.amount,
            method=request.method, in_kind_description="", received_on=request.received_on,
            bank_reference=bank_reference, recorded_by=self.recorded_by, overpayment_reason="",
        )
        payment.replayed = False
        self.accepted.append((payment, pledge, paid_before))
        self.paid[pledge.pk] = paid_before + request.amount
        if bank_reference:
            self.recorded.add(bank_reference)
        # pledge_status_refresh's rule, one step per payment that moves the status.
        status = _pledge_status_paid(pledge, self.paid[pledge.pk])
        if status != pledge.status:
            step = self._steps.get(pledge.pk, 0)
            self._steps[pledge.pk] = step + 1
            if step == len(self._transitions):
                self._transitions.append([])
            self._transitions[step].append((pledge, pledge.status, status))
            pledge.status = status
        return payment

    def write(self) -> list[Payment]:
        if self.accepted:
            _payments_write(
                self.accepted, self._transitions, recorded_by=self.recorded_by, removal_requested=self.removal_requested,
            )
        return [payment for payment, _pledge, _paid in self.accepted]


def _payments_write(accepted: list[tuple[Payment, Pledge, int]], transitions, *, recorded_by, removal_requested) -> None:
    """The writes of `PledgePaymentBatch.write`, in `_payment_record`'s order."""
    payments = [payment for payment, _pledge, _paid in accepted]
    rows_insert(payments)
    audits = []
    for step in transitions:
        # One UPDATE per step, so that each pledge's row goes through the statuses it would go
        # through one payment at a time (and the database's audit trigger sees each change).
        rows_update([Pledge(pk=pledge.pk, status=after) for pledge, _before, after in step], ["status"])
        audits += [
            audit_change(pledge, {"status": before}, after={"status": after}, action=AuditEvent.Action.TRANSITION,
                         actor=recorded_by, save=False)
            for pledge, before, after in step
        ]
    tally_payments_added(accepted, removal_requested=removal_requested)
    entries = entries_post(
        postings=[_payment_posting(payment) for payment in payments], created_by=recorded_by, savepoint=False,
    )
    for payment, entry in zip(payments, entries, strict=True):
        payment.journal_entry = entry
    rows_update(payments, ["journal_entry"])
    audit_save(audits + [audit_create_unsaved(payment, PAYMENT_AUDIT_FIELDS, actor=recorded_by) for payment in payments])
    receipts_services.receipts_issue_fresh(payments=payments, issued_by=recorded_by)


def payment_void(*, payment: Payment, reason: str, by, reversal_reason: str | None = None) -> Payment:
    """Take a payment out of the money received: reverse its journal entry, mark it voided, and set
    its pledge's status from the payments left (a fulfilled pledge goes back to partially paid or
    pledged), in one transaction.

    The row stays, with the reason, who and when: money rows are never edited or deleted.
    `reversal_reason` is the reversal's reason in the ledger (default "Hủy khoản thu #<id>: <reason>").
    The use case is voiding the payment's receipt: `donations.services.receipt_void` checks who may,
    calls this in its own transaction and names the receipt in `reversal_reason`; calling this
    alone would leave the receipt issued.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Hãy ghi lý do hủy."), code="reason_required")})
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("Lý do dài quá 500 ký tự."), code="max_length")})
    with transaction.atomic():
        # The pledge first, as `payment_record` locks it: payments of one pledge (recorded or
        # voided) are serialised, and each status is computed from the others' committed rows.
        pledge = None
        if payment.pledge_id is not None:
            # With its campaign (not locked), which gives the audit row of a status change its unit.
            pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=payment.pledge_id)
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("journal_entry").get(pk=payment.pk)
        )
        if payment.is_voided:
            raise ValidationError(_("Khoản thu này đã bị hủy trước đó."), code="payment_already_voided")
        before = audit_fields(payment, PAYMENT_VOID_FIELDS)
        payment.voided_at = timezone.now()
        payment.void_reason = reason
        payment.voided_by = by
        payment.save(update_fields=["voided_at", "void_reason", "voided_by"])
        paid_after = None
        if pledge is not None:
            paid_after = selectors.pledge_paid(pledge)
            # Before the ledger's chain head, in the order `payment_record` takes its locks.
            tally_payment_added(payment=payment, pledge=pledge, paid_before=paid_after + payment.amount, sign=-1)
        if payment.journal_entry is not None:
            payment.void_entry = entry_reverse(
                entry=payment.journal_entry, reason=reversal_reason or f"Hủy khoản thu #{payment.pk}: {reason}",
                created_by=by, date=timezone.localdate(),
            )
            payment.save(update_fields=["void_entry"])
        audit_change(payment, before, action=AuditEvent.Action.TRANSITION, actor=by)
        if pledge is not None:
            pledge_status_refresh(pledge, by=by, paid=paid_after)
    return payment



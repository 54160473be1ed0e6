"""Voiding a receipt and its payment: one use case, driven from the money-in side.

Donations may call the receipts' services (a payment gets its receipt in its own transaction);
the receipts' services never call back into donations. So the orchestration lives here: the
receipts app checks and locks its receipt, `payment_void` reverses the payment's journal entry and
sets its pledge's status, and the receipts app marks the receipt voided and starts its jobs, all
in one transaction.
"""

from __future__ import annotations

from django.db import transaction

from fundmgr.idempotency.services import idempotent_create, scope_of
from receipts import services as receipts_services
from receipts.models import Receipt

from .payments import payment_void


def receipt_void(
    *, receipt: Receipt, reason: str, voided_by, channel: str = "admin", idempotency_key: str | None = None,
) -> Receipt:
    """Void a receipt and its payment: the payment is voided by `payment_void` (the reversal of its
    journal entry, and its pledge's status from the payments left), and the receipt stays in the
    register with its number, marked voided with the reason, who and when.

    Its jobs, in the same transaction: the receipt's e-mail, unless it was sent already, is
    skipped for good; the stored PDF is rendered again with the "ĐÃ HỦY" stamp; and a void notice
    is e-mailed to the donor once (`receipts.services.receipt_mark_voided`).

    Only a treasurer (or unit admin) of the issuing unit or a unit above it may. The corrected
    payment, if any, is recorded anew and gets a new number.

    A receipt voided before is refused (`AlreadyDone`): never a second void or a second reversal.
    A repeat of `idempotency_key` (scoped to `channel` and the issuing unit) with the same receipt
    and reason returns the voided receipt (with `replayed` set); with another request it is refused.
    """
    request = {"receipt": receipt.pk, "reason": " ".join((reason or "").split())}
    with transaction.atomic():
        if idempotency_key:
            # A repeat answers only someone who may void it.
            receipts_services.receipt_void_access(receipt=receipt, voided_by=voided_by)
        voided, created = idempotent_create(
            scope=scope_of(channel, receipt.unit_id), key=idempotency_key, content=request, model=Receipt,
            create=lambda: _receipt_void(receipt=receipt, reason=reason, voided_by=voided_by),
        )
    voided.replayed = not created
    return voided


def _receipt_void(*, receipt: Receipt, reason: str, voided_by) -> Receipt:
    receipt, reason = receipts_services.receipt_void_check(receipt=receipt, reason=reason, voided_by=voided_by)
    payment = payment_void(
        payment=receipt.payment, reason=reason, by=voided_by,
        reversal_reason=receipts_services.receipt_void_reversal_reason(receipt, reason),
    )
    return receipts_services.receipt_mark_voided(receipt=receipt, reason=reason, voided_by=voided_by, payment=payment)

"""Reads of the receipts app that are more than a filter."""

from itertools import islice

from django.utils.translation import gettext as _

from donations.models import Payment
from fundmgr.ledger.references import LedgerReference

from .models import Receipt

BATCH_SIZE = 2_000


def receipt_ledger_references():
    """What each receipt says about the journal, for `verify_ledger` (`fundmgr.ledger.references`).

    A receipt certifies its amount through its payment's entry (a debit of that amount in the
    payment's fund); a voided receipt names the reversal of that entry. A receipt whose payment
    row is gone names no entry at all, which is reported too. Per batch of receipts one more
    query reads their payments.
    """
    rows = Receipt.objects.order_by("pk").values_list("pk", "number", "payment_id", "amount", "state", "void_entry_id")
    rows = rows.iterator(chunk_size=BATCH_SIZE)
    while batch := list(islice(rows, BATCH_SIZE)):
        payments = {
            pk: (entry_id, fund_id)
            for pk, entry_id, fund_id in Payment.objects.filter(pk__in={row[2] for row in batch})
            .values_list("pk", "journal_entry_id", "fund_id")
        }
        for _pk, number, payment_id, amount, state, void_entry_id in batch:
            document = _("phiếu thu %(number)s") % {"number": number}
            if payment_id not in payments:
                yield LedgerReference(
                    _("phiếu thu %(number)s (khoản thu #%(payment)s không còn)")
                    % {"number": number, "payment": payment_id},
                    None,
                )
                continue
            entry_id, fund_id = payments[payment_id]
            yield LedgerReference(document, entry_id, fund_id=fund_id, amount=amount)
            if state == Receipt.State.VOIDED:
                yield LedgerReference(
                    _("phiếu thu %(number)s (đã hủy)") % {"number": number}, void_entry_id,
                    reverses_entry_id=entry_id,
                )

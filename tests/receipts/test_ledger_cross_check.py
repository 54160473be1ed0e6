"""`verify_ledger` cross-checks payments and receipts against the entries they name (issue #10, point 9).

The attacker here can switch triggers off (a superuser: `tamper` uses `session_replication_role
= replica` on PostgreSQL, plain SQL on SQLite). Cutting the last entries and moving the chain
head back leaves a shorter chain that hashes and balances; only the documents still remember
the lost entries.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from donations.services import receipt_void
from fundmgr.ledger.models import JournalEntry, LedgerChainHead, LedgerVerification
from tests.ledger.helpers import tamper

from .conftest import record_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _roll_the_tampering_back(db):
    # The tampering leaves rows pointing at deleted ones. The test's transaction is rolled back
    # anyway; saying so up front spares it the end-of-test foreign-key check (SQLite runs one).
    yield
    transaction.set_rollback(True)


@pytest.fixture
def three_paid(province, fund, donor, treasurer):
    return [
        record_payment(donor=donor, fund=fund, unit=province, amount=amount, recorded_by=treasurer)
        for amount in (1_000_000, 2_000_000, 3_000_000)
    ]


def cut_tail_and_move_head_back(keep: JournalEntry) -> None:
    """Remove every entry after `keep` and make the head name `keep`, as an insider with a superuser would."""
    removed = JournalEntry.objects.filter(pk__gt=keep.pk).count()
    tamper("DELETE FROM ledger_journalline WHERE entry_id > %s", [keep.pk])
    tamper("DELETE FROM ledger_journalentry WHERE id > %s", [keep.pk])
    tamper(
        "UPDATE ledger_ledgerchainhead SET last_entry_id = %s, last_hash = %s, entry_count = entry_count - %s",
        [keep.pk, keep.hash, removed],
    )


def test_documents_that_match_the_journal_verify(three_paid, treasurer):
    receipt_void(receipt=three_paid[1][1], reason="Ghi trùng", voided_by=treasurer)
    call_command("verify_ledger")
    assert LedgerVerification.objects.get().ok is True


def test_a_cut_tail_with_the_head_moved_back_is_found_by_the_documents(three_paid):
    (_, _), (second, _), (third, third_receipt) = three_paid
    kept = second.journal_entry
    cut_tail_and_move_head_back(kept)
    assert LedgerChainHead.objects.get().last_entry_id == kept.pk  # the chain alone now looks whole

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    lost = third.journal_entry_id
    assert str(failure.value) == (
        f"Sổ cái bị hỏng tại bút toán #{lost}: "
        f"khoản thu #{third.pk} ghi bút toán #{lost}, sau đầu chuỗi #{kept.pk}, nhưng sổ không có bút toán này: "
        "phần cuối sổ đã bị cắt và đầu chuỗi bị lùi lại; "
        f"phiếu thu {third_receipt.number} ghi bút toán #{lost}, sau đầu chuỗi #{kept.pk}, nhưng sổ không có "
        "bút toán này: phần cuối sổ đã bị cắt và đầu chuỗi bị lùi lại (đã kiểm 2 bút toán)."
    )
    record = LedgerVerification.objects.get()
    assert (record.ok, record.first_broken_entry_id, record.entries_checked) == (False, lost, 2)


def test_a_cut_reversal_is_found_by_the_voided_payment_and_receipt(three_paid, treasurer):
    first, first_receipt = three_paid[0]
    receipt_void(receipt=first_receipt, reason="Ghi trùng", voided_by=treasurer)
    first.refresh_from_db()
    reversal = first.void_entry
    cut_tail_and_move_head_back(JournalEntry.objects.get(pk=reversal.pk - 1))

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    message = str(failure.value)
    assert message.startswith(f"Sổ cái bị hỏng tại bút toán #{reversal.pk}: ")
    assert f"khoản thu #{first.pk} (đã hủy) ghi bút toán #{reversal.pk}, sau đầu chuỗi" in message
    assert f"phiếu thu {first_receipt.number} (đã hủy) ghi bút toán #{reversal.pk}, sau đầu chuỗi" in message


def test_a_payment_whose_amount_was_edited_no_longer_matches_its_entry(three_paid):
    payment, receipt = three_paid[0]
    tamper("UPDATE donations_payment SET amount = 100000000 WHERE id = %s", [payment.pk])

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert str(failure.value) == (
        f"Sổ cái bị hỏng tại bút toán #{payment.journal_entry_id}: khoản thu #{payment.pk} ghi 100000000 vào quỹ "
        f"#{payment.fund_id}, nhưng bút toán #{payment.journal_entry_id} ghi Nợ 1000000 cho quỹ đó "
        "(đã kiểm 3 bút toán)."
    )


def test_a_receipt_whose_payment_row_is_gone_is_reported(three_paid):
    payment, receipt = three_paid[2]
    tamper("DELETE FROM donations_payment WHERE id = %s", [payment.pk])

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert f"phiếu thu {receipt.number} (khoản thu #{payment.pk} không còn) không ghi bút toán nào" in str(failure.value)


@pytest.mark.postgres
def test_the_money_in_path_works_as_the_application_role(province, fund, donor, treasurer):
    """Recording, receipting, rendering, e-mailing and voiding need no privilege the role lacks."""
    from django.core import mail

    from receipts.services import receipt_email, receipt_render
    from tests.ledger.helpers import acting_as, app_role_create

    role = app_role_create()
    with acting_as(role):
        payment, receipt = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
        assert receipt_render(receipt_id=receipt.pk) is True
        assert receipt_email(receipt_id=receipt.pk) is True
        receipt_void(receipt=receipt, reason="Ghi trùng", voided_by=treasurer)
        call_command("verify_ledger")
    receipt.refresh_from_db()
    assert (receipt.state, bool(receipt.pdf), len(mail.outbox)) == ("voided", True, 1)
    assert LedgerVerification.objects.get().ok is True

"""Voiding a receipt: a reason, a treasurer of the issuing unit, the reversal posted, the number kept.

A worked example: Nhung pays 1.500.000 ₫ by bank transfer; the treasurer sees it was recorded
twice (it was one transfer), voids the second receipt, and the fund's balance is 1.500.000 ₫
again. The voided number stays in the register; the next payment takes the next number.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from donations.receipts.models import Receipt, ReceiptCounter
from donations.receipts.services import receipt_void
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry
from fundmgr.ledger.selectors import account_balances, fund_balances

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def test_worked_example_a_duplicate_payment_is_voided(province, fund, donor, treasurer, today):
    first, receipt_one = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
    second, receipt_two = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
    assert fund_balances() == {fund.pk: 3_000_000}

    voided = receipt_void(receipt=receipt_two, reason="  Ghi trùng   giao dịch  ", voided_by=treasurer)

    assert (voided.state, voided.void_reason, voided.voided_by) == ("voided", "Ghi trùng giao dịch", treasurer)
    assert voided.voided_at is not None
    reversal = voided.void_entry
    assert reversal.reverses == second.journal_entry
    assert reversal.reversal_reason == f"Hủy phiếu thu {receipt_two.number}: Ghi trùng giao dịch"
    assert reversal.date == today and reversal.created_by == treasurer
    assert fund_balances() == {fund.pk: 1_500_000}
    assert account_balances()[accounts.BANK] == 1_500_000
    # The number stays in the register, with what it certified.
    assert list(Receipt.objects.order_by("sequence").values_list("number", "state", "amount")) == [
        (receipt_one.number, "issued", 1_500_000), (receipt_two.number, "voided", 1_500_000),
    ]
    # A corrected payment is a new payment with a new number.
    _third, receipt_three = record_payment(donor=donor, fund=fund, unit=province, amount=2_000_000)
    assert receipt_three.sequence == 3
    assert ReceiptCounter.objects.get().last_number == 3


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required_and_nothing_is_written_without_one(province, fund, donor, treasurer, reason):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        receipt_void(receipt=receipt, reason=reason, voided_by=treasurer)
    assert error.value.message_dict == {"reason": ["Hãy ghi lý do hủy phiếu thu."]}
    assert Receipt.objects.get(pk=receipt.pk).state == "issued"
    assert JournalEntry.objects.count() == entries


def test_only_a_treasurer_of_the_issuing_unit_or_above_may_void(
    province, commune, fund, donor, treasurer, commune_treasurer, auditor, django_user_model
):
    _payment, province_receipt = record_payment(donor=donor, fund=fund, unit=province)
    _payment, commune_receipt = record_payment(donor=donor, fund=fund, unit=commune)
    stranger = django_user_model.objects.create_user(username="khach", password="x" * 12)
    entries = JournalEntry.objects.count()
    for user, receipt in (
        (commune_treasurer, province_receipt),  # a unit below is not the issuing unit
        (auditor, province_receipt),  # auditors look, they do not change
        (stranger, province_receipt),
        (None, province_receipt),
    ):
        with pytest.raises(PermissionDenied, match="Chỉ thủ quỹ / kế toán của đơn vị thu mới được làm việc này."):
            receipt_void(receipt=receipt, reason="Sai", voided_by=user)
    assert set(Receipt.objects.values_list("state", flat=True)) == {"issued"}
    assert JournalEntry.objects.count() == entries

    receipt_void(receipt=commune_receipt, reason="Sai đơn vị", voided_by=commune_treasurer)
    receipt_void(receipt=province_receipt, reason="Sai quỹ", voided_by=treasurer)
    assert set(Receipt.objects.values_list("state", flat=True)) == {"voided"}


def test_a_receipt_is_voided_once(province, fund, donor, treasurer):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    receipt_void(receipt=receipt, reason="Ghi nhầm", voided_by=treasurer)
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        receipt_void(receipt=receipt, reason="Lần nữa", voided_by=treasurer)
    assert error.value.messages == [f"Phiếu thu {receipt.number} đã bị hủy trước đó."]
    assert JournalEntry.objects.count() == entries
    assert Receipt.objects.get(pk=receipt.pk).void_reason == "Ghi nhầm"

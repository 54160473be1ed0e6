"""Issuing a receipt: its number, the frozen copy of what it certifies, its two jobs."""

import pytest
from django.db import IntegrityError, connection, transaction

from donations.models import Payment
from receipts.models import Receipt, ReceiptCounter, ReceiptDelivery, ReceiptFrozenError
from receipts.services import VERIFICATION_ALPHABET, receipt_issue
from tests.conftest import jobs_queued

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def test_a_bank_transfer_gets_number_one_of_its_unit_and_year_with_a_frozen_copy(
    province, fund, donor, treasurer, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        payment, receipt = record_payment(
            donor=donor, fund=fund, unit=province, amount=1_500_000, recorded_by=treasurer,
            bank_reference="FT26329001",
        )

    assert (receipt.unit, receipt.year, receipt.sequence) == (province, today.year, 1)
    assert receipt.number == f"PT-{today.year}-000001"
    assert receipt.payment == payment and payment.receipt == receipt
    assert receipt.receipt_date == today
    assert receipt.issued_by == treasurer
    assert (receipt.unit_name, receipt.unit_address) == (
        "Hội Khuyến học tỉnh Thanh Hóa", "Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa"
    )
    assert (receipt.payer_name, receipt.payer_address) == (
        "Nguyễn Thị Hồng Nhung", "Thôn Đông Sơn, xã Quảng Xương, tỉnh Thanh Hóa"
    )
    assert receipt.amount == 1_500_000
    assert receipt.reason == "Ủng hộ Quỹ Khuyến học tỉnh Thanh Hóa"
    assert receipt.fund_name == "Quỹ Khuyến học tỉnh Thanh Hóa"
    assert receipt.payment_method == Payment.Method.BANK_TRANSFER
    # Read from the payment's journal entry: Dr 112 bank / Cr 511 donation income.
    assert (receipt.debit_account, receipt.credit_account) == ("112", "511")
    assert receipt.attached_documents == "Giấy báo Có số FT26329001"
    assert receipt.state == Receipt.State.ISSUED
    assert len(receipt.verification_code) == 12 and set(receipt.verification_code) <= set(VERIFICATION_ALPHABET)
    assert list(receipt.deliveries.order_by("channel").values_list("channel", "status", "attempts")) == [
        ("email", "pending", 0), ("pdf", "pending", 0),
    ]
    assert ReceiptCounter.objects.get(unit=province, year=today.year).last_number == 1
    # After commit, and only then, the render task is enqueued.
    assert len(jobs_queued(callbacks)) == 1


def test_the_render_task_is_queued_after_commit(province, fund, donor, django_capture_on_commit_callbacks, queued):
    with django_capture_on_commit_callbacks(execute=True):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
        assert queued == []  # not before the commit: the worker would not find the receipt
    assert queued == [("receipt_render_task", (receipt.pk,))]


def test_cash_and_in_kind_print_their_accounts_and_the_in_kind_reason(province, fund, donor):
    _payment, cash = record_payment(donor=donor, fund=fund, unit=province, method=Payment.Method.CASH)
    _payment, goods = record_payment(
        donor=donor, fund=fund, unit=province, method=Payment.Method.IN_KIND, amount=2_000_000,
        in_kind_description="50 bộ sách giáo khoa lớp 6",
    )
    assert (cash.debit_account, cash.credit_account, cash.attached_documents) == ("111", "511", "")
    assert (goods.debit_account, goods.credit_account) == ("156", "512")
    assert goods.reason == "Ủng hộ Quỹ Khuyến học tỉnh Thanh Hóa; hiện vật: 50 bộ sách giáo khoa lớp 6"
    assert (cash.sequence, goods.sequence) == (1, 2)


def test_numbers_run_per_unit_and_per_year(province, commune, fund, donor, today, last_year_day):
    numbers = []
    for unit, day in ((province, today), (commune, today), (province, today), (province, last_year_day),
                      (commune, today), (province, last_year_day)):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=unit, received_on=day)
        numbers.append((receipt.unit.code, receipt.number))
    this, last = today.year, today.year - 1
    assert numbers == [
        ("TH", f"PT-{this}-000001"), ("TH-HT", f"PT-{this}-000001"), ("TH", f"PT-{this}-000002"),
        ("TH", f"PT-{last}-000001"), ("TH-HT", f"PT-{this}-000002"), ("TH", f"PT-{last}-000002"),
    ]


def test_issuing_twice_for_one_payment_returns_the_first_receipt(province, fund, donor):
    payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    again = receipt_issue(payment=payment)
    assert again == receipt
    assert Receipt.objects.count() == 1
    assert ReceiptDelivery.objects.count() == 2
    assert ReceiptCounter.objects.get().last_number == 1


def test_a_rolled_back_payment_gives_its_number_back(province, fund, donor):
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with transaction.atomic():
            _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
            assert receipt.sequence == 1
            raise Abort
    assert Receipt.objects.count() == 0 and Payment.objects.count() == 0
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    assert receipt.sequence == 1


# --- what a receipt certifies never changes ------------------------------------------------------
FROZEN_CHANGES = [
    ("payer_name", "Người khác"), ("payer_address", "Hà Nội"), ("amount", 1), ("reason", "Khác"),
    ("fund_name", "Quỹ khác"), ("payment_method", "cash"), ("number", "PT-1999-000001"), ("sequence", 99),
    ("verification_code", "AAAAAAAAAAAA"), ("debit_account", "111"),
]


@pytest.mark.parametrize("field, value", FROZEN_CHANGES)
def test_save_refuses_to_change_what_the_receipt_certifies(province, fund, donor, field, value):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    before = Receipt.objects.filter(pk=receipt.pk).values(field).get()
    receipt = Receipt.objects.get(pk=receipt.pk)
    setattr(receipt, field, value)
    with pytest.raises(ReceiptFrozenError):
        receipt.save()
    with pytest.raises(ReceiptFrozenError):
        receipt.save(update_fields=[field])
    with pytest.raises(ReceiptFrozenError):
        Receipt.objects.filter(pk=receipt.pk).update(**{field: value})
    assert Receipt.objects.filter(pk=receipt.pk).values(field).get() == before


def test_the_mutable_fields_save_and_a_forged_instance_does_not(province, fund, donor):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    receipt = Receipt.objects.get(pk=receipt.pk)
    receipt.pdf = "receipts/x.pdf"
    receipt.save()  # the PDF is not what the receipt certifies
    assert Receipt.objects.get(pk=receipt.pk).pdf.name == "receipts/x.pdf"
    forged = Receipt(pk=receipt.pk, unit=province, payer_name="Người khác")
    forged._state.adding = False
    with pytest.raises(ReceiptFrozenError):
        forged.save()


def test_receipts_and_their_jobs_are_never_deleted(province, fund, donor):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    with pytest.raises(ReceiptFrozenError):
        receipt.delete()
    with pytest.raises(ReceiptFrozenError):
        Receipt.objects.all().delete()
    with pytest.raises(ReceiptFrozenError):
        receipt.deliveries.first().delete()
    assert Receipt.objects.count() == 1 and ReceiptDelivery.objects.count() == 2


def test_one_delivery_row_per_channel(province, fund, donor):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceiptDelivery.objects.create(receipt=receipt, channel=ReceiptDelivery.Channel.EMAIL)


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [
    "UPDATE receipts_receipt SET amount = 1 WHERE id = %s",
    "UPDATE receipts_receipt SET payer_name = 'X' WHERE id = %s",
    "DELETE FROM receipts_receipt WHERE id = %s",
])
def test_postgresql_refuses_raw_sql_that_rewrites_a_receipt(province, fund, donor, sql):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    with pytest.raises(Exception, match="receipt PT-") as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [receipt.pk])
    assert "restrict" in type(error.value).__name__.lower() or "receipt" in str(error.value)
    assert Receipt.objects.get(pk=receipt.pk).amount == 1_500_000


@pytest.mark.postgres
def test_postgresql_refuses_raw_sql_that_un_voids_a_receipt(province, fund, donor, treasurer):
    from donations.services import receipt_void

    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    receipt_void(receipt=receipt, reason="Ghi nhầm", voided_by=treasurer)
    with pytest.raises(Exception, match="stays voided"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE receipts_receipt SET state = 'issued', voided_at = NULL, void_reason = '' WHERE id = %s",
            [receipt.pk],
        )
    assert Receipt.objects.get(pk=receipt.pk).state == "voided"


def test_the_verification_code_uses_every_character_in_every_position():
    """Drawn as one number of base 31: every position takes every character of the alphabet (a
    mistake in the digits would leave a position fixed or a character out)."""
    from receipts.services import VERIFICATION_LENGTH, _verification_code

    codes = [_verification_code() for _ in range(3000)]
    assert all(len(code) == VERIFICATION_LENGTH for code in codes)
    for position in range(VERIFICATION_LENGTH):
        assert {code[position] for code in codes} == set(VERIFICATION_ALPHABET)

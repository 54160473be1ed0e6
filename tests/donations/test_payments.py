"""payment_record, pledge_cancel, pledge_write_off: worked examples with the ledger."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from donations import selectors
from donations.models import Payment, Pledge
from donations.services import payment_record, pledge_cancel, pledge_create, pledge_write_off
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger.models import JournalEntry, JournalLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(campaign):
    pledge, _ = pledge_create(
        campaign=campaign, donor_name="Công ty TNHH An Phát", donor_kind="business", email="ketoan@anphat.vn",
        phone="", tax_code="0100109106", address="", amount=10_000_000, fund=None, installments=2,
        anonymous=False, list_on_honor_roll=True, message="", channel=Pledge.Channel.ADMIN,
    )
    return pledge


def lines_of(payment):
    return sorted(
        JournalLine.objects.filter(entry=payment.journal_entry).values_list("account__code", "fund__code", "debit", "credit")
    )


_bank_references = itertools.count(1)


def pay(pledge, amount, method=Payment.Method.BANK_TRANSFER, **kwargs):
    if method == Payment.Method.BANK_TRANSFER:
        kwargs.setdefault("bank_reference", f"FT-TEST-{next(_bank_references)}")
    return payment_record(
        donor=pledge.donor, amount=amount, method=method, received_on=kwargs.pop("received_on", timezone.localdate()),
        unit=pledge.campaign.unit, pledge=pledge, **kwargs,
    )


def test_bank_transfer_for_a_pledge_posts_112_against_511_and_updates_the_status(pledge, treasurer):
    payment = pay(pledge, 4_000_000, bank_reference="FT26015123456", recorded_by=treasurer)

    assert lines_of(payment) == [("112", "QKH-TH", 4_000_000, 0), ("511", "QKH-TH", 0, 4_000_000)]
    entry = payment.journal_entry
    assert (entry.source_id, entry.created_by, entry.unit) == (str(payment.pk), treasurer, pledge.campaign.unit)
    assert entry.memo == f"Thu ủng hộ {pledge.reference} (chuyển khoản) – Công ty TNHH An Phát"
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PARTIALLY_PAID

    pay(pledge, 6_000_000)
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED


def test_cash_posts_111_and_in_kind_posts_156_against_512(pledge):
    cash = pay(pledge, 1_000_000, method=Payment.Method.CASH)
    goods = pay(pledge, 2_500_000, method=Payment.Method.IN_KIND, in_kind_description="50 bộ sách giáo khoa lớp 6")
    assert lines_of(cash) == [("111", "QKH-TH", 1_000_000, 0), ("511", "QKH-TH", 0, 1_000_000)]
    assert lines_of(goods) == [("156", "QKH-TH", 2_500_000, 0), ("512", "QKH-TH", 0, 2_500_000)]
    assert goods.in_kind_description == "50 bộ sách giáo khoa lớp 6"


def test_payment_without_pledge_goes_to_the_given_fund(pledge, second_fund):
    payment = payment_record(
        donor=pledge.donor, amount=300_000, method=Payment.Method.CASH, received_on=timezone.localdate(),
        unit=pledge.campaign.unit, fund=second_fund,
    )
    assert payment.pledge is None
    assert lines_of(payment) == [("111", "NCUM", 300_000, 0), ("511", "NCUM", 0, 300_000)]


def test_over_payment_needs_a_confirmed_reason(pledge):
    pay(pledge, 9_000_000)
    # Main took a payment over what was left silently.
    assert_refused(
        lambda: pay(pledge, 3_000_000),
        {"overpayment_reason": ["Khoản thu 3.000.000\xa0₫ vượt số cam kết còn phải nộp (1.000.000\xa0₫). "
                                "Nếu đúng là nộp thừa, hãy xác nhận và ghi lý do."]},
    )
    pay(pledge, 1_000_000)
    assert_refused(
        lambda: pay(pledge, 500_000, method=Payment.Method.CASH),
        {"overpayment_reason": ["Khoản thu 500.000\xa0₫ vượt số cam kết còn phải nộp (0\xa0₫). "
                                "Nếu đúng là nộp thừa, hãy xác nhận và ghi lý do."]},
    )
    payment = pay(pledge, 500_000, method=Payment.Method.CASH, overpayment_reason="Doanh nghiệp ủng hộ thêm")
    assert payment.overpayment_reason == "Doanh nghiệp ủng hộ thêm"


def test_a_bank_transfer_needs_its_bank_reference(pledge):
    # Main recorded a transfer with no bank reference: nothing tied it to the statement, nothing stopped a second copy.
    assert_refused(
        lambda: pay(pledge, 1_000_000, bank_reference=""),
        {"bank_reference": ["Chuyển khoản cần mã giao dịch ngân hàng."]},
    )


def test_over_payment_is_kept_and_shown(pledge):
    pay(pledge, 10_000_000)
    pay(pledge, 2_000_000, overpayment_reason="Nhà hảo tâm ủng hộ thêm")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED
    row = selectors.pledges_overpaid().get()
    assert (row.pk, row.paid_amount, row.outstanding_amount, row.overpaid_amount) == (pledge.pk, 12_000_000, 0, 2_000_000)
    assert Payment.objects.aggregate(total=Sum("amount"))["total"] == 12_000_000


def assert_refused(call, expected: dict):
    payments, entries = Payment.objects.count(), JournalEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        call()
    assert {field: [str(m) for m in messages] for field, messages in caught.value.message_dict.items()} == expected
    assert (Payment.objects.count(), JournalEntry.objects.count()) == (payments, entries)


@pytest.mark.parametrize(
    ("closer", "message"),
    [(pledge_cancel, "cancelled"), (pledge_write_off, "written_off")],
)
def test_refuses_payments_on_closed_pledges(pledge, treasurer, closer, message):
    closer(pledge=pledge, reason="Nhà tài trợ rút lại cam kết", by=treasurer)
    pledge.refresh_from_db()
    assert pledge.status == message
    assert_refused(
        lambda: pay(pledge, 1_000),
        {"pledge": [f"Cam kết {pledge.reference} đã hủy hoặc đã xóa nợ: không ghi nhận khoản thu vào cam kết này."]},
    )


def test_refuses_bad_payments_and_writes_nothing(pledge, second_fund, other_unit):
    future = timezone.localdate() + datetime.timedelta(days=1)
    assert_refused(lambda: pay(pledge, 0), {"amount": ["Số tiền phải lớn hơn 0 đồng."]})
    assert_refused(lambda: pay(pledge, 1.5), {"amount": ["Số tiền phải là một số nguyên đồng."]})
    assert_refused(lambda: pay(pledge, 10**12 + 1), {"amount": ["Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."]})
    assert_refused(lambda: pay(pledge, 5, method="cheque"), {"method": ["Hình thức nộp tiền không hợp lệ."]})
    assert_refused(lambda: pay(pledge, 5, method=Payment.Method.IN_KIND), {"in_kind_description": ["Hãy mô tả hiện vật nhận được."]})
    assert_refused(lambda: pay(pledge, 5, received_on=future), {"received_on": ["Ngày nhận không được sau ngày hôm nay."]})
    assert_refused(lambda: pay(pledge, 5, fund=second_fund), {"fund": ["Khoản thu theo cam kết vào quỹ của cam kết đó."]})
    assert_refused(
        lambda: payment_record(donor=pledge.donor, amount=5, method="cash", received_on=timezone.localdate(), unit=other_unit),
        {"fund": ["Hãy chọn quỹ nhận tiền."]},
    )
    pay(pledge, 5, bank_reference="FT1")
    assert_refused(lambda: pay(pledge, 5, bank_reference="FT1"), {"bank_reference": ["Giao dịch ngân hàng FT1 đã được ghi nhận."]})


def test_refuses_a_pledge_of_another_donor(pledge, campaign):
    other, _ = pledge_create(
        campaign=campaign, donor_name="Trần Thị Mai", donor_kind="individual", phone="0987654321", amount=1_000_000,
        channel=Pledge.Channel.ADMIN,
    )
    assert_refused(
        lambda: payment_record(donor=other.donor, amount=5, method="cash", received_on=timezone.localdate(),
                               unit=campaign.unit, pledge=pledge),
        {"pledge": [f"Cam kết {pledge.reference} không phải của nhà hảo tâm này."]},
    )


def test_cancel_needs_a_reason_and_no_payments(pledge, treasurer):
    with pytest.raises(ValidationError) as caught:
        pledge_cancel(pledge=pledge, reason="   ", by=treasurer)
    assert caught.value.message_dict == {"reason": ["Hãy ghi lý do."]}
    pay(pledge, 1_000_000)
    with pytest.raises(ValidationError) as caught:
        pledge_cancel(pledge=pledge, reason="Nhầm", by=treasurer)
    assert caught.value.messages == ["Cam kết đã có khoản thu: không thể hủy, hãy xóa nợ phần còn lại."]
    pledge.refresh_from_db()
    assert (pledge.status, pledge.closed_reason, pledge.closed_by) == (Pledge.Status.PARTIALLY_PAID, "", None)


def test_write_off_keeps_the_payments_and_records_who_and_why(pledge, treasurer):
    pay(pledge, 1_000_000)
    pledge = pledge_write_off(pledge=pledge, reason="Doanh nghiệp giải thể", by=treasurer)
    assert (pledge.status, pledge.closed_reason, pledge.closed_by) == (Pledge.Status.WRITTEN_OFF, "Doanh nghiệp giải thể", treasurer)
    assert pledge.closed_at is not None
    row = selectors.pledge_outstanding().get(pk=pledge.pk)
    assert (row.paid_amount, row.outstanding_amount) == (1_000_000, 0)
    with pytest.raises(ValidationError) as caught:
        pledge_write_off(pledge=pledge, reason="lần nữa", by=treasurer)
    assert caught.value.messages == ["Cam kết đã được hủy hoặc xóa nợ trước đó."]


def test_fulfilled_pledge_cannot_be_cancelled_or_written_off(pledge, treasurer):
    pay(pledge, 10_000_000)
    for closer in (pledge_cancel, pledge_write_off):
        with pytest.raises(ValidationError) as caught:
            closer(pledge=pledge, reason="x", by=treasurer)
        assert caught.value.messages == ["Cam kết đã nộp đủ: không thể hủy hoặc xóa nợ."]


def test_overdue_is_derived_from_due_dates_and_payments(pledge):
    # Two installments of 5.000.000, due one and two months from today.
    first_due, second_due = pledge.installments.values_list("due_on", flat=True)
    assert not selectors.pledges_overdue(today=first_due).exists()  # due that day: not late yet
    day_after = first_due + datetime.timedelta(days=1)
    assert list(selectors.pledges_overdue(today=day_after)) == [pledge]
    pay(pledge, 4_999_999)
    assert list(selectors.pledges_overdue(today=day_after)) == [pledge]
    pay(pledge, 1)
    assert not selectors.pledges_overdue(today=day_after).exists()
    assert list(selectors.pledges_overdue(today=second_due + datetime.timedelta(days=1))) == [pledge]
    assert list(selectors.pledges_not_overdue(today=day_after)) == [pledge]


def test_paid_amounts_are_zero_without_payments(pledge):
    row = selectors.pledge_outstanding().get()
    assert (row.paid_amount, row.outstanding_amount, row.overpaid_amount) == (0, 10_000_000, 0)


def _service_rows_last(count: int) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE).order_by("-pk")
    return list(rows.values_list("model_label", "action")[:count])


def test_a_payment_with_its_receipt_costs_a_fixed_number_of_queries(pledge, treasurer, django_assert_num_queries):
    pay(pledge, 1_000_000, recorded_by=treasurer)  # the counter of the unit and year exists from here on
    # 19 queries when the pledge's status stays as it is (partially paid):
    #   payment_record: SAVEPOINT, the pledge FOR UPDATE (with its fund, campaign and their units),
    #     SUM of the payments not voided (overpayment and status) with whether the pledge has a
    #     removal request (the honor roll's total), the bank reference recorded before?, INSERT payment;
    #   entry_post (no savepoint of its own: payment_record's block rolls back as a whole): accounts,
    #     chain head FOR UPDATE, INSERT entry, INSERT lines, UPDATE chain head;
    #   UPDATE payment's entry;
    #   receipt_issue (no savepoint either; the entry's accounts from the posted lines, no look-up of
    #     an earlier receipt of this new payment): UPDATE the counter ... RETURNING the number,
    #     INSERT receipt, INSERT its two deliveries;
    #   the audit rows of the entry, the payment and the receipt, in one INSERT (`audit_rows_together`);
    #   RELEASE of payment_record's savepoint.
    # Plus 3 for the campaign page's running totals (before the entry: the chain head and the
    # receipt counter are the last locks): the donor's rows FOR UPDATE, UPDATE the donor's row by
    # the payment (it is listed: no removal request, read with the sum), the counter row's upsert.
    with django_assert_num_queries(19):
        pay(pledge, 2_000_000, recorded_by=treasurer)
    assert _service_rows_last(3) == [
        ("receipts.receipt", "create"), ("donations.payment", "create"), ("ledger.journalentry", "create"),
    ]
    # 20 when it changes: UPDATE pledge status (its audit row goes in the same INSERT).
    with django_assert_num_queries(20):
        pay(pledge, 7_000_000, recorded_by=treasurer)
    assert _service_rows_last(4) == [
        ("receipts.receipt", "create"), ("donations.payment", "create"), ("ledger.journalentry", "create"),
        ("donations.pledge", "transition"),
    ]
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED

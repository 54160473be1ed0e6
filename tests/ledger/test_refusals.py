"""What posting refuses, with the exact message a treasurer reads, and proof that nothing was written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fundmgr.ledger import accounts
from fundmgr.ledger.services import (
    InsufficientFunds,
    Line,
    endowment_principal_record,
    entry_post,
    entry_reverse,
    fund_transfer,
    spend_guard,
)

from .helpers import ledger_rows

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 2, 3)


@pytest.fixture
def general(make_fund):
    return make_fund("QKH-TH", "Quỹ Khuyến học tỉnh Thanh Hóa")


@pytest.fixture
def dreams(make_fund):
    return make_fund("QHB-NCUM", "Quỹ học bổng Nâng cánh ước mơ")


def refused(province, lines, memo="Bút toán thử") -> list[str]:
    """Post `lines`, expect a refusal, check nothing was written, and return the messages."""
    before = ledger_rows()
    with pytest.raises(ValidationError) as refusal:
        entry_post(unit=province, date=DAY, memo=memo, lines=lines)
    assert ledger_rows() == before
    return refusal.value.messages


def test_one_line_is_not_an_entry(province, general):
    assert refused(province, [Line(accounts.BANK, general, debit=1_000_000)]) == [
        "Một bút toán cần ít nhất hai dòng; nhận được 1."
    ]


def test_debits_must_equal_credits(province, general):
    lines = [Line(accounts.BANK, general, debit=1_000_000), Line(accounts.DONATION_INCOME, general, credit=900_000)]
    assert refused(province, lines) == ["Bút toán không cân: tổng Nợ 1.000.000\u00a0₫ khác tổng Có 900.000\u00a0₫."]


def test_every_fund_balances_by_itself(province, general, dreams):
    # Balanced overall, but the money came into one fund and the income was booked in another.
    lines = [Line(accounts.BANK, general, debit=1_000_000), Line(accounts.DONATION_INCOME, dreams, credit=1_000_000)]
    assert refused(province, lines) == [
        "Bút toán không cân trong quỹ “Quỹ Khuyến học tỉnh Thanh Hóa”: Nợ 1.000.000\u00a0₫, Có 0\u00a0₫. "
        "Mỗi quỹ phải tự cân."
    ]


@pytest.mark.parametrize(
    ("debit", "message"),
    [
        (0, "Dòng 1: số tiền phải lớn hơn 0."),
        (-1_000_000, "Dòng 1: số tiền không được âm."),
        (1_000_000.0, "Dòng 1: số tiền phải là số nguyên đồng (int), không phải float."),
        (Decimal("1000000"), "Dòng 1: số tiền phải là số nguyên đồng (int), không phải Decimal."),
        (True, "Dòng 1: số tiền phải là số nguyên đồng (int), không phải bool."),
        ("1000000", "Dòng 1: số tiền phải là số nguyên đồng (int), không phải str."),
    ],
)
def test_amounts_are_positive_whole_dong(province, general, debit, message):
    lines = [Line(accounts.BANK, general, debit=debit), Line(accounts.DONATION_INCOME, general, credit=1_000_000)]
    assert refused(province, lines) == [message]


def test_a_line_has_one_side(province, general):
    lines = [
        Line(accounts.BANK, general, debit=1_000_000, credit=1_000_000),
        Line(accounts.DONATION_INCOME, general, credit=1_000_000),
    ]
    assert refused(province, lines) == ["Dòng 1: chỉ được ghi một bên, Nợ hoặc Có."]


def test_unknown_account(province, general):
    lines = [Line("999", general, debit=1_000_000), Line(accounts.DONATION_INCOME, general, credit=1_000_000)]
    assert refused(province, lines) == ["Tài khoản “999” không có trong hệ thống tài khoản."]


def test_memo_is_required(province, general):
    lines = [Line(accounts.BANK, general, debit=1), Line(accounts.DONATION_INCOME, general, credit=1)]
    assert refused(province, lines, memo="  ") == ["Diễn giải của bút toán không được để trống."]


def test_spending_more_than_available(province, general):
    entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, general, debit=3_000_000), Line(accounts.DONATION_INCOME, general, credit=3_000_000)],
    )
    spend = [
        Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=3_000_001),
        Line(accounts.BANK, general, credit=3_000_001),
    ]
    before = ledger_rows()
    with pytest.raises(InsufficientFunds) as refusal:
        entry_post(unit=province, date=DAY, memo="Chi học bổng", lines=spend)
    assert ledger_rows() == before
    assert refusal.value.messages == [
        "Quỹ “Quỹ Khuyến học tỉnh Thanh Hóa” không đủ tiền khả dụng để chi 3.000.001\u00a0₫: chỉ còn 3.000.000\u00a0₫."
    ]
    assert (refusal.value.fund, refusal.value.available, refusal.value.requested) == (general, 3_000_000, 3_000_001)
    assert refusal.value.code == "insufficient_funds"


def test_transfer_and_principal_refusals(province, general, dreams):
    with pytest.raises(InsufficientFunds):
        fund_transfer(from_fund=general, to_fund=dreams, amount=1, date=DAY, memo="Điều chuyển", unit=province)
    with pytest.raises(ValidationError) as same:
        fund_transfer(from_fund=general, to_fund=general, amount=1, date=DAY, memo="Điều chuyển", unit=province)
    assert same.value.messages == ["Không thể chuyển tiền từ một quỹ sang chính nó."]
    with pytest.raises(ValidationError) as not_endowment:
        endowment_principal_record(fund=general, amount=1, date=DAY, memo="Vốn gốc", unit=province)
    assert not_endowment.value.messages == ["Quỹ “Quỹ Khuyến học tỉnh Thanh Hóa” không phải quỹ bảo toàn vốn gốc."]
    assert ledger_rows()[:2] == (0, 0)


def test_reversal_needs_a_reason(province, general):
    entry = entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, general, debit=1_000), Line(accounts.DONATION_INCOME, general, credit=1_000)],
    )
    with pytest.raises(ValidationError) as refusal:
        entry_reverse(entry=entry, reason=" ")
    assert refusal.value.messages == ["Cần ghi lý do đảo bút toán."]


def test_reversing_a_spent_donation_is_a_spend(province, general):
    donation = entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, general, debit=1_000_000), Line(accounts.DONATION_INCOME, general, credit=1_000_000)],
    )
    entry_post(
        unit=province, date=DAY, memo="Chi học bổng",
        lines=[Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=600_000), Line(accounts.BANK, general, credit=600_000)],
    )
    with pytest.raises(InsufficientFunds):
        entry_reverse(entry=donation, reason="Chuyển nhầm")


@pytest.mark.django_db(transaction=True)
def test_spend_guard_outside_a_transaction_is_a_programming_error(general):
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError):
        spend_guard(fund_amounts={general: 1})


def test_messages_in_english(province, general):
    with translation.override("en"):
        assert refused(province, [Line(accounts.BANK, general, debit=1)]) == [
            "An entry needs at least two lines; got 1."
        ]
        lines = [Line(accounts.BANK, general, debit=1), Line(accounts.DONATION_INCOME, general, credit=2)]
        assert refused(province, lines) == ["The entry does not balance: debits 1\u00a0₫ differ from credits 2\u00a0₫."]

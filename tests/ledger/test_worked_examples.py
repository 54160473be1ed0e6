"""The ledger as an accountant reads it: one year of a province association, step by step.

After every step the book shows each fund as (balance, available): balance is what the fund
holds (cash, bank, goods), available is what it may still pay (an endowment's principal is
protected). Amounts are whole dong.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Circumstance, Fund, JournalEntry
from fundmgr.ledger.selectors import account_balances, fund_balances, fund_can_pay, unit_balances
from fundmgr.ledger.services import (
    InsufficientFunds,
    Line,
    endowment_principal_record,
    entry_post,
    entry_reverse,
    fund_transfer,
    interest_record,
)

from .helpers import book

pytestmark = pytest.mark.django_db

TET = datetime.date(2025, 1, 29)


@pytest.fixture
def funds(make_fund):
    general = make_fund("QKH-TH", "Quỹ Khuyến học tỉnh Thanh Hóa")
    dreams = make_fund(
        "QHB-NCUM", "Quỹ học bổng \"Nâng cánh ước mơ\"",
        restriction=Fund.Restriction.CIRCUMSTANCES,
        restricted_circumstances=[Circumstance.POOR_HOUSEHOLD, Circumstance.NEAR_POOR_HOUSEHOLD],
    )
    lam_son = make_fund("QKT-LAMSON", "Quỹ Khuyến học – Khuyến tài Lam Sơn", is_endowment=True)
    return general, dreams, lam_son


def test_a_year_in_the_book(province, commune, funds):
    general, dreams, lam_son = funds

    # 1. Tết: a business transfers 50.000.000 ₫ to the general fund.   Dr 112 / Cr 511
    entry_post(
        unit=province, date=TET, memo="Công ty CP Mía đường Lam Sơn ủng hộ Tết khuyến học",
        lines=[
            Line(accounts.BANK, general, debit=50_000_000),
            Line(accounts.DONATION_INCOME, general, credit=50_000_000),
        ],
    )
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (50_000_000, 50_000_000),
        "QHB-NCUM": (0, 0),
        "QKT-LAMSON": (0, 0),
    }

    # 2. A family gives 30.000.000 ₫ in cash, only for students of poor or near-poor households.
    entry_post(
        unit=commune, date=TET, memo="Gia đình ông Lê Văn A ủng hộ học bổng Nâng cánh ước mơ",
        lines=[Line(accounts.CASH, dreams, debit=30_000_000), Line(accounts.DONATION_INCOME, dreams, credit=30_000_000)],
    )
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (50_000_000, 50_000_000),
        "QHB-NCUM": (30_000_000, 30_000_000),
        "QKT-LAMSON": (0, 0),
    }
    # The restricted fund may pay a near-poor student, not a student without those circumstances.
    assert fund_can_pay(dreams, unit=commune, circumstances=[Circumstance.NEAR_POOR_HOUSEHOLD])
    assert not fund_can_pay(dreams, unit=commune, circumstances=[Circumstance.ORPHAN])
    assert fund_can_pay(general, unit=commune, circumstances=())

    # 3. The endowment receives 200.000.000 ₫ of principal (Dr 112 / Cr 411), then earns
    #    12.000.000 ₫ of interest (Dr 112 / Cr 515). Only the interest may be paid out.
    endowment_principal_record(
        fund=lam_son, amount=200_000_000, date=TET, unit=province, memo="Vốn gốc Quỹ Lam Sơn",
    )
    assert book(lam_son) == {"QKT-LAMSON": (200_000_000, 0)}
    interest_record(
        fund=lam_son, amount=12_000_000, date=datetime.date(2025, 6, 30), unit=province,
        memo="Lãi tiền gửi 6 tháng",
    )
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (50_000_000, 50_000_000),
        "QHB-NCUM": (30_000_000, 30_000_000),
        "QKT-LAMSON": (212_000_000, 12_000_000),
    }
    with pytest.raises(InsufficientFunds):  # the principal is not for spending
        entry_post(
            unit=province, date=datetime.date(2025, 7, 1), memo="Chi quá tiền lãi",
            lines=[
                Line(accounts.SCHOLARSHIP_EXPENSE, lam_son, debit=12_000_001),
                Line(accounts.BANK, lam_son, credit=12_000_001),
            ],
        )

    # 4. Scholarships of the school year, paid in one entry from two funds: 10.000.000 ₫ from
    #    the general fund and the 12.000.000 ₫ of interest of the endowment.  Dr 611 / Cr 112
    scholarships = entry_post(
        unit=province, date=datetime.date(2025, 9, 5), memo="Chi học bổng năm học 2025–2026",
        lines=[
            Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=10_000_000),
            Line(accounts.BANK, general, credit=10_000_000),
            Line(accounts.SCHOLARSHIP_EXPENSE, lam_son, debit=12_000_000),
            Line(accounts.BANK, lam_son, credit=12_000_000),
        ],
    )
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (40_000_000, 40_000_000),
        "QHB-NCUM": (30_000_000, 30_000_000),
        "QKT-LAMSON": (200_000_000, 0),
    }

    # 5. The board moves 5.000.000 ₫ from the general fund to the dreams fund.
    #    general: Dr 336 / Cr 112; dreams: Dr 112 / Cr 336.
    transfer = fund_transfer(
        from_fund=general, to_fund=dreams, amount=5_000_000, date=datetime.date(2025, 10, 1),
        memo="Điều chuyển bổ sung quỹ Nâng cánh ước mơ", unit=province,
    )
    assert [(line.account.code, line.fund.code, line.debit, line.credit) for line in transfer.lines.all()] == [
        ("336", "QKH-TH", 5_000_000, 0),
        ("112", "QKH-TH", 0, 5_000_000),
        ("112", "QHB-NCUM", 5_000_000, 0),
        ("336", "QHB-NCUM", 0, 5_000_000),
    ]
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (35_000_000, 35_000_000),
        "QHB-NCUM": (35_000_000, 35_000_000),
        "QKT-LAMSON": (200_000_000, 0),
    }

    # 6. The scholarship list had a mistake: the whole payment entry is reversed. The balances
    #    are back to where they were before step 4, and the reversal names the original.
    reversal = entry_reverse(entry=scholarships, reason="Danh sách học bổng sai, lập lại", date=datetime.date(2025, 10, 2))
    assert reversal.reverses == scholarships
    assert reversal.reversal_reason == "Danh sách học bổng sai, lập lại"
    assert reversal.memo == f"Đảo bút toán #{scholarships.pk}: Chi học bổng năm học 2025–2026"
    assert [(line.account.code, line.fund.code, line.debit, line.credit) for line in reversal.lines.all()] == [
        ("611", "QKH-TH", 0, 10_000_000),
        ("112", "QKH-TH", 10_000_000, 0),
        ("611", "QKT-LAMSON", 0, 12_000_000),
        ("112", "QKT-LAMSON", 12_000_000, 0),
    ]
    assert book(general, dreams, lam_son) == {
        "QKH-TH": (45_000_000, 45_000_000),
        "QHB-NCUM": (35_000_000, 35_000_000),
        "QKT-LAMSON": (212_000_000, 12_000_000),
    }

    # Reversing twice is refused, and so is reversing the reversal; nothing is written.
    entries_before = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as twice:
        entry_reverse(entry=scholarships, reason="Đảo lần nữa")
    assert twice.value.messages == [
        f"Bút toán #{scholarships.pk} đã được đảo bởi bút toán #{reversal.pk}; không thể đảo lần nữa."
    ]
    with pytest.raises(ValidationError) as of_reversal:
        entry_reverse(entry=reversal, reason="Hoàn tác việc đảo")
    assert of_reversal.value.messages == [
        f"Bút toán #{reversal.pk} là bút toán đảo; không đảo nó mà ghi lại bút toán đúng."
    ]
    assert JournalEntry.objects.count() == entries_before

    # The whole book, by account: assets 292.000.000 ₫ = income 97.000.000 + principal 200.000.000
    # − expenses 0 (paid and reversed) … and the transfer account nets to zero across funds.
    assert account_balances() == {
        "111": 30_000_000,
        "112": 262_000_000,
        "336": 0,
        "411": -200_000_000,
        "511": -80_000_000,
        "515": -12_000_000,
        "611": 0,
    }
    # By posting unit, and as of a date (before the interest was earned).
    assert unit_balances() == {province.pk: 262_000_000, commune.pk: 30_000_000}
    assert fund_balances(as_of=datetime.date(2025, 6, 29)) == {
        general.pk: 50_000_000, dreams.pk: 30_000_000, lam_son.pk: 200_000_000,
    }
    assert fund_balances(units=[commune]) == {dreams.pk: 30_000_000}

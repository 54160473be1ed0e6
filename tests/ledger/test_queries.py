"""Query counts of posting are part of its contract (each query named)."""

import datetime

import pytest

from fundmgr.ledger import accounts
from fundmgr.ledger.services import Line, entry_post, entry_reverse

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 8, 1)


@pytest.fixture
def fund(make_fund, province):
    fund = make_fund("QKH-TH")
    entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=5_000_000), Line(accounts.DONATION_INCOME, fund, credit=5_000_000)],
    )
    return fund


def test_a_posting_that_spends_nothing(province, fund, django_assert_num_queries):
    # 8 queries: SAVEPOINT (entry_post's atomic inside the test's transaction; a top-level
    # BEGIN/COMMIT is not counted), the accounts by code, the chain head FOR UPDATE, INSERT the
    # entry, INSERT the lines (one statement), UPDATE the chain head, INSERT the audit row,
    # RELEASE SAVEPOINT.
    with django_assert_num_queries(8):
        entry_post(
            unit=province, date=DAY, memo="Ủng hộ",
            lines=[Line(accounts.BANK, fund, debit=1_000_000), Line(accounts.DONATION_INCOME, fund, credit=1_000_000)],
        )


def test_a_posting_that_spends(province, fund, django_assert_num_queries):
    # 11 queries: the 8 above plus, before the chain head, the funds FOR UPDATE (pk order), their
    # balances and principal in one GROUP BY, and the commitments of the one registered source
    # (the scholarships app's approved, unpaid awards). Each registered source adds one.
    with django_assert_num_queries(11):
        entry_post(
            unit=province, date=DAY, memo="Chi học bổng cho 4 em",
            lines=[
                Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=4_000_000),
                Line(accounts.BANK, fund, credit=4_000_000),
            ],
        )


def test_the_count_does_not_grow_with_lines(province, make_fund, fund, django_assert_num_queries):
    others = [make_fund(f"Q{number}") for number in range(5)]
    lines = []
    for other in others:
        lines += [Line(accounts.BANK, other, debit=100), Line(accounts.DONATION_INCOME, other, credit=100)]
    with django_assert_num_queries(8):  # as a posting of two lines: one INSERT for all lines, one audit row
        entry_post(unit=province, date=DAY, memo="Ủng hộ nhiều quỹ", lines=lines)


def test_a_reversal(province, fund, django_assert_num_queries):
    donation = entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=1_000_000), Line(accounts.DONATION_INCOME, fund, credit=1_000_000)],
    )
    # 14 queries: is it reversed already, its lines with account and fund, then a spending
    # posting (11, its audit row a "transition" of the reversed entry) with one more check,
    # under the chain lock, that nobody reversed it meanwhile.
    with django_assert_num_queries(14):
        entry_reverse(entry=donation, reason="Ghi nhầm", date=DAY)

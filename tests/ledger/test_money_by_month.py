"""A fund's money in and out by month (`selectors.fund_money_by_month`), as an accountant reads it:
the first quarter of 2026 of two funds, with a donation before the window and one after it."""

import datetime

import pytest

from fundmgr.ledger import accounts
from fundmgr.ledger.selectors import MonthFlow, fund_balances, fund_money_by_month
from fundmgr.ledger.services import Line, entry_post, entry_reverse, fund_transfer

pytestmark = pytest.mark.django_db
D = datetime.date


def donate(unit, fund, amount, day, account=accounts.BANK):
    return entry_post(
        unit=unit, date=day, memo=f"Ủng hộ {fund.code}",
        lines=[Line(account, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
    )


@pytest.fixture
def quarter(province, make_fund):
    general, dreams = make_fund("QKH-TH"), make_fund("QHB-NCUM")
    donate(province, general, 9_000_000, D(2025, 12, 31))  # the month before the window
    donate(province, general, 2_000_000, D(2026, 1, 5), account=accounts.CASH)
    wrong = donate(province, general, 3_000_000, D(2026, 1, 20))
    donate(province, dreams, 7_000_000, D(2026, 2, 10))  # the other fund's money
    entry_post(
        unit=province, date=D(2026, 3, 1), memo="Chi học bổng",
        lines=[Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=1_500_000), Line(accounts.BANK, general, credit=1_500_000)],
    )
    entry_reverse(entry=wrong, reason="Ghi nhầm quỹ", date=D(2026, 3, 10))  # the money goes back in March
    fund_transfer(from_fund=general, to_fund=dreams, amount=500_000, date=D(2026, 3, 15), memo="Điều chuyển", unit=province)
    donate(province, general, 4_000_000, D(2026, 3, 21))  # after the day asked for
    return general, dreams


def test_the_first_quarter_of_two_funds(quarter, django_assert_num_queries):
    general, dreams = quarter
    # One query: the fund's asset lines of the window, summed per month by the database.
    with django_assert_num_queries(1):
        flows = fund_money_by_month(general, until=D(2026, 3, 20), months=3)
    assert flows == [
        MonthFlow(D(2026, 1, 1), money_in=5_000_000, money_out=0),  # 2.000.000 in cash, 3.000.000 by bank
        MonthFlow(D(2026, 2, 1), money_in=0, money_out=0),  # a month without money is still there
        # 1.500.000 of scholarships, the 3.000.000 reversed, 500.000 to the other fund
        MonthFlow(D(2026, 3, 1), money_in=0, money_out=5_000_000),
    ]
    assert fund_money_by_month(dreams, until=D(2026, 3, 20), months=3) == [
        MonthFlow(D(2026, 1, 1), money_in=0, money_out=0),
        MonthFlow(D(2026, 2, 1), money_in=7_000_000, money_out=0),
        MonthFlow(D(2026, 3, 1), money_in=500_000, money_out=0),  # the transfer from the general fund
    ]


def test_twelve_months_across_a_new_year_cost_one_query(quarter, django_assert_num_queries):
    general, _dreams = quarter
    with django_assert_num_queries(1):
        flows = fund_money_by_month(general, until=D(2026, 11, 30))
    assert [flow.month for flow in flows] == [D(2025, 12, 1)] + [D(2026, month, 1) for month in range(1, 12)]
    assert flows[0] == MonthFlow(D(2025, 12, 1), money_in=9_000_000, money_out=0)
    assert flows[3] == MonthFlow(D(2026, 3, 1), money_in=4_000_000, money_out=5_000_000)
    # In less out over the whole life of the fund is its balance: 9 + 2 + 3 + 4 − 1,5 − 3 − 0,5 million.
    assert sum(flow.money_in - flow.money_out for flow in flows) == 13_000_000 == fund_balances()[general.pk]

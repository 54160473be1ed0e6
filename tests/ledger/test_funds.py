"""Who a fund may pay, what it may still pay (commitments), and the demo funds."""

import datetime

import pytest

from fundmgr.ledger import accounts
from fundmgr.ledger.commitments import register_commitment_source, unregister_commitment_source
from fundmgr.ledger.demo import seed_demo
from fundmgr.ledger.models import Circumstance, Fund, JournalEntry
from fundmgr.ledger.selectors import fund_available, fund_can_pay, ledger_chain_check
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post
from fundmgr.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 10, 1)


def test_fund_restricted_to_units_pays_those_units_and_below(make_fund, province, commune):
    school = OrgUnit.objects.create(name="Chi hội trường THCS", code="TH-14797-1", kind=OrgUnit.Kind.BRANCH,
                                    parent=commune)
    elsewhere = OrgUnit.objects.create(name="Hội xã khác", code="TH-9", kind=OrgUnit.Kind.COMMUNE, parent=province)
    fund = make_fund("QKH-HT", restriction=Fund.Restriction.UNITS)
    fund.restricted_units.set([commune])
    assert fund_can_pay(fund, unit=commune)
    assert fund_can_pay(fund, unit=school)
    assert not fund_can_pay(fund, unit=elsewhere)
    assert not fund_can_pay(fund, unit=province)
    assert not fund_can_pay(fund)  # no unit, no payment


def test_fund_restricted_to_circumstances(make_fund):
    fund = make_fund("QHB-NCUM", restriction=Fund.Restriction.CIRCUMSTANCES,
                     restricted_circumstances=["poor", "near_poor"])
    assert fund_can_pay(fund, circumstances=[Circumstance.ORPHAN, Circumstance.POOR_HOUSEHOLD])
    assert fund_can_pay(fund, circumstances=["near_poor"])
    assert not fund_can_pay(fund, circumstances=[Circumstance.ORPHAN])
    assert not fund_can_pay(fund)


def test_purpose_unrestricted_and_inactive(make_fund, commune):
    purpose = make_fund("QKH-LKP", restriction=Fund.Restriction.PURPOSE, restricted_purpose="Học sinh giỏi")
    assert fund_can_pay(purpose, unit=commune, circumstances=())
    assert fund_can_pay(make_fund("QKH-TH"))
    assert not fund_can_pay(make_fund("QCU", is_active=False))


def test_commitments_reduce_what_a_fund_may_spend(make_fund, province):
    fund = make_fund("QKH-TH")
    entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=5_000_000), Line(accounts.DONATION_INCOME, fund, credit=5_000_000)],
    )

    def approved_unpaid_awards(fund_ids):
        return {fund.pk: 3_000_000} if fund.pk in fund_ids else {}

    register_commitment_source(approved_unpaid_awards)
    try:
        assert fund_available(fund) == 2_000_000
        with pytest.raises(InsufficientFunds) as refusal:
            entry_post(
                unit=province, date=DAY, memo="Chi ngoài danh sách đã duyệt",
                lines=[
                    Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=2_500_000),
                    Line(accounts.BANK, fund, credit=2_500_000),
                ],
            )
        assert refusal.value.available == 2_000_000
    finally:
        unregister_commitment_source(approved_unpaid_awards)
    assert fund_available(fund) == 5_000_000


def test_demo_funds(province):
    assert seed_demo() == "4 funds created, 5 opening entries posted"
    assert seed_demo() == "0 funds created, 0 opening entries posted"
    funds = {fund.code: fund for fund in Fund.objects.all()}
    assert {code: (fund.name, fund_available(fund)) for code, fund in funds.items()} == {
        "QKH-TH": ("Quỹ Khuyến học tỉnh Thanh Hóa", 1_250_000_000),
        "QKT-LAMSON": ("Quỹ Khuyến học – Khuyến tài Lam Sơn", 275_000_000),
        "QKH-LKP": ("Quỹ Khuyến học Lê Khả Phiêu", 600_000_000),
        "QHB-NCUM": ("Quỹ học bổng \"Nâng cánh ước mơ\"", 450_000_000),
    }
    assert funds["QKT-LAMSON"].is_endowment
    assert funds["QHB-NCUM"].restricted_circumstances == ["poor", "near_poor"]
    assert JournalEntry.objects.count() == 5
    assert ledger_chain_check().ok


def test_demo_without_the_province_creates_nothing(chart):
    assert seed_demo() == "no unit 'TH' (the orgs seed creates it): no demo funds created"
    assert not Fund.objects.exists()

"""The fund statement as a worked example: money in by campaign, money out by program.

The ledger names a source document only by type and id; donations and scholarships register
groupers (`fundmgr.ledger.sources`) that turn payments into campaigns and disbursements into
programs. The scene, on top of the province's funds of `conftest.py` (QKH 10 million, NCUM
4 million, both on DAY, so before the period):

- campaign "Tết khuyến học 2027" of the province into QKH: payments of 3 and 2 million;
- campaign "Khuyến học Lam Sơn" of the commune of Lam Sơn into its fund QKH-LS: 1.5 million;
- interest of 300,000 on QKH's bank account (no source document: an account group);
- program NCUM-2026 pays student A 2 million from QKH, program LS-2026 pays student C 1 million
  from QKH.
"""

import datetime
import itertools

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Pledge
from donations.services import payment_record, pledge_create
from fundmgr.core.exporting import ExportRequest, exporter_get
from fundmgr.ledger import accounts, sources
from fundmgr.ledger.models import Fund
from fundmgr.ledger.services import Line, entry_post
from scholarships.models import Award
from scholarships.services import awards
from tests.donations.conftest import campaign_make

from .conftest import DAY, RUBRIC

pytestmark = pytest.mark.django_db

_references = itertools.count(1)
PERIOD = {"date_from": DAY + datetime.timedelta(days=1)}


def donate(campaign, name, amount):
    pledge, _created = pledge_create(
        campaign=campaign, donor_name=name, donor_kind="individual", amount=amount, channel=Pledge.Channel.ADMIN,
    )
    return payment_record(
        donor=pledge.donor, amount=amount, method="bank_transfer", received_on=timezone.localdate(),
        unit=campaign.unit, pledge=pledge, bank_reference=f"FT-STATEMENT-{next(_references)}",
    )


def pay_award(program, student, treasurer):
    awards.allocation_run(program=program)
    award = awards.award_approve(award=Award.objects.get(program=program, nomination__student=student))
    return awards.award_disburse(
        award=award, method="bank_transfer", paid_on=timezone.localdate(), recipient_name="Người giám hộ",
        bank_reference=f"FT-CHI-{next(_references)}", by=treasurer,
    )


@pytest.fixture
def scene(units, funds, program, six, people):
    general, _poor_only = funds
    commune_fund = Fund.objects.create(code="QKH-LS", name="Quỹ Khuyến học xã Lam Sơn", unit=units.commune_a)
    tet = campaign_make(unit=units.province, fund=general, slug="tet-2027", prefix="TKH27")
    lam_son = campaign_make(unit=units.commune_a, fund=commune_fund, slug="lam-son-2026", prefix="LS26")
    tet.name, lam_son.name = "Tết khuyến học 2027", "Khuyến học Lam Sơn"
    tet.save(update_fields=["name"])
    lam_son.save(update_fields=["name"])
    donate(tet, "Trần Văn An", 3_000_000)
    donate(tet, "Lê Thị Bình", 2_000_000)
    donate(lam_son, "Phạm Văn Cường", 1_500_000)
    entry_post(unit=units.province, date=timezone.localdate(), memo="Lãi tiền gửi", lines=[
        Line(accounts.BANK, general, debit=300_000), Line(accounts.INTEREST_INCOME, general, credit=300_000),
    ])
    lam_son_program = awards.program_create(
        unit=units.province, code="ls-2026", name="Học bổng Lam Sơn", school_year="2025-2026",
        award_amount=1_000_000, rubric=RUBRIC, funds={general: 1_000_000}, created_by=people["committee"],
    )
    awards.nomination_create(program=lam_son_program, student=six["C"], by=people["nominator_a"])
    pay_award(program, six["A"], people["treasurer"])
    pay_award(lam_son_program, six["C"], people["treasurer"])
    return general, commune_fund


def statement(params=None, **request):
    exporter = exporter_get("fund_statement")
    form = exporter.form(params or {})
    assert form.is_valid(), form.errors
    return [list(row) for row in exporter.rows(ExportRequest(params=form.cleaned_data, **request))]


PROVINCE_ROWS = [
    ["NCUM Quỹ học bổng Nâng cánh ước mơ", "Số dư đầu kỳ", None, None, 4_000_000],
    ["NCUM Quỹ học bổng Nâng cánh ước mơ", "Số dư cuối kỳ", None, None, 4_000_000],
    ["QKH Quỹ Khuyến học tỉnh", "Số dư đầu kỳ", None, None, 10_000_000],
    ["QKH Quỹ Khuyến học tỉnh", "515 Thu lãi tiền gửi", 300_000, None, None],
    ["QKH Quỹ Khuyến học tỉnh", "Chiến dịch Tết khuyến học 2027", 5_000_000, None, None],
    ["QKH Quỹ Khuyến học tỉnh", "Chương trình LS-2026 – Học bổng Lam Sơn", None, 1_000_000, None],
    ["QKH Quỹ Khuyến học tỉnh", "Chương trình NCUM-2026 – Nâng cánh ước mơ", None, 2_000_000, None],
    ["QKH Quỹ Khuyến học tỉnh", "Số dư cuối kỳ", None, None, 12_300_000],
]
COMMUNE_ROWS = [
    ["QKH-LS Quỹ Khuyến học xã Lam Sơn", "Số dư đầu kỳ", None, None, 0],
    ["QKH-LS Quỹ Khuyến học xã Lam Sơn", "Chiến dịch Khuyến học Lam Sơn", 1_500_000, None, None],
    ["QKH-LS Quỹ Khuyến học xã Lam Sơn", "Số dư cuối kỳ", None, None, 1_500_000],
]


def test_money_in_by_campaign_and_out_by_program(scene):
    rows = statement(PERIOD)

    assert rows == PROVINCE_ROWS + COMMUNE_ROWS
    # Closing = opening + money in − money out, fund by fund.
    for fund in {row[0] for row in rows}:
        own = [row for row in rows if row[0] == fund]
        assert own[-1][4] == own[0][4] + sum(row[2] or 0 for row in own[1:-1]) - sum(row[3] or 0 for row in own[1:-1])


def test_a_commune_scope_reads_only_its_campaign(scene, units):
    assert statement(PERIOD, unit_ids=frozenset({units.commune_a.pk, units.school_a.pk})) == COMMUNE_ROWS


def test_a_source_without_a_grouper_keeps_the_account_grouping(scene):
    grouper = sources.source_groupers()["donations.payment"]
    sources.unregister_source_grouper("donations.payment")
    try:
        rows = statement(PERIOD)
    finally:
        sources.register_source_grouper("donations.payment", grouper)

    items = {row[1]: row[2] for row in rows if row[0] == "QKH Quỹ Khuyến học tỉnh" and row[2]}
    assert items == {"511 Thu ủng hộ, tài trợ bằng tiền – khoản thu": 5_000_000, "515 Thu lãi tiền gửi": 300_000}
    assert ["QKH Quỹ Khuyến học tỉnh", "Số dư cuối kỳ", None, None, 12_300_000] in rows


def test_the_statement_costs_the_same_queries_for_more_documents(scene, django_assert_num_queries):
    # Balances, movements, content types, one bulk look-up per grouped type (payments,
    # disbursements), funds.
    with django_assert_num_queries(6):
        statement(PERIOD)
    tet = Campaign.objects.get(slug="tet-2027")
    for number in range(3):
        donate(tet, f"Nhà hảo tâm {number}", 100_000)
    with django_assert_num_queries(6):
        rows = statement(PERIOD)
    assert ["QKH Quỹ Khuyến học tỉnh", "Chiến dịch Tết khuyến học 2027", 5_300_000, None, None] in rows

"""Demo data for `campaigns`: the province association's Tết khuyến học campaign of Bính Ngọ 2026.

Idempotent: the campaign is looked up by slug; a second run changes nothing, so a demo whose
treasurer closed the campaign or edited its goal keeps those changes. It needs the province unit
(orgs demo) and the four demo funds (ledger demo), seeded before it in INSTALLED_APPS order.
"""

import datetime

from fundmgr.core.lunar import can_chi, tet_date
from fundmgr.ledger import demo as ledger_demo
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit

from .models import Campaign

SLUG = "tet-khuyen-hoc-2026"
PROVINCE_CODE = "TH"
LUNAR_YEAR = 2026
DEFAULT_FUND_CODE = ledger_demo.FUNDS[0]["code"]  # QKH-TH, Quỹ Khuyến học tỉnh Thanh Hóa


def seed_demo() -> str:
    existing = Campaign.objects.filter(slug=SLUG).first()
    if existing is not None:
        return f"campaign {SLUG} exists ({existing.get_status_display()})"
    unit = OrgUnit.objects.filter(code=PROVINCE_CODE).first()
    codes = [spec["code"] for spec in ledger_demo.FUNDS]
    funds = list(Fund.objects.filter(code__in=codes, unit=unit).order_by("code"))
    if unit is None or len(funds) != len(codes):
        return f"skipped: the unit {PROVINCE_CODE} or its demo funds are not seeded"
    # The unrestricted provincial fund (the first of the ledger demo) takes what the donor does not direct.
    default_fund = next(fund for fund in funds if fund.code == DEFAULT_FUND_CODE)
    # The campaign opens six weeks before Tết and runs through the lunar year, to the eve of the next Tết.
    tet, next_tet = tet_date(LUNAR_YEAR), tet_date(LUNAR_YEAR + 1)
    campaign = Campaign.objects.create(
        name=f"Tết khuyến học Xuân {can_chi(LUNAR_YEAR)} {LUNAR_YEAR}",
        slug=SLUG,
        unit=unit,
        lunar_year=LUNAR_YEAR,
        reference_prefix="TKH26",
        description=(
            "Chung tay cùng Hội Khuyến học tỉnh Thanh Hóa trao học bổng cho học sinh nghèo vượt khó, "
            "học sinh có nguy cơ bỏ học và học sinh giỏi trong năm Bính Ngọ. Mỗi đồng ủng hộ được ghi sổ "
            "và công khai đến tận học sinh nhận thưởng."
        ),
        ceremony_date=tet + datetime.timedelta(days=10),
        starts_on=tet - datetime.timedelta(days=45),
        ends_on=next_tet - datetime.timedelta(days=1),
        goal=6_000_000_000,
        default_fund=default_fund,
        status=Campaign.Status.OPEN,
        bank_bin="970436",
        bank_name="Vietcombank – Chi nhánh Thanh Hóa",
        bank_account_number="0501000123456",
        bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.set(funds)
    return f"campaign {SLUG} created with {len(funds)} funds"

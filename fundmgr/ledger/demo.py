"""Demo funds of the province association and their opening balances (`manage.py seed_demo`).

Idempotent: funds are looked up by code and left as an operator may have edited them; the
opening entries are posted only for a fund that has no lines yet. Everything goes through the
posting services, so the demo ledger is hash-chained and verifies like a real one. The
restrictions are made up for the demo (see DESIGN.md).
"""

import datetime

from fundmgr.orgs.models import OrgUnit

from . import accounts
from .models import Circumstance, Fund, JournalLine
from .services import Line, endowment_principal_record, entry_post, interest_record

PROVINCE_CODE = "TH"
OPENING_DATE = datetime.date(2025, 1, 1)
INTEREST_DATE = datetime.date(2025, 6, 30)

FUNDS = [
    {
        "code": "QKH-TH",
        "name": "Quỹ Khuyến học tỉnh Thanh Hóa",
        "restriction": Fund.Restriction.UNRESTRICTED,
        "opening": 1_250_000_000,
    },
    {
        "code": "QKT-LAMSON",
        "name": "Quỹ Khuyến học – Khuyến tài Lam Sơn",
        "restriction": Fund.Restriction.UNRESTRICTED,
        "is_endowment": True,
        "principal": 5_000_000_000,
        "interest": 275_000_000,
    },
    {
        "code": "QKH-LKP",
        "name": "Quỹ Khuyến học Lê Khả Phiêu",
        "restriction": Fund.Restriction.PURPOSE,
        "restricted_purpose": "Học sinh giỏi, học sinh đạt giải cao trong các kỳ thi",
        "opening": 600_000_000,
    },
    {
        "code": "QHB-NCUM",
        "name": "Quỹ học bổng \"Nâng cánh ước mơ\"",
        "restriction": Fund.Restriction.CIRCUMSTANCES,
        "restricted_circumstances": [Circumstance.POOR_HOUSEHOLD.value, Circumstance.NEAR_POOR_HOUSEHOLD.value],
        "opening": 450_000_000,
    },
]


def seed_demo() -> str:
    province = OrgUnit.objects.filter(code=PROVINCE_CODE).first()
    if province is None:
        return f"no unit {PROVINCE_CODE!r} (the orgs seed creates it): no demo funds created"
    created = posted = 0
    for spec in FUNDS:
        spec = dict(spec)
        opening = spec.pop("opening", 0)
        principal = spec.pop("principal", 0)
        interest = spec.pop("interest", 0)
        fund, was_created = Fund.objects.get_or_create(code=spec.pop("code"), defaults={**spec, "unit": province})
        created += was_created
        if JournalLine.objects.filter(fund=fund).exists():
            continue
        if opening:
            entry_post(
                unit=province, date=OPENING_DATE, memo=f"Số dư đầu kỳ chuyển sang – {fund.name}",
                lines=[Line(accounts.BANK, fund, debit=opening), Line(accounts.DONATION_INCOME, fund, credit=opening)],
            )
            posted += 1
        if principal:
            endowment_principal_record(
                fund=fund, amount=principal, date=OPENING_DATE, unit=province,
                memo=f"Vốn gốc bảo toàn chuyển sang – {fund.name}",
            )
            posted += 1
        if interest:
            interest_record(
                fund=fund, amount=interest, date=INTEREST_DATE, unit=province,
                memo=f"Lãi tiền gửi 6 tháng đầu năm 2025 – {fund.name}",
            )
            posted += 1
    return f"{created} funds created, {posted} opening entries posted"

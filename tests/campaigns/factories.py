"""Builders shared by the campaigns and e2e tests: units, funds, campaigns, pledges, payments."""

import datetime
import re
import time

from django.core import signing
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Payment, Pledge
from donations.selectors import pledge_paid
from donations.services import pledge_create
from donations.services.tallies import tally_payment_added
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit

# The four demo funds of DESIGN.md, with the codes of fundmgr/ledger/demo.py (without their opening entries).
FUNDS = [
    ("QKH-TH", "Quỹ Khuyến học tỉnh Thanh Hóa", Fund.Restriction.UNRESTRICTED, False),
    ("QKT-LAMSON", "Quỹ Khuyến học – Khuyến tài Lam Sơn", Fund.Restriction.UNRESTRICTED, True),
    ("QKH-LKP", "Quỹ Khuyến học Lê Khả Phiêu", Fund.Restriction.PURPOSE, False),
    ("QHB-NCUM", "Quỹ học bổng \"Nâng cánh ước mơ\"", Fund.Restriction.CIRCUMSTANCES, False),
]


def province_make(code="TH", name="Hội Khuyến học tỉnh Thanh Hóa") -> OrgUnit:
    return OrgUnit.objects.create(name=name, code=code, kind=OrgUnit.Kind.PROVINCE)


def funds_make(unit: OrgUnit) -> list[Fund]:
    return [
        Fund.objects.create(code=code, name=name, unit=unit, restriction=restriction, is_endowment=endowment)
        for code, name, restriction, endowment in FUNDS
    ]


def campaign_make(*, unit, funds, slug="tet-khuyen-hoc-2026", prefix="TKH26", status=Campaign.Status.OPEN,
                  goal=6_000_000_000, name="Tết khuyến học Xuân Bính Ngọ 2026", starts_on=None, ends_on=None):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name=name,
        slug=slug,
        unit=unit,
        lunar_year=2026,
        reference_prefix=prefix,
        starts_on=starts_on or today - datetime.timedelta(days=30),
        ends_on=ends_on or today + datetime.timedelta(days=60),
        goal=goal,
        default_fund=funds[0],
        status=status,
        bank_bin="970436",
        bank_name="Vietcombank",
        bank_account_number="0011004123456",
        bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.set(funds)
    return campaign


def pledge_make(campaign, *, amount=1_000_000, name="Nguyễn Văn An", email="", phone="", kind="individual",
                fund=None, anonymous=False, honor_roll=True, installments=1, tax_code="") -> Pledge:
    pledge, _created = pledge_create(
        campaign=campaign, donor_name=name, donor_kind=kind, email=email, phone=phone, tax_code=tax_code,
        address="", amount=amount, fund=fund, installments=installments, anonymous=anonymous,
        list_on_honor_roll=honor_roll, message="", channel=Pledge.Channel.ADMIN,
    )
    return pledge


def payment_make(pledge, *, amount, received_on=None, unit=None) -> Payment:
    """A payment row as the payments service leaves it, with the campaign page's running totals
    (the ledger entry and the receipt do not matter here), in one transaction as the service's:
    the tallies lock their rows, which needs one even in a test that commits (a browser test)."""
    with transaction.atomic():
        paid_before = pledge_paid(pledge)
        payment = Payment.objects.create(
            donor=pledge.donor, pledge=pledge, fund=pledge.fund, unit=unit or pledge.campaign.unit, amount=amount,
            method=Payment.Method.BANK_TRANSFER, received_on=received_on or timezone.localdate(),
        )
        tally_payment_added(payment=payment, pledge=pledge, paid_before=paid_before)
    return payment


def payment_void_row(payment: Payment) -> None:
    """Mark a payment voided as `payment_void` leaves it, with the running totals (no ledger)."""
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(voided_at=timezone.now(), void_reason="Ghi nhầm")
        pledge = Pledge.objects.get(pk=payment.pledge_id)
        tally_payment_added(payment=payment, pledge=pledge, paid_before=pledge_paid(pledge) + payment.amount, sign=-1)


def started_token(seconds_ago: float) -> str:
    """The form's signed timestamp, as if the form had been rendered `seconds_ago` seconds ago."""
    from public.forms import _SIGNING_SALT

    return signing.dumps(time.time() - seconds_ago, salt=_SIGNING_SALT)


def valid_form_data(campaign, **overrides) -> dict:
    data = {
        "donor_name": "Nguyễn Thị Bình",
        "donor_kind": "individual",
        "email": "binh@example.com",
        "phone": "0912 345 678",
        "tax_code": "",
        "address": "12 Lê Lợi, Hạc Thành, Thanh Hóa",
        "amount": "2 triệu",
        "fund": str(campaign.default_fund_id),
        "installments": "1",
        "list_on_honor_roll": "on",
        "message": "Chúc các em học giỏi",
        "idempotency_key": "k" * 20 + str(time.monotonic_ns()),
        "started": started_token(60),
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden input {name!r} in the page"
    return match.group(1)

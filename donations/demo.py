"""Demo donors, pledges and payments in the campaign `tet-khuyen-hoc-2026` (`manage.py seed_demo`).

Deterministic (one seeded random generator) and idempotent: each pledge carries the
idempotency key `demo-<n>`, so a second run finds every pledge and records nothing again; the
demo bank statement's lines have bank references, so importing it again adds nothing either.
Everything goes through the services (`pledge_create`, `payment_record`, `pledge_write_off`,
`statement_import`), so the demo ledger, receipts and statuses are what real use produces.
Names, companies and tax codes are made up.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum.vn import mst

from campaigns.models import Campaign

from .models import BankStatementImport, Pledge
from .services import payment_record, pledge_cancel, pledge_create, pledge_write_off
from .services.bank_statement import statement_import

CAMPAIGN_SLUG = "tet-khuyen-hoc-2026"
SEED = 2026
INDIVIDUALS, BUSINESSES, AGENCIES, ORGANISATIONS = 230, 45, 15, 10
STATEMENT_FILE = "demo-sao-ke-vietcombank.csv"

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Mai", "Trịnh", "Lương", "Cao", "Lò", "Hà"]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Công", "Ngọc", "Thanh", "Đình"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phong", "Quân", "Sơn",
              "Thắng", "Tuấn", "Việt", "Hiếu", "Trung", "Toàn", "Lâm"]
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngọc", "Phương", "Thảo",
                "Trang", "Tuyết", "Yến", "Hoa", "Loan", "Nhung", "Vân"]
PLACES = ["Lam Sơn", "Hàm Rồng", "Sầm Sơn", "Hoằng Hóa", "Bỉm Sơn", "Hải Tiến", "Đông Sơn", "Quảng Xương",
          "Thọ Xuân", "Như Thanh", "Nga Sơn", "Hậu Lộc", "Tĩnh Gia", "Ngọc Lặc", "Cẩm Thủy"]
TRADES = ["Thương mại", "Xây dựng", "Vận tải", "Dược phẩm", "Thực phẩm", "Du lịch", "Gạch men", "May mặc",
          "Điện máy", "Nông sản", "Cơ khí", "Thủy sản", "Giấy", "Vật liệu"]
AGENCY_NAMES = [
    "Sở Giáo dục và Đào tạo tỉnh Thanh Hóa", "Sở Tài chính tỉnh Thanh Hóa", "Bảo hiểm xã hội tỉnh Thanh Hóa",
    "Kho bạc Nhà nước tỉnh Thanh Hóa", "Cục Thuế tỉnh Thanh Hóa", "Bệnh viện Đa khoa tỉnh Thanh Hóa",
    "Trường Đại học Hồng Đức", "Trường THPT chuyên Lam Sơn", "Đài Phát thanh và Truyền hình Thanh Hóa",
    "Báo Thanh Hóa", "Sở Y tế tỉnh Thanh Hóa", "Sở Nông nghiệp và Môi trường tỉnh Thanh Hóa",
    "Ủy ban nhân dân phường Hạc Thành", "Ủy ban nhân dân phường Sầm Sơn", "Ủy ban nhân dân xã Hoằng Hóa",
]
ORGANISATION_NAMES = [
    "Hội Cựu chiến binh tỉnh Thanh Hóa", "Hội Liên hiệp Phụ nữ tỉnh Thanh Hóa", "Tỉnh đoàn Thanh Hóa",
    "Hội Doanh nhân trẻ tỉnh Thanh Hóa", "Câu lạc bộ Doanh nhân xứ Thanh tại Hà Nội", "Hội đồng hương Thanh Hóa tại TP. Hồ Chí Minh",
    "Hội Cựu giáo chức tỉnh Thanh Hóa", "Hội Nông dân tỉnh Thanh Hóa", "Liên đoàn Lao động tỉnh Thanh Hóa",
    "Hội Chữ thập đỏ tỉnh Thanh Hóa",
]
MESSAGES = ["", "", "", "Chúc các cháu học giỏi, chăm ngoan.", "Tiếp sức đến trường.", "Vì học sinh nghèo vượt khó.",
            "Góp một phần nhỏ cho quỹ khuyến học quê hương.", "Chúc Hội hoàn thành chiến dịch."]


def _tax_code(rng: random.Random) -> str:
    while True:
        body = f"28{rng.randrange(10**7):07d}"  # 28: the province code of Thanh Hóa in tax codes
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check


def _donors(rng: random.Random) -> list[dict]:
    donors = []
    for index in range(INDIVIDUALS):
        female = rng.random() < 0.5
        name = " ".join([
            rng.choice(FAMILY), rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE),
            rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
        ])
        donors.append({
            "donor_kind": "individual", "donor_name": name, "phone": f"09{rng.choice('1234678')}{index:07d}",
            "email": f"nha.hao.tam.{index}@example.com" if rng.random() < 0.15 else "",
            "amount": rng.choice([200_000, 300_000, 500_000, 500_000, 1_000_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000]),
        })
    for index in range(BUSINESSES):
        form = rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân"])
        name = f"{form} {rng.choice(TRADES)} {rng.choice(PLACES)}"
        donors.append({
            "donor_kind": "business", "donor_name": name, "tax_code": _tax_code(rng),
            "email": f"ketoan{index}@doanhnghiep.example.com",
            "amount": rng.choice([10_000_000, 20_000_000, 30_000_000, 50_000_000, 100_000_000, 200_000_000]),
        })
    for name in AGENCY_NAMES[:AGENCIES]:
        donors.append({"donor_kind": "agency", "donor_name": name, "tax_code": _tax_code(rng),
                       "amount": rng.choice([5_000_000, 10_000_000, 20_000_000, 50_000_000])})
    for name in ORGANISATION_NAMES[:ORGANISATIONS]:
        donors.append({"donor_kind": "organisation", "donor_name": name,
                       "amount": rng.choice([5_000_000, 10_000_000, 15_000_000, 30_000_000])})
    return donors


def seed_demo() -> str:
    campaign = Campaign.objects.select_related("unit").filter(slug=CAMPAIGN_SLUG).first()
    if campaign is None:
        return f"skipped: the campaign {CAMPAIGN_SLUG} is not seeded (the campaigns demo creates it)"
    # Made-up demo data from a fixed seed, reproducible on purpose: nothing secret comes from it.
    rng = random.Random(SEED)  # nosec B311
    treasurer = get_user_model().objects.filter(username="treasurer").first()
    funds = list(campaign.funds.order_by("code"))
    today = timezone.localdate()
    first_day = min(max(campaign.starts_on, today - datetime.timedelta(days=270)), today)
    public_form_open = campaign.status == Campaign.Status.OPEN and campaign.starts_on <= today <= campaign.ends_on
    created = paid = 0
    pledges = []
    for index, donor in enumerate(_donors(rng)):
        channel = rng.choice([Pledge.Channel.FORM, Pledge.Channel.FORM, Pledge.Channel.ADMIN, Pledge.Channel.IMPORT])
        if channel == Pledge.Channel.FORM and not public_form_open:
            channel = Pledge.Channel.ADMIN  # the public form refuses a closed campaign; a treasurer does not
        installments = 1 if donor["amount"] < 20_000_000 or rng.random() < 0.6 else rng.choice([2, 3, 4, 6])
        pledge, is_new = pledge_create(
            campaign=campaign, fund=rng.choice(funds) if rng.random() < 0.4 else None, installments=installments,
            anonymous=rng.random() < 0.08, list_on_honor_roll=rng.random() < 0.7,
            message=rng.choice(MESSAGES), channel=channel,
            idempotency_key=f"demo-{index}", created_by=treasurer, **donor,
        )
        # Drawn whatever happened above, so the sequence (and the demo) is the same on every run.
        outcome, share, method = rng.random(), rng.random(), rng.random()
        day = first_day + datetime.timedelta(days=rng.randrange((today - first_day).days + 1))
        pledges.append(pledge)
        if not is_new:
            continue
        created += 1
        if outcome < 0.55:
            amounts = [pledge.amount]
        elif outcome < 0.75:
            amounts = [max(pledge.amount * (1 + int(share * 3)) // 4 // 1000 * 1000, 1000)]
        elif outcome < 0.78 and pledge.amount <= 2_000_000:
            pledge_cancel(pledge=pledge, reason="Nhà hảo tâm báo nhầm số tiền, đã đăng ký lại.", by=treasurer)
            continue
        else:
            continue
        for number, amount in enumerate(amounts):
            is_cash = method < 0.3
            payment_record(
                donor=pledge.donor, pledge=pledge, amount=amount, unit=campaign.unit, received_on=day,
                method="cash" if is_cash else "bank_transfer",
                bank_reference=None if is_cash else f"DEMO{SEED}{index:05d}{number}", recorded_by=treasurer,
            )
            paid += 1
        if outcome >= 0.55 and share < 0.15:
            pledge_write_off(pledge=pledge, reason="Doanh nghiệp tạm ngừng hoạt động, không liên lạc được.", by=treasurer)
    statement = _demo_statement(campaign, pledges, rng, today, treasurer)
    total = Pledge.objects.filter(campaign=campaign).count()
    return (
        f"{created} demo pledges created ({total} in {CAMPAIGN_SLUG}), {paid} payments recorded; "
        f"demo statement: {statement}"
    )


def _demo_statement(campaign, pledges, rng, today, treasurer) -> str:
    """A short Vietcombank statement: transfers with a code (matched), without one (queued), a fee."""
    if BankStatementImport.objects.filter(file_name=STATEMENT_FILE, unit=campaign.unit).exists():
        return "already imported"
    open_pledges = [p for p in pledges if p.status == Pledge.Status.PLEDGED][:12]
    day = today - datetime.timedelta(days=1)
    rows = ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM", f"SAO KÊ TÀI KHOẢN {campaign.bank_account_number}", "",
            "STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả"]
    number = 0

    def row(debit, credit, memo):
        nonlocal number
        number += 1
        rows.append(f"{number};{day:%d/%m/%Y};5213.DEMO.{number:04d};{debit};{credit};;{memo}")

    for pledge in open_pledges[:8]:
        prefix, code = pledge.reference.split("-")
        memo = rng.choice([f"MBVCB.{rng.randrange(10**7)}.ung ho {prefix} {code.lower()}", f"UNG HO {prefix}{code}"])
        row("", f"{pledge.amount:,}".replace(",", "."), memo)
    for pledge in open_pledges[8:12]:  # no code in the memo: a person matches these
        given_name = pledge.donor.name.split()[-1].upper()
        row("", f"{pledge.amount:,}".replace(",", "."), f"CK ung ho quy khuyen hoc - {given_name}")
    row("", "12.345", "Tra lai tien gui thang")
    row("11.000", "", "Phi quan ly tai khoan")
    content = ("\n".join(rows) + "\n").encode("utf-8-sig")
    statement = statement_import(unit=campaign.unit, campaign=campaign, file_name=STATEMENT_FILE, content=content,
                                 created_by=treasurer)
    return f"{statement.lines_matched} lines matched, {statement.lines_unmatched} waiting in the reconciliation queue"

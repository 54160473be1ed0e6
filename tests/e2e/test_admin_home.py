"""The admin's home as a treasurer and as an auditor see it, at 1366 px, in Vietnamese and English,
and the bank-match screen of a waiting line (its likely pledge matched in one click).

Screenshots: var/test-artifacts/admin-home-treasurer.png, admin-home-treasurer-en.png,
admin-home-auditor.png, bank-match-screen.png.
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import BankStatementLine, Payment
from donations.services import payment_record
from donations.services.bank_statement import statement_import
from fundmgr.orgs.models import Membership
from tests.campaigns import factories
from tests.conftest import require_executable
from tests.receipts.conftest import chart_install

from .browser import chromium_launched

PASSWORD = "mat-khau-2026-trang-chu"


def log_in(page, url, username):
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_home_shows_each_role_its_sections(live_server, artifacts_dir, django_user_model):
    chromium = require_executable("chromium")
    chart_install()
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit), goal=500_000_000)
    today = timezone.localdate()
    for number in range(5):
        pledge = factories.pledge_make(campaign, amount=20_000_000, name=f"Nhà hảo tâm {number}")
        payment_record(donor=pledge.donor, pledge=pledge, amount=15_000_000, method=Payment.Method.BANK_TRANSFER,
                       received_on=today, unit=unit, bank_reference=f"FT-HOME-{number}")
    waiting_for = factories.pledge_make(campaign, amount=300_000, name="Lê Văn An")
    day = (today - datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    statement_import(unit=unit, file_name="sao-ke.csv", content=(
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f'"{day}","300.000","chuyen tien","FT-Q1","LE VAN A"\n"{day}","450.000","ung ho","FT-Q2",""\n'
    ).encode())
    for username, role in (("thuquy", Membership.Role.TREASURER), ("kiemtoan", Membership.Role.AUDITOR)):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, is_staff=True)
        Membership.objects.create(user=user, unit=unit, role=role)
    problems = []

    with chromium_launched(chromium) as browser:
        for username in ("thuquy", "kiemtoan"):
            context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(str(error)))
            log_in(page, live_server.url, username)
            page.goto(f"{live_server.url}/admin/")
            text = page.inner_text("#home-panels")
            if username == "thuquy":
                assert "dòng sao kê chờ đối soát" in text and "Chiến dịch đang diễn ra" in text
                page.screenshot(path=str(artifacts_dir / "admin-home-treasurer.png"), full_page=True)
                page.click("#home-todo a:has-text('dòng sao kê chờ đối soát')")
                assert "status__exact=unmatched" in page.url
                # The bank-match screen of a waiting line: Lê Văn An's pledge comes first (the amount,
                # a name close to the sender's), and one click records the payment.
                line = BankStatementLine.objects.get(bank_reference="FT-Q1")
                page.goto(f"{live_server.url}/admin/donations/bankstatementline/{line.pk}/match/")
                first = page.locator("button[name=choice]").first
                assert first.get_attribute("value") == waiting_for.reference
                page.screenshot(path=str(artifacts_dir / "bank-match-screen.png"), full_page=True)
                first.click()
                page.wait_for_url("**/bankstatementline/**")
                line.refresh_from_db()
                assert (line.status, line.pledge_id) == ("manual", waiting_for.pk)
                context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
                page.goto(f"{live_server.url}/admin/")
                assert "bank lines waiting to be matched" in page.inner_text("#home-panels")
                page.screenshot(path=str(artifacts_dir / "admin-home-treasurer-en.png"), full_page=True)
            else:
                assert "Số dư các quỹ" in text and "Kiểm tra sổ" in text and "Chiến dịch đang diễn ra" not in text
                page.screenshot(path=str(artifacts_dir / "admin-home-auditor.png"), full_page=True)
            context.close()
    assert problems == []

"""An auditor reads the journal in the admin, in a real browser (Debian's chromium, headless), on
a 1366 × 768 laptop screen: the debit and credit columns are on the screen without scrolling
sideways, next to the filter sidebar, even with long memos and billions of dong.

Screenshots for a person to look at land in var/test-artifacts/: admin-journal-lines-1366.png
(the journal-line list) and admin-fund-chart-1366.png (a fund's page with its money in and out
by month).
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from fundmgr.ledger import accounts
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from tests.conftest import require_executable
from tests.e2e.browser import chromium_launched

PASSWORD = "kiem-tra-Binh-Ngo-2026"
WIDTH, HEIGHT = 1366, 768
LONG_MEMO = (
    "Thu ủng hộ Tết khuyến học Xuân Bính Ngọ 2026 – Công ty Cổ phần Đầu tư và Phát triển Giáo dục "
    "Thanh Hóa, chuyển khoản theo mã TKH26-7KQ3M"
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_auditor_sees_debit_and_credit_at_1366_pixels(live_server, artifacts_dir, province, make_fund):
    chromium = require_executable("chromium")
    auditor = get_user_model().objects.create_user(
        username="kiemtra", password=PASSWORD, is_staff=True, first_name="Trần Văn Minh"
    )
    membership_grant(user=auditor, unit=province, role=Membership.Role.AUDITOR)
    fund = make_fund("QHB-NCUM", "Quỹ học bổng “Nâng cánh ước mơ” dành cho học sinh hộ nghèo, cận nghèo")
    for month, amount in ((1, 1_250_000_000), (2, 987_654_321), (3, 45_000_000)):
        entry_post(
            unit=province, date=datetime.date(2026, month, 15), memo=LONG_MEMO,
            lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
        )
    entry_post(
        unit=province, date=datetime.date(2026, 3, 20), memo="Chi học bổng học kỳ I năm học 2025–2026 cho 120 học sinh",
        lines=[Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=600_000_000), Line(accounts.BANK, fund, credit=600_000_000)],
    )

    with chromium_launched(chromium) as browser:
        page = browser.new_context(locale="vi-VN", viewport={"width": WIDTH, "height": HEIGHT}).new_page()
        blocked = []
        page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
        page.goto(f"{live_server.url}/admin/login/?next=/admin/ledger/journalline/")
        page.fill("#id_username", "kiemtra")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/ledger/journalline/")
        page.screenshot(path=str(artifacts_dir / "admin-journal-lines-1366.png"))
        viewport_width = page.evaluate("document.documentElement.clientWidth")
        edges = {
            column: page.locator(f"#result_list th.column-{column}").evaluate("cell => cell.getBoundingClientRect().right")
            for column in ("debit_display", "credit_display")
        }
        # The list scrolls sideways inside its own box (.results, overflow-x: auto) when too wide, so
        # the window alone says nothing: the cells must end inside that box's visible part, which
        # ends before the filter sidebar.
        results_box = page.locator("#changelist .results").evaluate(
            "box => ({right: box.getBoundingClientRect().left + box.clientWidth,"
            " overflow: box.scrollWidth - box.clientWidth})"
        )
        filter_left = page.locator("#changelist-filter").evaluate("box => box.getBoundingClientRect().left")
        cells = page.locator("#result_list td.field-debit_display").all_inner_texts()
        alignment = page.locator("#result_list td.field-credit_display").first.evaluate(
            "cell => getComputedStyle(cell).textAlign"
        )
        scroll_width = page.evaluate("document.documentElement.scrollWidth")

        fund_page = page.goto(f"{live_server.url}/admin/ledger/fund/{fund.pk}/change/")
        page.screenshot(path=str(artifacts_dir / "admin-fund-chart-1366.png"), full_page=True)
        bars = page.locator("svg.chart rect.chart-bar").count()

    assert viewport_width <= WIDTH
    assert all(0 < right <= min(viewport_width, results_box["right"], filter_left) for right in edges.values()), (
        edges, viewport_width, results_box, filter_left
    )
    assert results_box["overflow"] <= 0 and scroll_width <= viewport_width  # nothing to scroll sideways
    # Lines in entry order: the three donations' bank lines, then the scholarship's expense line.
    assert cells[:5] == ["1.250.000.000\u00a0₫", "–", "987.654.321\u00a0₫", "–", "45.000.000\u00a0₫"]
    assert alignment == "right"
    assert fund_page.status == 200
    assert bars == 2 + 12 * 2  # the legend's two swatches, then money in and out for each of 12 months
    assert blocked == []

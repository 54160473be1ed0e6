"""The public statement on a phone, and a donor taking their name off it from their pledge page.

Runs Debian's chromium, headless, against the live server. Screenshots for a person to look at
land in var/test-artifacts/: statement-phone.png, statement-phone-en.png, pledge-removal.png.
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import Payment
from donations.services import payment_record
from tests.campaigns import factories
from tests.conftest import require_executable

from .browser import chromium_launched
from .test_pledge_form import PHONE, normalised

NAME = "Nguyễn Thị Thanh Hương"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_statement_reads_on_a_phone_and_a_donor_takes_their_name_off(live_server, artifacts_dir):
    chromium = require_executable("chromium")
    unit = factories.province_make()
    funds = factories.funds_make(unit)
    campaign = factories.campaign_make(unit=unit, funds=funds)
    today = timezone.localdate()
    named = factories.pledge_make(campaign, amount=50_000_000, name=NAME, honor_roll=True)
    quiet = factories.pledge_make(campaign, amount=50_000_000, name="Công ty TNHH Kín Tiếng", honor_roll=False)
    for number in range(8):
        for pledge, reference in ((named, f"FT2604{number:04d}HUO"), (quiet, f"FT2605{number:04d}KTG")):
            payment_record(donor=pledge.donor, pledge=pledge, amount=1_250_000 * (number + 1),
                           method=Payment.Method.BANK_TRANSFER, received_on=today - datetime.timedelta(days=number % 3),
                           unit=unit, bank_reference=reference)
    problems = []

    with chromium_launched(chromium) as browser:
        context = browser.new_context(locale="vi-VN", **PHONE)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto(f"{live_server.url}/c/{campaign.slug}/")
        # The campaign page's money by fund on a phone: each fund's name across the card on a row
        # of its own (not squeezed into a column beside two amounts, a word per line), and the
        # table inside its card.
        layout = page.evaluate("""() => {
            const table = document.querySelector('table.fund-balances');
            const names = [...table.querySelectorAll('.fund-balances__name th')];
            return {names: names.map(cell => cell.getBoundingClientRect().width / table.getBoundingClientRect().width),
                    inside: table.getBoundingClientRect().right <= table.closest('.card').getBoundingClientRect().right};
        }""")
        assert len(layout["names"]) == len(funds) and min(layout["names"]) > 0.9, layout
        assert layout["inside"], layout
        page.get_by_role("link", name="Xem sao kê thu chi").click()
        assert page.url.endswith(f"/c/{campaign.slug}/statement/")
        body = normalised(page.inner_text("body"))
        assert NAME in body and "Kín Tiếng" not in body and "Nhà hảo tâm …0KTG" in body
        # Readable on a phone: the page itself never scrolls sideways (wide tables scroll in their card).
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        # Each fund's amounts whole, on one line under their label: "90.000.0" over "00 ₫" reads as
        # another number.
        lines = page.evaluate("""() => [...document.querySelectorAll('.fund-balances--four td.num')].map(cell => {
            const range = document.createRange(); range.selectNodeContents(cell);
            return [cell.textContent.trim(), range.getClientRects().length, getComputedStyle(cell, '::before').content];
        })""")
        assert len(lines) == 4 * len(funds), lines
        assert all(rects == 1 for _text, rects, _label in lines), lines
        assert {label for _text, _rects, label in lines} == {'"Đầu kỳ"', '"Tiền thu"', '"Tiền chi"', '"Cuối kỳ"'}
        page.screenshot(path=str(artifacts_dir / "statement-phone.png"), full_page=True)

        # Search by amount, typed the Vietnamese way.
        page.fill("#id_amount", "2,5 triệu")
        page.get_by_role("button", name="Tìm").click()
        rows = page.locator("table.statement-lines tbody tr:not(.statement-day)")
        assert rows.count() == 2

        # The donor takes their name off, from their own page.
        page.goto(f"{live_server.url}/p/{named.reference}/")
        page.get_by_role("button", name="Rút tên của tôi khỏi bảng vàng").click()
        assert "Tên của bạn không còn hiện" in page.inner_text("body")
        page.screenshot(path=str(artifacts_dir / "pledge-removal.png"), full_page=True)
        page.goto(f"{live_server.url}/c/{campaign.slug}/statement/")
        body = normalised(page.inner_text("body"))
        assert NAME not in body and "Nhà hảo tâm …0HUO" in body

        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page.goto(f"{live_server.url}/c/{campaign.slug}/statement/")
        assert "Money received by day" in page.inner_text("body")
        page.screenshot(path=str(artifacts_dir / "statement-phone-en.png"), full_page=True)
        context.close()
    assert problems == []

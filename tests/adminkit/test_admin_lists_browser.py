"""The treasurer's three long lists fit a 1366 px laptop screen: pledges, receipts and journal lines
show every column without scrolling sideways, amounts right-aligned, with long names and billions.

In a real browser (Debian's chromium, headless). Screenshots for a person to look at land in
var/test-artifacts/: admin-pledges-1366.png, admin-receipts-1366.png, admin-journal-lines-1366-all.png.
"""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from donations.models import Pledge
from donations.services import payment_record, pledge_create
from fundmgr.orgs.models import Membership
from tests.api.endpoints import world_make
from tests.conftest import require_executable, unit_tree
from tests.e2e.browser import chromium_launched

PASSWORD = "thu-quy-Binh-Ngo-2026"
WIDTH, HEIGHT = 1366, 768
LISTS = {
    "admin-pledges-1366.png": "/admin/donations/pledge/",
    "admin-receipts-1366.png": "/admin/receipts/receipt/",
    "admin-journal-lines-1366-all.png": "/admin/ledger/journalline/",
}
LONG_NAMES = [
    "Công ty Cổ phần Đầu tư và Phát triển Giáo dục Thanh Hóa",
    "Ông Nguyễn Văn Trường Giang và gia đình, thôn Đông Hạ",
    "Hội Cựu giáo chức và Ban liên lạc học sinh khóa 1985–1988",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pledges_receipts_and_journal_lines_fit_1366_pixels(live_server, artifacts_dir):
    chromium = require_executable("chromium")
    units = unit_tree(
        ("province", "TH", "province", "Hội Khuyến học tỉnh Thanh Hóa", None),
        ("commune_a", "TH-A", "commune", "Hội Khuyến học xã Quảng Phú", "province"),
        ("commune_b", "TH-B", "commune", "Hội Khuyến học phường Đông Sơn", "province"),
    )
    world = world_make(units)
    unit = units.commune_a
    treasurer = get_user_model().objects.create_user(username="thuquy", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=treasurer, unit=unit, role=Membership.Role.TREASURER)
    for number, name in enumerate(LONG_NAMES * 2):
        pledge, _created = pledge_create(
            campaign=world.campaigns[unit.pk], donor_name=name, donor_kind="individual", phone=f"0912{number:06d}",
            amount=1_250_000_000 + number, installments=3, channel=Pledge.Channel.ADMIN,
        )
        payment_record(donor=pledge.donor, pledge=pledge, amount=987_654_321, method="bank_transfer",
                       bank_reference=f"FT26{number:08d}", received_on=timezone.localdate(), unit=unit)

    measured = {}
    with chromium_launched(chromium) as browser:
        page = browser.new_context(locale="vi-VN", viewport={"width": WIDTH, "height": HEIGHT}).new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "thuquy")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        for screenshot, path in LISTS.items():
            page.goto(f"{live_server.url}{path}")
            page.screenshot(path=str(artifacts_dir / screenshot))
            # The list scrolls sideways inside its own box (.results) when too wide, so the window
            # alone says nothing: neither the page nor that box may be wider than what is shown.
            measured[path] = page.evaluate(
                "() => { const box = document.querySelector('#changelist .results');"
                " return {page: document.documentElement.scrollWidth, window: window.innerWidth,"
                " box: box.scrollWidth, shown: box.clientWidth,"
                " rows: document.querySelectorAll('#result_list tbody tr').length,"
                " amounts: [...document.querySelectorAll('#result_list td')]"
                "   .filter(cell => cell.textContent.includes('₫'))"
                "   .map(cell => getComputedStyle(cell).textAlign)}; }"
            )
    for path, size in measured.items():
        assert size["rows"] >= 6, path
        assert size["page"] <= size["window"], f"{path} is wider than the window: {size}"
        assert size["box"] <= size["shown"], f"{path}: columns hidden to the right of the list: {size}"
        assert size["amounts"] and set(size["amounts"]) == {"right"}, f"{path}: amounts not right-aligned: {size}"

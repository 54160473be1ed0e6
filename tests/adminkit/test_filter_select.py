"""A list filter with many choices is a drop-down list, not a sidebar of links.

A province's treasurer sees 166 units in the unit filter: as links, the pledge list's sidebar was
8,000 pixels tall. Past `ManyChoicesAsSelect.LIST_MAX` choices the filter is one <select> whose
options carry the links' own addresses; choosing one (static/js/admin_filter_select.js) filters
the list as the link did.
"""

import re

import pytest
from django.contrib.auth import get_user_model

from donations.models import Pledge
from donations.services import pledge_create
from fundmgr.adminkit.scoping import ManyChoicesAsSelect
from fundmgr.orgs.models import Membership
from tests.api.endpoints import world_make
from tests.conftest import require_executable, unit_tree
from tests.e2e.browser import chromium_launched

PASSWORD = "thu-quy-Binh-Ngo-2026"
pytestmark = pytest.mark.django_db


def _province_with(communes: int):
    rows = [("province", "TH", "province", "Hội Khuyến học tỉnh Thanh Hóa", None),
            ("commune_a", "TH-A", "commune", "Hội Khuyến học xã Quảng Phú", "province"),
            ("commune_b", "TH-B", "commune", "Hội Khuyến học phường Đông Sơn", "province")]
    rows += [(f"extra_{n}", f"TH-X{n:02d}", "commune", f"Hội Khuyến học xã Số {n}", "province")
             for n in range(communes - 2)]
    units = unit_tree(*rows)
    world = world_make(units)
    treasurer = get_user_model().objects.create_user(username="thuquy", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=treasurer, unit=units.province, role=Membership.Role.TREASURER)
    for unit, name in ((units.commune_a, "Nguyễn Văn An"), (units.commune_b, "Trần Thị Bình")):
        pledge_create(campaign=world.campaigns[unit.pk], donor_name=name, donor_kind="individual",
                      amount=5_000_000, channel=Pledge.Channel.ADMIN)
    return units, treasurer


def _unit_filter(html: str) -> str:
    """The unit filter's block of the sidebar (Django's <details data-filter-title="…">)."""
    match = re.search(r'<details data-filter-title="đơn vị".*?</details>', html, re.S)
    assert match, "no unit filter on the page"
    return match.group(0)


def test_a_unit_filter_of_many_units_is_one_drop_down_list(client):
    units, treasurer = _province_with(communes=ManyChoicesAsSelect.LIST_MAX + 2)
    client.force_login(treasurer)

    block = _unit_filter(client.get("/admin/donations/pledge/").content.decode())

    assert '<select class="admin-filter-select"' in block and "<a href" not in block
    options = re.findall(r'<option value="([^"]*)"( selected)?>\s*([^<]*?)\s*</option>', block)
    assert len(options) == 1 + ManyChoicesAsSelect.LIST_MAX + 3  # "all", the province, its communes
    assert options[0][1] == " selected"  # nothing chosen yet: "all"
    assert (f"?unit={units.commune_a.pk}", "", "Hội Khuyến học xã Quảng Phú") in options
    assert "admin_filter_select.js" in block

    chosen = client.get(f"/admin/donations/pledge/?unit={units.commune_a.pk}").content.decode()
    selected = re.findall(r'<option value="[^"]*" selected>\s*([^<]*?)\s*</option>', _unit_filter(chosen))
    assert selected == ["Hội Khuyến học xã Quảng Phú"]
    assert "Nguyễn Văn An" in chosen and "Trần Thị Bình" not in chosen


def test_a_unit_filter_of_few_units_stays_a_list_of_links(client):
    units, treasurer = _province_with(communes=2)
    client.force_login(treasurer)

    block = _unit_filter(client.get("/admin/donations/pledge/").content.decode())

    assert "<select" not in block
    assert f'href="?unit={units.commune_b.pk}"' in block


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choosing_a_unit_in_the_drop_down_list_filters_the_list(live_server, artifacts_dir):
    chromium = require_executable("chromium")
    units, _treasurer = _province_with(communes=ManyChoicesAsSelect.LIST_MAX + 2)
    problems = []
    with chromium_launched(chromium) as browser:
        page = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 768}).new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        # The script and style the filter loads must load (the site has no favicon).
        page.on("response", lambda response: response.status >= 400 and not response.url.endswith("/favicon.ico")
                and problems.append(f"{response.status} {response.url}"))
        page.goto(f"{live_server.url}/admin/login/?next=/admin/donations/pledge/")
        page.fill("#id_username", "thuquy")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/donations/pledge/")
        assert page.locator("#result_list tbody tr").count() == 2

        with page.expect_navigation(wait_until="domcontentloaded"):
            page.select_option('details[data-filter-title="đơn vị"] select', label="Hội Khuyến học phường Đông Sơn")

        assert page.url.endswith(f"/admin/donations/pledge/?unit={units.commune_b.pk}")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 1 and "Trần Thị Bình" in rows.first.inner_text()
        page.locator("#changelist-filter").screenshot(path=str(artifacts_dir / "admin-filter-select.png"))
    assert not problems, problems

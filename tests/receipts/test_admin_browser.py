"""A treasurer voids a receipt in the admin, in a real browser (Debian's chromium, headless).

Screenshots for a person to look at land in var/test-artifacts/: admin-receipts.png (the
register with the job states), admin-receipt-void.png (the reason form) and
admin-receipts-voided.png (the register afterwards, the voided number still in it).
"""

import pytest

from fundmgr.orgs.models import Membership
from receipts.models import Receipt
from receipts.services import receipt_render
from tests.conftest import require_executable
from tests.e2e.browser import chromium_launched

from .conftest import record_payment

PASSWORD = "thu-quy-Binh-Ngo-2026"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_treasurer_voids_a_receipt_with_a_reason(live_server, artifacts_dir, province, fund, donor, django_user_model):
    chromium = require_executable("chromium")
    treasurer = django_user_model.objects.create_user(
        username="thuquy", password=PASSWORD, is_staff=True, first_name="Lê Văn Thủ"
    )
    Membership.objects.create(user=treasurer, unit=province, role=Membership.Role.TREASURER)
    receipts = [record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)[1] for _ in range(3)]
    for receipt in receipts[:2]:
        receipt_render(receipt_id=receipt.pk)
    target = receipts[1]

    with chromium_launched(chromium) as browser:
        page = browser.new_context(locale="vi-VN", viewport={"width": 1680, "height": 760}).new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/receipts/receipt/")
        page.fill("#id_username", "thuquy")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/receipts/receipt/")
        page.screenshot(path=str(artifacts_dir / "admin-receipts.png"), full_page=True)

        page.check(f"input[name=_selected_action][value='{target.pk}']")
        page.select_option("select[name=action]", "void_receipts")
        page.click("button[name=index]")
        page.fill("#id_reason", "Ghi trùng giao dịch ngân hàng")
        page.screenshot(path=str(artifacts_dir / "admin-receipt-void.png"), full_page=True)
        page.click("input[type=submit][value='Hủy phiếu thu']")
        page.wait_for_url("**/admin/receipts/receipt/")
        page.screenshot(path=str(artifacts_dir / "admin-receipts-voided.png"), full_page=True)
        text = page.inner_text("#result_list")

    target.refresh_from_db()
    assert (target.state, target.void_reason, target.voided_by) == ("voided", "Ghi trùng giao dịch ngân hàng", treasurer)
    assert target.number in text and "Ghi trùng giao dịch ngân hàng" in text
    assert Receipt.objects.filter(state="issued").count() == 2

"""A donor follows "check my gift" from the confirmation page of a paid pledge and finds the journal
entry of their payment and its proof against the latest checkpoint, on a phone in Chromium.

Screenshot for a person to look at: var/test-artifacts/check-my-gift.png.
"""

import pytest
from django.db import connections
from django.utils import timezone

from campaigns.demo import seed_demo
from campaigns.models import Campaign
from donations.services import payment_record
from fundmgr.orgs.models import Membership
from fundmgr.transparency import tree
from tests.campaigns import factories
from tests.conftest import require_executable
from tests.transparency.proof_helpers import checkpoint_over_the_log

from .browser import chromium_launched

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_donor_finds_their_gift_in_the_published_log(live_server, artifacts_dir, django_user_model):
    chromium = require_executable("chromium")
    unit = factories.province_make()
    factories.funds_make(unit)
    seed_demo()
    campaign = Campaign.objects.get()
    pledge = factories.pledge_make(campaign, amount=3_000_000, name="Nguyễn Thị Bình")
    treasurer = django_user_model.objects.create_user(username="thuquy", is_staff=True)
    Membership.objects.create(user=treasurer, unit=unit, role=Membership.Role.TREASURER)

    def pay(pledge, amount, bank_reference):
        return payment_record(
            donor=pledge.donor, pledge=pledge, amount=amount, method="bank_transfer",
            received_on=timezone.localdate(), unit=unit, bank_reference=bank_reference, recorded_by=treasurer,
        )

    # Other donors' gifts before and after: the donor's proof has several hashes.
    for number, name in enumerate(("Trần Văn Cường", "Lê Thị Dung", "Phạm Minh Đức")):
        pay(factories.pledge_make(campaign, amount=500_000, name=name), 500_000, f"FT2604000{number}")
    payment = pay(pledge, 1_000_000, "FT26040123456")
    pay(factories.pledge_make(campaign, amount=200_000, name="Hoàng Văn Em"), 200_000, "FT26040009")
    checkpoint = checkpoint_over_the_log()
    leaf = tree.leaf_for_entry(payment.journal_entry_id)
    problems = []

    with chromium_launched(chromium) as browser:
        page = browser.new_context(locale="vi-VN", **PHONE).new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{live_server.url}/p/{pledge.reference}/")
        page.get_by_role("link", name="Kiểm chứng khoản ủng hộ của bạn trong sổ sách công khai").click()
        page.wait_for_url(f"{live_server.url}/p/{pledge.reference}/verify/")
        assert page.locator("h1").inner_text() == "Kiểm chứng khoản ủng hộ của bạn"
        gift = page.locator("section.gift")
        assert gift.locator(".entry-id").inner_text() == str(payment.journal_entry_id)
        assert gift.locator(".entry-hash").inner_text() == payment.journal_entry.hash
        assert gift.locator(".leaf-index").inner_text() == str(leaf.index)
        path = [node.hex() for node in tree.inclusion_proof(leaf.index, checkpoint.tree_size)]
        assert len(path) >= 2 and gift.locator(".audit-path li").all_inner_texts() == path
        assert checkpoint.root_hash in gift.locator(".command").inner_text()
        assert page.locator(".checkpoint .tree-size").inner_text() == str(checkpoint.tree_size)
        page.screenshot(path=str(artifacts_dir / "check-my-gift.png"), full_page=True)
        connections.close_all()  # the live server's ORM connection, so PostgreSQL can drop the test database

    assert problems == []

"""Migrations donations/0004–0005 and campaigns/0003: the confirmation e-mail records move from
`campaigns.PledgeNotice` to `donations.PledgeEmail`, on a database that has some, and the old
model is gone. (A fresh database runs the same migrations with nothing to copy: every test run.)
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("campaigns", "0002_pledge_notice"), ("donations", "0004_pledge_email")]


@pytest.mark.django_db(transaction=True)
def test_existing_notices_become_confirmation_emails():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        unit = apps.get_model("orgs", "OrgUnit").objects.create(name="Tỉnh", code="T", kind="province", path="0001")
        fund = apps.get_model("ledger", "Fund").objects.create(code="F", name="Quỹ", unit=unit)
        today = datetime.date(2026, 1, 10)
        campaign = apps.get_model("campaigns", "Campaign").objects.create(
            name="Tết", slug="tet", unit=unit, lunar_year=2026, reference_prefix="TKH26", starts_on=today,
            ends_on=today, goal=1, default_fund=fund, bank_bin="970436", bank_name="VCB", bank_account_number="1",
            bank_account_name="HOI",
        )
        donor = apps.get_model("donations", "Donor").objects.create(name="An", name_normalized="an", unit=unit)
        Pledge = apps.get_model("donations", "Pledge")
        sent, leased, fresh = (
            Pledge.objects.create(reference=f"TKH26-{n}", donor=donor, campaign=campaign, fund=fund, amount=1, channel="form")
            for n in (1, 2, 3)
        )
        Notice = apps.get_model("campaigns", "PledgeNotice")
        sent_at, claimed_at = timezone.now(), timezone.now() - datetime.timedelta(minutes=1)
        Notice.objects.create(pledge=sent, attempts=1, sent_at=sent_at, recipient="an@example.com")
        Notice.objects.create(pledge=leased, attempts=2, claimed_at=claimed_at, recipient="an@example.com")
        Notice.objects.create(pledge=fresh)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    from donations.models import PledgeEmail

    rows = PledgeEmail.objects.order_by("pledge__reference").values_list(
        "pledge__reference", "kind", "installment", "status", "attempts", "sent_at", "claimed_at", "recipient"
    )
    assert list(rows) == [
        ("TKH26-1", "confirmation", None, "sent", 1, sent_at, None, "an@example.com"),
        ("TKH26-2", "confirmation", None, "sending", 2, None, claimed_at, "an@example.com"),
        ("TKH26-3", "confirmation", None, "pending", 0, None, None, ""),
    ]
    assert "campaigns_pledgenotice" not in connection.introspection.table_names()

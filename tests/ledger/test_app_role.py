"""The application's PostgreSQL role against an insider (issue #10, point 9).

The role is made by the real command (`manage.py db_roles`), inside the test's transaction, so it
disappears with the rollback; its name comes from the test database's, so test runs on other
databases of the same server do not meet it. The test then works as that role (`SET ROLE`: the
privileges in force are the role's, exactly as when the app connects with its password).

What the app may do: post entries (INSERT into the journal, UPDATE of the chain head one link
forward, INSERT into the audit trail). What it may not, even with the GUCs that the test
database uses to let Django flush tables: UPDATE, DELETE or TRUNCATE the journal or the audit
trail, delete or rewrite receipts beyond voiding them, or move the chain head anywhere else.
"""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry, LedgerChainHead
from fundmgr.ledger.services import Line, entry_post
from fundmgr.security.db_roles import app_role_problems

from .helpers import acting_as, app_role_create, ledger_rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
DAY = datetime.date(2025, 6, 1)


@pytest.fixture
def app_role(db):
    return app_role_create()


def refused(sql, params=(), *, match):
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def post(province, fund, amount):
    return entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
    )


def test_the_role_owns_nothing_and_posts_entries(app_role, province, make_fund):
    fund = make_fund("QKH-TH")
    assert app_role_problems(app_role) == []
    with acting_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        first = post(province, fund, 1_000_000)
        second = post(province, fund, 2_000_000)
    assert ledger_rows() == (2, 4, (second.pk, second.hash, 2))
    assert second.previous_hash == first.hash
    assert AuditEvent.objects.filter(model_label="ledger.journalentry").count() == 2


def test_the_journal_and_the_audit_trail_refuse_every_change(app_role, province, make_fund):
    entry = post(province, make_fund("QKH-TH"), 1_000_000)
    before = (ledger_rows(), AuditEvent.objects.count())
    with acting_as(app_role):
        for sql in [
            "UPDATE ledger_journalline SET debit = debit + 1 WHERE entry_id = %s",
            "DELETE FROM ledger_journalline WHERE entry_id = %s",
            "UPDATE ledger_journalentry SET memo = 'sửa' WHERE id = %s",
            "DELETE FROM ledger_journalentry WHERE id = %s",
            "UPDATE audit_auditevent SET actor_label = 'ai đó' WHERE object_id = %s::text",
            "DELETE FROM audit_auditevent WHERE object_id = %s::text",
        ]:
            refused(sql, [entry.pk], match="permission denied")
        for table in ["ledger_journalline", "ledger_journalentry", "audit_auditevent", "receipts_receipt"]:
            refused(f"TRUNCATE {table} CASCADE", match="permission denied")
        # Receipts: never deleted, and what one certifies never rewritten.
        refused("DELETE FROM receipts_receipt", match="permission denied")
        refused("UPDATE receipts_receipt SET amount = 1", match="permission denied")
        # Nor can the role switch the triggers off, or take ownership.
        refused("ALTER TABLE ledger_journalentry DISABLE TRIGGER ALL", match="must be owner")
        refused("SET session_replication_role = replica", match="permission denied")
    assert (ledger_rows(), AuditEvent.objects.count()) == before


def test_the_truncate_escape_hatch_is_the_owners_only(app_role, province, make_fund):
    """Even if someone grants TRUNCATE by mistake, setting the GUC does not let the app role empty history."""
    post(province, make_fund("QKH-TH"), 1_000_000)
    before = (ledger_rows(), AuditEvent.objects.count())
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON ledger_journalline, audit_auditevent TO {app_role}")
        # The posting's deferred balance checks run now: TRUNCATE refuses tables with pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    with acting_as(app_role):
        refused("TRUNCATE ledger_journalline", match="TRUNCATE of ledger_journalline refused")
        refused("TRUNCATE audit_auditevent", match="TRUNCATE of audit_auditevent refused")
    assert (ledger_rows(), AuditEvent.objects.count()) == before


def test_the_chain_head_only_moves_forward_to_the_newest_entry(app_role, province, make_fund):
    fund = make_fund("QKH-TH")
    first, second = post(province, fund, 1_000_000), post(province, fund, 2_000_000)
    head = ledger_rows()[2]
    rewrites = [
        ("UPDATE ledger_ledgerchainhead SET last_entry_id = %s, last_hash = %s, entry_count = 1", [first.pk, first.hash]),
        ("UPDATE ledger_ledgerchainhead SET last_hash = %s", ["a" * 64]),
        ("UPDATE ledger_ledgerchainhead SET entry_count = 5", []),
        ("UPDATE ledger_ledgerchainhead SET last_entry_id = %s", [second.pk + 1]),
    ]
    with acting_as(app_role):
        for sql, params in rewrites:
            refused(sql, params, match="only moves one link forward")
        refused("DELETE FROM ledger_ledgerchainhead", match="permission denied")
        third = post(province, fund, 3_000_000)  # the honest move still works
    # Not even the owner rewrites it with the triggers on.
    refused(rewrites[0][0], rewrites[0][1], match="only moves one link forward")
    refused("DELETE FROM ledger_ledgerchainhead", match="cannot be deleted")
    assert head == (second.pk, second.hash, 2)
    assert LedgerChainHead.objects.values_list("last_entry_id", "last_hash", "entry_count").get() == (
        third.pk, third.hash, 3,
    )
    assert JournalEntry.objects.count() == 3


def test_the_command_refuses_a_role_that_owns_or_may_do_too_much(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=f"{owner} cannot be the application's role: .*the role running this command"):
        call_command("db_roles", app_role=owner)


def test_migrate_re_grants_the_role_named_in_the_settings(app_role, settings):
    """Tables a later migration adds reach the app: with DATABASE_APP_ROLE set, migrate re-grants."""
    from fundmgr.security.db_roles import grant_after_migrate

    def may(privilege, table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege])
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app_role}")  # as a new table would be
    assert not may("INSERT", "donations_pledge")
    settings.DATABASE_APP_ROLE = app_role
    grant_after_migrate(sender=None)
    assert [may(privilege, "donations_pledge") for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")] == [True] * 4
    assert [may(privilege, "ledger_journalentry") for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")] \
        == [True, True, False, False, False]

"""Helpers shared by the ledger tests."""

import io
from contextlib import contextmanager

from django.core.management import call_command
from django.db import connection

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, JournalEntry, JournalLine, LedgerChainHead
from fundmgr.ledger.selectors import fund_balances, funds_available


def chart_install() -> None:
    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)


def book(*funds: Fund) -> dict[str, tuple[int, int]]:
    """{fund code: (balance, available)}: the page of the book a treasurer reads."""
    balances = fund_balances()
    available = funds_available(funds)
    return {fund.code: (balances.get(fund.pk, 0), available[fund.pk]) for fund in funds}


def ledger_rows() -> tuple[int, int, tuple]:
    """(entries, lines, chain head) to show that a refused posting wrote nothing."""
    head = LedgerChainHead.objects.values_list("last_entry_id", "last_hash", "entry_count").first()
    return JournalEntry.objects.count(), JournalLine.objects.count(), head


def tamper(sql: str, params=()) -> None:
    """Run a raw UPDATE or DELETE against the ledger as an attacker with database access would.

    On PostgreSQL the append-only triggers refuse it, so the attacker (a superuser) switches
    triggers off for the statement (`session_replication_role = replica`). Pending deferred
    checks of the honest postings run first (SET CONSTRAINTS ALL IMMEDIATE), so the end of the
    test's transaction does not re-check entries that the tamper broke on purpose.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def app_role_create() -> str:
    """The application's role, made by the real command inside the test's transaction.

    Roles belong to the whole server, so the name comes from the test database's (runs against
    other databases of the server do not meet it), and the test's rollback removes it again.
    """
    role = f"{connection.settings_dict['NAME']}_app"[:63]
    call_command("db_roles", app_role=role, stdout=io.StringIO())
    return role


@contextmanager
def acting_as(role: str):
    """Work as `role` (SET ROLE: its privileges are in force, as when the app logs in as it),
    with the GUCs that used to open TRUNCATE of the journal and the audit trail turned on."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
        for name in ("fundmgr.allow_ledger_truncate", "fundmgr.allow_audit_truncate"):
            cursor.execute("SELECT set_config(%s, 'on', false)", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

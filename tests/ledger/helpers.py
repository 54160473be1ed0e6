"""Helpers shared by the ledger tests."""

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

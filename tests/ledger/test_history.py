"""Posted history cannot change: the ORM refuses every path, and on PostgreSQL so does raw SQL."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry, JournalLine, LedgerHistoryError
from fundmgr.ledger.services import Line, entry_post

from .helpers import ledger_rows

DAY = datetime.date(2025, 3, 1)


@pytest.fixture
def posted(province, make_fund):
    fund = make_fund("QKH-TH")
    return entry_post(
        unit=province, date=DAY, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=1_000_000), Line(accounts.DONATION_INCOME, fund, credit=1_000_000)],
    )


@pytest.mark.django_db
class TestOrmGuards:
    def test_save_and_delete_of_a_posted_row(self, posted):
        line = posted.lines.first()
        line.debit = 2_000_000
        with pytest.raises(LedgerHistoryError):
            line.save()
        with pytest.raises(LedgerHistoryError):
            line.delete()
        with pytest.raises(LedgerHistoryError):
            posted.delete()

    def test_querysets_managers_and_related_managers(self, posted):
        with pytest.raises(LedgerHistoryError):
            JournalLine.objects.filter(entry=posted).update(debit=5)
        with pytest.raises(LedgerHistoryError):
            JournalLine.objects.update(debit=5)
        with pytest.raises(LedgerHistoryError):
            posted.lines.update(debit=5)
        with pytest.raises(LedgerHistoryError):
            posted.lines.all().delete()
        with pytest.raises(LedgerHistoryError):
            JournalEntry.objects.filter(pk=posted.pk).update(memo="sửa")

    def test_bulk_update_and_upsert(self, posted):
        lines = list(posted.lines.all())
        for line in lines:
            line.debit, line.credit = line.credit, line.debit
        with pytest.raises(LedgerHistoryError):
            JournalLine.objects.bulk_update(lines, ["debit", "credit"])
        with pytest.raises(LedgerHistoryError):
            JournalLine.objects.bulk_create(lines, update_conflicts=True, unique_fields=["id"], update_fields=["debit"])

    def test_an_instance_built_with_a_posted_pk_is_not_an_update(self, posted):
        original = posted.lines.first()
        forged = JournalLine(
            pk=original.pk, entry=posted, account=original.account, fund=original.fund, debit=9, credit=0
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            forged.save()
        assert JournalLine.objects.get(pk=original.pk).debit == original.debit
        with pytest.raises(LedgerHistoryError):
            posted.save(update_fields=["memo"])

    def test_nothing_changed(self, posted):
        assert [(line.debit, line.credit) for line in posted.lines.all()] == [(1_000_000, 0), (0, 1_000_000)]


@pytest.mark.postgres
@pytest.mark.django_db
class TestPostgresTriggers:
    """Each refusal happens at the statement, inside a savepoint: no commit needed."""

    def test_raw_update_and_delete_are_refused(self, posted):
        line_id = posted.lines.first().pk
        statements = [
            ("UPDATE ledger_journalline SET debit = debit + 1 WHERE id = %s", [line_id]),
            ("DELETE FROM ledger_journalline WHERE id = %s", [line_id]),
            ("UPDATE ledger_journalentry SET memo = 'sửa' WHERE id = %s", [posted.pk]),
            ("DELETE FROM ledger_journalentry WHERE id = %s", [posted.pk]),
        ]
        for sql, params in statements:
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
        assert ledger_rows()[:2] == (1, 2)
        assert JournalLine.objects.get(pk=line_id).debit == 1_000_000

    def test_a_line_cannot_be_slipped_into_a_posted_entry(self, posted):
        line = posted.lines.first()
        with pytest.raises(IntegrityError, match="already posted"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, debit, credit) VALUES (%s, %s, %s, 7, 0),"
                " (%s, %s, %s, 0, 7)",
                [posted.pk, line.account_id, line.fund_id, posted.pk, line.account_id, line.fund_id],
            )
        assert ledger_rows()[:2] == (1, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestPostgresTriggersCommitted:
    """The balance check is a deferred trigger that runs at COMMIT; TRUNCATE refuses a table with
    such pending checks before its own trigger runs. These two tests commit."""

    def test_truncate_is_refused(self, posted):
        # The test database allows TRUNCATE (Django empties tables with it between tests);
        # a session without that setting, like production's, is refused.
        with pytest.raises(IntegrityError, match="TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL fundmgr.allow_ledger_truncate = 'off'")
            cursor.execute("TRUNCATE ledger_journalline, ledger_journalentry CASCADE")
        assert ledger_rows()[:2] == (1, 2)

    def test_an_unbalanced_raw_insert_fails_at_commit(self, posted):
        fund_id, account_ids = posted.lines.first().fund_id, dict(posted.lines.values_list("account__code", "account_id"))
        with pytest.raises(IntegrityError, match="does not balance"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO ledger_journalentry (unit_id, date, memo, source_id, reversal_reason, created_at,"
                    " previous_hash, hash) VALUES (%s, %s, 'raw', '', '', now(), %s, %s) RETURNING id",
                    [posted.unit_id, DAY, posted.hash, "f" * 64],
                )
                entry_id = cursor.fetchone()[0]
                cursor.executemany(
                    "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, debit, credit) VALUES (%s, %s, %s, %s, %s)",
                    [(entry_id, account_ids["112"], fund_id, 500, 0), (entry_id, account_ids["511"], fund_id, 0, 400)],
                )
                # Each statement passed; the deferred trigger checks the entry at COMMIT.
        with pytest.raises(IntegrityError, match="needs at least 2"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO ledger_journalentry (unit_id, date, memo, source_id, reversal_reason, created_at,"
                    " previous_hash, hash) VALUES (%s, %s, 'raw', '', '', now(), %s, %s)",
                    [posted.unit_id, DAY, posted.hash, "e" * 64],
                )
        assert ledger_rows()[:2] == (1, 2)


@pytest.mark.django_db
def test_database_refuses_a_line_with_two_sides(posted):
    line = posted.lines.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.bulk_create(
            [JournalLine(entry=posted, account=line.account, fund=line.fund, debit=5, credit=5)]
        )

"""`verify_ledger`: exit status and message on a clean and on a tampered ledger; the task; the schedule."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry, LedgerChainHead, LedgerVerification
from fundmgr.ledger.selectors import ledger_chain_check
from fundmgr.ledger.services import Line, entry_post, entry_reverse
from fundmgr.ledger.tasks import ledger_verify_task

from .helpers import tamper

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 5, 1)


@pytest.fixture
def three_entries(province, make_fund):
    fund = make_fund("QKH-TH")
    entries = [
        entry_post(
            unit=province, date=DAY, memo=f"Ủng hộ đợt {number}",
            lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
        )
        for number, amount in [(1, 1_000_000), (2, 2_000_000)]
    ]
    entries.append(entry_reverse(entry=entries[0], reason="Chuyển nhầm", date=DAY))
    return entries


def run_verify(capsys, **options):
    call_command("verify_ledger", **options)
    return capsys.readouterr().out.strip()


def test_clean_ledger(three_entries, capsys):
    output = run_verify(capsys, batch_size=2)  # batches of 2 cross an entry boundary
    head = three_entries[-1]
    assert output == (
        f"Sổ cái nguyên vẹn: 3 bút toán, 6 dòng, tổng Nợ = tổng Có = 4.000.000\u00a0₫; "
        f"đầu chuỗi #{head.pk} {head.hash}; kiểm trong {re.search(r'trong (.*) giây', output).group(1)} giây."
    )
    record = LedgerVerification.objects.get()
    assert (record.ok, record.first_broken_entry_id, record.entries_checked, record.lines_checked) == (True, None, 3, 6)
    assert record.finished_at is not None


def test_empty_ledger(chart, capsys):
    assert run_verify(capsys).startswith("Sổ cái nguyên vẹn: 0 bút toán, 0 dòng")


@pytest.mark.parametrize(
    ("what", "sql", "reason"),
    [
        ("a line's amount", "UPDATE ledger_journalline SET debit = debit + 1 WHERE entry_id = %s AND debit > 0",
         "mã băm không khớp nội dung: nội dung hoặc mã băm đã bị sửa; không cân trong quỹ QKH-TH (lệch 1)"),
        ("the memo", "UPDATE ledger_journalentry SET memo = 'Ủng hộ đợt 9' WHERE id = %s",
         "mã băm không khớp nội dung: nội dung hoặc mã băm đã bị sửa"),
        ("the hash", "UPDATE ledger_journalentry SET hash = repeat('a', 64) WHERE id = %s",
         "mã băm không khớp nội dung: nội dung hoặc mã băm đã bị sửa"),
        ("a line removed", "DELETE FROM ledger_journalline WHERE entry_id = %s AND debit > 0",
         "mã băm không khớp nội dung: nội dung hoặc mã băm đã bị sửa; bút toán có 1 dòng, cần ít nhất 2; "
         "không cân trong quỹ QKH-TH (lệch -2000000)"),
    ],
)
def test_tampered_entry_is_named(three_entries, what, sql, reason):
    broken = three_entries[1]
    tamper(sql, [broken.pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert str(failure.value) == f"Sổ cái bị hỏng tại bút toán #{broken.pk}: {reason} (đã kiểm 2 bút toán)."
    record = LedgerVerification.objects.get()
    assert (record.ok, record.first_broken_entry_id) == (False, broken.pk)


def _walk_queries(batch_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert ledger_chain_check(batch_size=batch_size).ok
    return len(queries)


def test_the_walk_reads_in_a_fixed_number_of_queries(three_entries, make_fund):
    """Two queries per batch (its entries, their lines) on top of a fixed few, however many entries
    and lines: no query per entry, per line or per source document type."""
    one_batch = _walk_queries(batch_size=100)
    fund, other = three_entries[0].lines.first().fund, make_fund("QHB-TH")
    for number in range(9):  # three times as many entries, some of four lines over two funds
        entry_post(
            unit=three_entries[0].unit, date=DAY, memo=f"Điều chuyển {number}",
            lines=[
                Line(accounts.BANK, other, debit=1_000), Line(accounts.DONATION_INCOME, other, credit=1_000),
                Line(accounts.BANK, fund, debit=1_000), Line(accounts.DONATION_INCOME, fund, credit=1_000),
            ][: 2 if number % 2 else 4],
        )
    assert _walk_queries(batch_size=100) == one_batch
    # 12 entries in batches of 5: three batches of two queries, against one.
    assert _walk_queries(batch_size=5) == one_batch + 2 * 2


def test_removed_entry_breaks_the_next_link(three_entries):
    middle, after = three_entries[1], three_entries[2]
    tamper("DELETE FROM ledger_journalline WHERE entry_id = %s", [middle.pk])
    tamper("DELETE FROM ledger_journalentry WHERE id = %s", [middle.pk])
    with pytest.raises(CommandError, match=rf"bút toán #{after.pk}: mã băm trước \(previous_hash\) không khớp"):
        call_command("verify_ledger")


def test_cut_tail_is_caught_by_the_chain_head(three_entries):
    last = three_entries[-1]
    tamper("DELETE FROM ledger_journalline WHERE entry_id = %s", [last.pk])
    tamper("DELETE FROM ledger_journalentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert str(failure.value) == (
        f"Sổ cái bị hỏng tại bút toán #{last.pk}: đầu chuỗi ghi bút toán #{last.pk}, nhưng bút toán cuối là "
        f"#{three_entries[1].pk}: phần cuối sổ đã bị cắt hoặc có bút toán ghi ngoài entry_post (đã kiểm 2 bút toán)."
    )
    assert LedgerChainHead.objects.get().last_entry_id == last.pk


def test_exit_status_from_the_command_line(three_entries):
    """The real `manage.py` exit status: 1 with the message on stderr when broken."""
    from django.core.management import execute_from_command_line

    tamper("UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s", [three_entries[0].pk])
    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "verify_ledger"])
    assert exit_status.value.code == 1


def test_the_nightly_task_calls_the_same_service(three_entries):
    # The task's body, run in this process (`apply`), whatever broker the test pass has.
    result = ledger_verify_task.apply().get()
    verification = LedgerVerification.objects.get()
    assert result == {
        "verification_id": verification.pk, "ok": True, "first_broken_entry_id": None, "entries_checked": 3,
    }


def test_the_schedule_exists():
    task = PeriodicTask.objects.get(task="fundmgr.ledger.tasks.ledger_verify_task")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "2", "Asia/Ho_Chi_Minh")
    assert JournalEntry.objects.count() == 0

"""How fast is `verify_ledger` against simply reading the same rows? (PostgreSQL)

    .venv/bin/python bench/ledger_verify.py [--lines 1000000] [--repeat 3] [--keep]

Creates (drops first) the database `fundmgr_bench` (or BENCH_DATABASE_URL), migrates it, and
loads a valid hash-chained ledger of `--lines` journal lines: donations (2 lines), scholarship
payments (2 lines) and transfers between funds (4 lines) over 20 funds, every entry hashed in
Python with the same `entry_hash` that posting uses, then written with COPY. The load runs with
`session_replication_role = replica` (triggers off, as a restore does) because checking a
million rows one by one is not what is measured; `verify_ledger` then proves the chain valid.

Measured in the same run, best of `--repeat`:
- baseline (issue #17's "bare psycopg read + SHA-256"): one server-side psycopg cursor over the
  same entry and line columns in chain order (codes from dicts read first), grouped into
  entries, and `hashing.entry_hash` (SHA-256 of the canonical bytes) of every entry; nothing else;
- `manage.py verify_ledger`: the full walk (hash, links, per-fund balance of every entry, the
  chain head, the documents that name entries, the recorded `LedgerVerification`).
Prints both times, lines per second, the time ratio and the speed ratio (baseline time over
ours; issue #17 asks for at least 0.7). Not part of the test suite.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database, timed  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database if it has the lines")
    options = parser.parse_args()

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection

    if fresh:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        entries, lines = load(options.lines)
        print(f"loaded {entries:,} entries / {lines:,} lines in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_journalline")
        line_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ledger_journalentry")
        entry_count = cursor.fetchone()[0]

    baseline = min(timed(bare_read_and_hash) for _ in range(options.repeat))
    verify = min(timed(lambda: call_command("verify_ledger", stdout=open(os.devnull, "w"))) for _ in range(options.repeat))
    print(f"rows: {entry_count:,} entries, {line_count:,} lines (PostgreSQL {connection.pg_version // 10000})")
    print(f"bare psycopg read + SHA-256:   {baseline:6.2f} s  {line_count / baseline:12,.0f} lines/s")
    print(f"verify_ledger:                 {verify:6.2f} s  {line_count / verify:12,.0f} lines/s")
    print(f"time ratio verify / baseline:  {verify / baseline:6.2f}")
    print(f"speed ratio baseline / verify (issue #17: at least 0.70): {baseline / verify:6.2f}")


def bare_read_and_hash() -> int:
    """The floor the issue names: a bare psycopg read of the same entry and line columns in chain
    order, and SHA-256 over each entry's canonical bytes (`hashing.entry_hash`, the hashing any
    verification must do). The codes of accounts, funds, units and source types first, into
    dicts; then one server-side cursor over the entries joined to their lines, grouped into
    entries as the rows stream by. No link, balance or head check, no record of the run.
    (Joining the codes in SQL instead measured the same, within the noise.) Returns how many
    entries it hashed."""
    from django.db import connection

    from fundmgr.ledger.hashing import entry_hash

    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection itself
    hashed = 0
    with raw.transaction():
        accounts = dict(raw.execute("SELECT id, code FROM ledger_account").fetchall())
        funds = dict(raw.execute("SELECT id, code FROM ledger_fund").fetchall())
        units = dict(raw.execute("SELECT id, code FROM orgs_orgunit").fetchall())
        types = {pk: f"{app}.{model}:" for pk, app, model in raw.execute(
            "SELECT id, app_label, model FROM django_content_type"
        ).fetchall()}

        def hash_entry(row, lines):
            _id, unit_id, date, memo, type_id, source_id, reverses, reason, previous = row[:9]
            entry_hash(
                previous_hash=previous, unit_code=units[unit_id], date_iso=date.isoformat(), memo=memo,
                source=types[type_id] + source_id if type_id else "", reverses_hash=reverses or "",
                reversal_reason=reason, lines=lines,
            )

        with raw.cursor(name="bench_bare_read") as cursor:
            cursor.itersize = 10_000
            cursor.execute(
                "SELECT e.id, e.unit_id, e.date, e.memo, e.source_type_id, e.source_id, r.hash, e.reversal_reason,"
                " e.previous_hash, e.hash, l.account_id, l.fund_id, l.debit, l.credit"
                " FROM ledger_journalentry e LEFT JOIN ledger_journalentry r ON r.id = e.reverses_id"
                " JOIN ledger_journalline l ON l.entry_id = e.id ORDER BY e.id, l.id"
            )
            current, lines = None, []
            for row in cursor:
                if current is not None and row[0] != current[0]:
                    hash_entry(current, lines)
                    hashed += 1
                    lines = []
                current = row
                lines.append((accounts[row[10]], funds[row[11]], row[12], row[13]))
            if current is not None:
                hash_entry(current, lines)
                hashed += 1
    return hashed


def load(target_lines: int) -> tuple[int, int]:
    from django.db import connection, transaction

    from fundmgr.ledger import accounts
    from fundmgr.ledger.hashing import GENESIS_HASH, entry_hash
    from fundmgr.ledger.models import Account, Fund, LedgerChainHead
    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Hội Khuyến học (bench)", code="BENCH", kind=OrgUnit.Kind.PROVINCE)
    funds = [Fund.objects.create(code=f"B{number:02d}", name=f"Quỹ bench {number}", unit=unit) for number in range(20)]
    account_ids = dict(Account.objects.values_list("code", "pk"))
    start_day = datetime.date(2020, 1, 1)
    created_at = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)

    entry_rows, line_rows = [], []
    previous = GENESIS_HASH
    entry_id = line_id = 0
    while line_id < target_lines:
        entry_id += 1
        kind = entry_id % 5  # 0, 1, 2: donations, 3: scholarship, 4: transfer
        fund = funds[entry_id % len(funds)]
        day = start_day + datetime.timedelta(days=entry_id // 400)
        if kind == 4 and target_lines - line_id >= 4:
            other = funds[(entry_id + 7) % len(funds)]
            amount = 100_000
            memo = f"Điều chuyển {fund.code} → {other.code}"
            lines = [
                (accounts.FUND_TRANSFERS, fund, amount, 0), (accounts.BANK, fund, 0, amount),
                (accounts.BANK, other, amount, 0), (accounts.FUND_TRANSFERS, other, 0, amount),
            ]
        elif kind == 3:
            amount = 500_000
            memo = f"Chi học bổng đợt {entry_id}"
            lines = [(accounts.SCHOLARSHIP_EXPENSE, fund, amount, 0), (accounts.BANK, fund, 0, amount)]
        else:
            amount = 1_000_000 + entry_id % 1000 * 1000
            memo = f"Ủng hộ Tết khuyến học, mã {entry_id}"
            lines = [(accounts.BANK, fund, amount, 0), (accounts.DONATION_INCOME, fund, 0, amount)]
        digest = entry_hash(
            previous_hash=previous, unit_code=unit.code, date_iso=day.isoformat(), memo=memo, source="",
            reverses_hash="", reversal_reason="",
            lines=[(account, line_fund.code, debit, credit) for account, line_fund, debit, credit in lines],
        )
        entry_rows.append((entry_id, unit.pk, day, memo, "", "", created_at, previous, digest))
        for account, line_fund, debit, credit in lines:
            line_id += 1
            line_rows.append((line_id, entry_id, account_ids[account], line_fund.pk, debit, credit))
        previous = digest

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.cursor
        with raw.copy(
            "COPY ledger_journalentry (id, unit_id, date, memo, source_id, reversal_reason, created_at,"
            " previous_hash, hash) FROM STDIN"
        ) as copy:
            for row in entry_rows:
                copy.write_row(row)
        with raw.copy("COPY ledger_journalline (id, entry_id, account_id, fund_id, debit, credit) FROM STDIN") as copy:
            for row in line_rows:
                copy.write_row(row)
        cursor.execute("SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), %s)", [entry_id])
        cursor.execute("SELECT setval(pg_get_serial_sequence('ledger_journalline', 'id'), %s)", [line_id])
        LedgerChainHead.objects.filter(pk=LedgerChainHead.SINGLETON_PK).update(
            last_entry_id=entry_id, last_hash=previous, entry_count=entry_id
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_journalentry")
        cursor.execute("ANALYZE ledger_journalline")
    return entry_id, line_id


if __name__ == "__main__":
    main()

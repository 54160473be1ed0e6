"""How fast is the bank-statement import against simply reading the file and storing its lines?

    .venv/bin/python bench/bank_import.py [--lines 10000] [--pledges 500] [--database-url URL]

Creates a fresh database (SQLite file `var/bench-bank-import.sqlite3` by default, the embedded
mode; or PostgreSQL with `--database-url postgres://…/fundmgr_bench_bank`, dropped and created),
migrates it, creates a campaign with `--pledges` pledges, and generates a deterministic
Vietcombank-style statement of `--lines` lines (60 % carry a pledge reference written in the
ways donors write it, 5 % a mistyped code, 30 % no code, 5 % bank fees going out).

Measured in the same run:
- baseline: `csv.reader` over the file plus `bulk_create` of one BankStatementLine per credit
  line (the least any import must do: read and store);
- `statement_import`: read, key, store, match, and record each matched line as a payment with
  its journal entry (hash chain) and its receipt, in chunks of one transaction each;
- the same file imported again (every line already known: nothing is written).
It also prints the import's CPU: this process's (Python) and, on PostgreSQL on the same machine,
its backend's (`/proc/<pid>/stat`), which a loaded machine's wall clock does not show apart.
Work that runs after commit (receipt PDFs and e-mails, pledge e-mails) is queued, as the
Celery worker does it in production; the script counts those jobs and does not run them.
Prints times, lines per second and the ratios. Not part of the test suite.
"""

import argparse
import csv
import datetime
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import backend_cpu  # noqa: E402  (bench/, the script's own folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--pledges", type=int, default=500)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-bank-import.sqlite3'}")
    options = parser.parse_args()

    url = options.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    queued = []
    # After-commit work (PDFs, e-mails) belongs to the worker: count it, do not run it here.
    transaction.on_commit = lambda callback, using=None, robust=False: queued.append(callback)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    campaign, references = setup(options.pledges)
    content, with_reference = statement(references, options.lines)
    print(f"{options.pledges} pledges; statement of {options.lines:,} lines, {with_reference:,} with a reference "
          f"({connection.vendor}{' ' + str(connection.pg_version // 10000) if connection.vendor == 'postgresql' else ''})")

    from donations.models import BankStatementImport, BankStatementLine
    from donations.services.bank_statement import statement_import

    baseline_started = time.perf_counter()
    stored = baseline(content, campaign, BankStatementImport, BankStatementLine)
    baseline_seconds = time.perf_counter() - baseline_started
    BankStatementLine.objects.filter(bank_reference__startswith="BASE-").delete()

    queued.clear()
    backend = BackendUsage(connection) if connection.vendor == "postgresql" else None
    import_started, import_cpu = time.perf_counter(), time.process_time()
    result = statement_import(unit=campaign.unit, campaign=campaign, file_name="bench.csv", content=content)
    import_seconds, import_cpu = time.perf_counter() - import_started, time.process_time() - import_cpu
    jobs = len(queued)
    backend_report = backend.report() if backend else []

    again_started = time.perf_counter()
    again = statement_import(unit=campaign.unit, campaign=campaign, file_name="bench.csv", content=content)
    again_seconds = time.perf_counter() - again_started
    assert result.lines_matched == with_reference, (result.lines_matched, with_reference)
    assert again.lines_new == 0 and again.lines_matched == 0

    lines = options.lines
    print(f"baseline: csv.reader + bulk_create of {stored:,} lines: {baseline_seconds:7.2f} s {lines / baseline_seconds:10,.0f} lines/s")
    print(f"statement_import ({result.lines_matched:,} payments):  {import_seconds:7.2f} s {lines / import_seconds:10,.0f} lines/s"
          f"   ({result.lines_matched / import_seconds:,.0f} payments/s; {jobs:,} after-commit jobs queued)")
    print(f"  CPU of the import: this process {import_cpu:.2f} s" + "".join(f"; {line}" for line in backend_report[:1]))
    for line in backend_report[1:]:
        print(f"  {line}")
    print(f"the same file again (nothing new):    {again_seconds:7.2f} s {lines / again_seconds:10,.0f} lines/s")
    print(f"ratio import / baseline:              {import_seconds / baseline_seconds:7.1f}")
    print(f"ratio re-import / baseline:           {again_seconds / baseline_seconds:7.1f}")


class BackendUsage:
    """PostgreSQL: the CPU of this connection's server process and the time in the audit trigger
    functions between creation and `report()` (the import runs on this one connection).

    The CPU is utime + stime of `/proc/<backend pid>/stat` (the server must run on this machine;
    otherwise only the functions are reported). The functions' times come from
    `pg_stat_user_functions` with `track_functions = 'pl'` set for this session (a superuser's
    setting: the bench connects as one), read before and after, the backend's pending counts
    flushed first (`pg_stat_force_next_flush`, PostgreSQL 15).
    """

    FUNCTIONS = ("audit_capture", "audit_capture_statement", "audit_mask_row")

    def __init__(self, connection):
        self.connection = connection
        with connection.cursor() as cursor:
            cursor.execute("SET track_functions = 'pl'")
        self.functions = self._functions()
        self.cpu = self._cpu()

    def report(self) -> list[str]:
        cpu = self._cpu()
        functions = self._functions()
        lines = [f"its PostgreSQL backend {cpu - self.cpu:.2f} s" if cpu is not None and self.cpu is not None
                 else "the PostgreSQL backend's CPU is not readable here"]
        for name in self.FUNCTIONS:
            after, before = functions.get(name, (0, 0.0, 0.0)), self.functions.get(name, (0, 0.0, 0.0))
            calls, total, own = (now - then for now, then in zip(after, before, strict=True))
            if calls:
                lines.append(f"{name}: {calls:,} calls, {total:,.0f} ms total, {own:,.0f} ms self")
        return lines

    def _cpu(self):
        return backend_cpu(self.connection)

    def _functions(self) -> dict[str, tuple[int, float, float]]:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed when this statement ends
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions WHERE funcname = ANY(%s)",
                [list(self.FUNCTIONS)],
            )
            return {name: (calls, total, own) for name, calls, total, own in cursor.fetchall()}


def setup(pledge_count: int):
    from django.utils import timezone

    from campaigns.models import Campaign
    from donations.models import Pledge
    from donations.services import pledge_create
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Tết khuyến học 2026", slug="tet-khuyen-hoc-2026", unit=unit, lunar_year=2026, reference_prefix="TKH26",
        starts_on=today - datetime.timedelta(days=60), ends_on=today + datetime.timedelta(days=60), goal=6_000_000_000,
        default_fund=fund, status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.set([fund])
    references = [
        pledge_create(campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
                      amount=10**9, channel=Pledge.Channel.ADMIN)[0].reference
        for index in range(pledge_count)
    ]
    return campaign, references


def statement(references, lines: int, seed: int = 2026) -> tuple[bytes, int]:
    from django.utils import timezone

    rng = random.Random(seed)
    day = timezone.localdate() - datetime.timedelta(days=2)
    rows = ["STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả"]
    with_reference = 0
    for number in range(1, lines + 1):
        amount = f"{rng.choice([100_000, 200_000, 500_000, 1_000_000, 2_000_000]):,}".replace(",", ".")
        debit, credit = "", amount
        kind = rng.random()
        if kind < 0.6:
            prefix, code = rng.choice(references).split("-")
            memo = rng.choice([f"MBVCB.{number}.ung ho {prefix}-{code}", f"ung ho {prefix.lower()} {code.lower()}",
                               f"UNG HO {prefix}{code} KHUYEN HOC", f"Ủng hộ quỹ khuyến học {prefix}-{code[:2]} {code[2:]}"])
            with_reference += 1
        elif kind < 0.65:
            memo = f"ung ho TKH26-{rng.choice('ABC')}0{rng.choice('DEF')}1"
        elif kind < 0.95:
            memo = f"chuyen tien {number}"
        else:
            memo, debit, credit = "Phi quan ly tai khoan", "11.000", ""
        rows.append(f"{number};{day:%d/%m/%Y};5213.{number:08d};{debit};{credit};0;{memo}")
    return ("\n".join(rows) + "\n").encode(), with_reference


def baseline(content: bytes, campaign, BankStatementImport, BankStatementLine) -> int:
    """Read the file with csv.reader and store each credit line: no matching, no payments."""
    statement_row = BankStatementImport.objects.create(unit=campaign.unit, file_name="baseline.csv", file_sha256="-",
                                                       format="vcb")
    reader = csv.reader(io.StringIO(content.decode()), delimiter=";")
    next(reader)
    objects = []
    for number, date, reference, _debit, credit, _balance, memo in reader:
        if not credit:
            continue
        objects.append(BankStatementLine(
            statement=statement_row, line_number=int(number), amount=int(credit.replace(".", "")), memo=memo,
            transaction_date=datetime.datetime.strptime(date, "%d/%m/%Y").date(), bank_reference=f"BASE-{reference}",
        ))
    BankStatementLine.objects.bulk_create(objects, batch_size=500)
    return len(objects)


if __name__ == "__main__":
    main()

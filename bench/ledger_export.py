"""How fast is the general journal export against PostgreSQL's own COPY, and XLSX against raw openpyxl?

    .venv/bin/python bench/ledger_export.py [--lines 1000000] [--keep]

Creates (drops first) the database `fundmgr_bench_export` (or BENCH_DATABASE_URL), migrates it and
loads a valid hash-chained ledger of `--lines` journal lines with `bench/ledger_verify.py`'s loader
(donations, scholarship payments and transfers over 20 funds; memos with commas, so quoted).

Measured side by side in one run, each step in a fresh process of its own (so that its peak
memory, `ru_maxrss`, is its own and not the loader's; the loader runs in a child too), one run each:
- COPY: `COPY (SELECT <the general journal's columns, same joins, same order>) TO STDOUT (FORMAT csv)`
  streamed into a file: the floor;
- CSV, the exporter path: `export_write(general_journal, "csv")` inside a REPEATABLE READ
  transaction, as `export_ledger` and the reports app run it (on PostgreSQL its COPY fast path);
- CSV, the generic rows path: `write_csv` over `general_journal_rows` (ORM, pk batches), for reference;
- XLSX: `write_xlsx` over the rows, against raw openpyxl write-only appending the same rows.
Prints times, rows per second, the ratios (floor time / our time: 1.0 is as fast as the floor)
and each step's peak memory. Not part of the test suite.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_export"
STEPS = ("copy", "csv", "csv_rows", "xlsx_raw", "xlsx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    parser.add_argument("--step", choices=("load", *STEPS), help=argparse.SUPPRESS)  # one measured step, in a child
    parser.add_argument("--output", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step == "load":
        django_on_bench_database(DEFAULT_URL, keep=True)
        from django.core.management import call_command
        from ledger_verify import load

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        entries, lines = load(options.lines)
        print(json.dumps({"entries": entries, "rows": lines, "seconds": time.perf_counter() - started}))
        return
    if options.step:
        django_on_bench_database(DEFAULT_URL, keep=True)
        print(json.dumps(measure(options.step, Path(options.output))))
        return

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.db import connection

    # Linux carries a process's peak memory across fork and exec: the loader (which holds the
    # rows it loads) and the measured steps each run in a child of this small process.
    environment = {**os.environ, "BENCH_DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)}

    def child(step: str, output: Path) -> dict:
        command = [sys.executable, __file__, "--step", step, "--output", str(output), "--lines", str(options.lines)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
        return json.loads(finished.stdout.strip().splitlines()[-1])

    if fresh:
        loaded = child("load", Path(os.devnull))
        print(f"migrated and loaded {loaded['entries']:,} entries / {loaded['rows']:,} lines in {loaded['seconds']:.1f} s")
    print(f"PostgreSQL {connection.pg_version // 10000}, Python {sys.version.split()[0]}; "
          f"this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB before the steps")
    connection.close()

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for step in STEPS:
            output = Path(folder) / f"{step}.out"
            results[step] = child(step, output)
            result = results[step]
            print(f"{step:9} {result['seconds']:7.2f} s {result['rows'] / result['seconds']:11,.0f} rows/s"
                  f"  {result['bytes'] / 1e6:7.1f} MB file  peak memory {result['maxrss_mb']:6.1f} MB", flush=True)
            output.unlink()
    print(f"CSV exporter path / COPY (speed ratio):     {results['copy']['seconds'] / results['csv']['seconds']:.2f}")
    print(f"CSV rows path / COPY (speed ratio):         {results['copy']['seconds'] / results['csv_rows']['seconds']:.2f}")
    print(f"XLSX write_xlsx / raw openpyxl (speed ratio): {results['xlsx_raw']['seconds'] / results['xlsx']['seconds']:.2f}")
    print(f"same bytes, COPY fast path and rows path: {results['csv']['sha256'] == results['csv_rows']['sha256']}")


def measure(step: str, output: Path) -> dict:
    from django.db import connection, transaction
    from django.db.models import Q

    from fundmgr.core.exporting import ExportRequest, export_write, exporter_get, write_csv, write_xlsx
    from fundmgr.ledger.exporters import _journal_copy_sql, general_journal_rows

    exporter = exporter_get("general_journal")
    request = ExportRequest(params={})
    result = {"rows": 0, "sha256": ""}
    started = time.perf_counter()
    with transaction.atomic(), output.open("wb") as file:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if step == "copy":
            sql, _params = _journal_copy_sql(Q())  # the fast path's joins and order, plain columns
            plain = (
                "SELECT e.id, e.date, u.code, e.memo, CASE WHEN e.source_type_id IS NULL THEN '' ELSE"
                " t.app_label || '.' || t.model || ':' || e.source_id END, coalesce(r.hash, ''), e.reversal_reason,"
                " e.previous_hash, e.hash, a.code, f.code, l.debit, l.credit" + sql[sql.index(" FROM "):]
            )
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({plain}) TO STDOUT (FORMAT csv)") as copy:
                for data in copy:
                    file.write(data)
                    result["rows"] += 1
        elif step == "csv":
            manifest = export_write(exporter, request, "csv", file)
            result.update(rows=manifest.rows, sha256=manifest.sha256)
        elif step == "csv_rows":
            manifest = write_csv(exporter.columns_for(request), general_journal_rows(request), file)
            result.update(rows=manifest.rows, sha256=manifest.sha256)
        elif step == "xlsx":
            manifest = write_xlsx(exporter.columns_for(request), general_journal_rows(request), file)
            result.update(rows=manifest.rows)
        else:
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet(title="Báo cáo")
            sheet.append([str(column.label) for column in exporter.columns_for(request)])
            for row in general_journal_rows(request):
                sheet.append(row)
                result["rows"] += 1
            workbook.save(file)
    result["seconds"] = time.perf_counter() - started
    result["bytes"] = output.stat().st_size
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    main()

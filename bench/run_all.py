"""`make bench`: every benchmark against its baseline, at three sizes, in one run.

    .venv/bin/python bench/run_all.py                      # sizes 10,000, 100,000 and 1,000,000
    BENCH_SIZES=2000,20000 .venv/bin/python bench/run_all.py   # a quick pass
    .venv/bin/python bench/run_all.py --only public_pages,ledger_verify

Each benchmark is its own script (see bench/README.md): it builds its data (PostgreSQL, with COPY
where the size calls for it; bench/data.py holds the campaign of pledges and payments), measures
the real code path and its baseline in the same process, interleaved where it repeats, and prints
both figures and their ratio. This driver runs them one after another, in processes of their own,
at each size, keeps their whole output in var/bench/, and ends with one table of every line that
carries a ratio, so that a reader sees how each cost grows from one size to the next.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")


def scaled(size: int) -> dict[str, list[str]]:
    """The command line of each benchmark at `size` (the size of the history it runs against)."""
    return {
        # Payments with 1 and 8 writers (their own data).
        "campaign_speed": ["campaign_speed.py", "--payments", "25"],
        # The campaign page and the statement at `size` pledges, each paid once, under gunicorn and wrk.
        "public_pages": ["public_pages.py", "--pledges", str(size), "--seconds", "5", "--rounds", "2",
                         "--database-url", f"{PG}/fundmgr_bench_public"],
        # The pledge POST (API and form) under gunicorn and wrk against a bare insert, on a
        # campaign of `size` past payments (issue #17).
        "pledge_post": ["pledge_post.py", "--history", str(size), "--seconds", "5", "--rounds", "2"],
        "ledger_verify": ["ledger_verify.py", "--lines", str(size), "--repeat", "1"],
        "ledger_export": ["ledger_export.py", "--lines", str(size)],
        "transparency_tree": ["transparency_tree.py", "--lines", str(size), "--repeat", "3"],
        # The sizes for allocation are 5,000, 50,000 and 100,000 nominations; the exact
        # MILP checks the count where it takes seconds, and the small instances once.
        "allocation": ["allocation.py", "--students", str(min(size // 2, 100_000)), "--funds", "50", "--repeat", "1",
                       "--milp-up-to", "5000", *(["--exact", "30x3,60x4,100x6,200x8"] if size <= 10_000 else [])],
        # The import records each matched line as a payment: 10,000 lines is a large bank file.
        "bank_import": ["bank_import.py", "--lines", str(min(size // 10, 10_000)),
                        "--database-url", f"{PG}/fundmgr_bench_bank"],
    }


# bench/statement.py (the statement's sums in-process) and bench/pledge_form.py (the form in the
# test client, embedded mode) are left out: public_pages and pledge_post measure the same paths
# under gunicorn against the baselines. Both still run alone.
ONCE = {  # size does not change what these measure
    "receipt_pdf": ["receipt_pdf.py", "--receipts", "300"],
    # A Tết evening: pledges by form and API, payments, the campaign page, a report; then the check.
    "load": ["load.py", "--seconds", "60"],
}
RATIO_AT_END = re.compile(r"ratio.*?(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
TIMES_BASELINE = re.compile(r"\sx\s*(\d+(?:\.\d+)?)")  # "x 5.1": times the baseline's time


def ratio_lines(output: str) -> list[tuple[str, str]]:
    """(the line, its ratio) for every line of `output` that prints a ratio."""
    rows = []
    for line in output.splitlines():
        found = RATIO_AT_END.search(line) or TIMES_BASELINE.search(line)
        if found:
            rows.append((" ".join(line.split()), found.group(1)))
        elif line.startswith(("check:", "CHECK FAILED")):  # the load test's verdict
            rows.append((line.strip(), "–"))
    return rows


def run(name: str, argv: list[str], log) -> tuple[float, int, str]:
    command = [PYTHON, str(ROOT / "bench" / argv[0]), *argv[1:]]
    print(f"\n=== {name}: {' '.join(['bench/' + argv[0], *argv[1:]])}", flush=True)
    log.write(f"\n=== {name}: {' '.join(command)}\n")
    started = time.perf_counter()
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    output = process.stdout + (f"\n[stderr]\n{process.stderr}" if process.returncode else "")
    print(process.stdout.rstrip())
    if process.returncode:
        print(f"FAILED (exit {process.returncode}):\n{process.stderr[-2000:]}")
    log.write(output)
    return elapsed, process.returncode, process.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    options = parser.parse_args()
    sizes = [int(text) for text in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
    only = {name for name in options.only.split(",") if name}
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    table: list[tuple[str, str, str, str]] = []
    failures = []
    with log_path.open("w") as log:
        plan = [(name, size, argv) for size in sizes for name, argv in scaled(size).items()]
        plan += [(name, None, argv) for name, argv in ONCE.items()]
        for name, size, argv in plan:
            if only and name not in only:
                continue
            elapsed, code, output = run(name, argv, log)
            if code:
                failures.append(f"{name} at {size}")
            for label, ratio in ratio_lines(output):
                table.append((name, f"{size:,}" if size else "–", label, ratio))
            print(f"({elapsed:.0f} s)")
    print("\n=== every ratio, as each benchmark prints it (its line says which way it reads)")
    print(f"{'benchmark':18} {'size':>10}  {'ratio':>8}  line")
    for name, size, label, ratio in table:
        print(f"{name:18} {size:>10}  {ratio:>8}  {label}")
    print(f"\nfull output: {log_path.relative_to(ROOT)}")
    if failures:
        print("FAILED: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

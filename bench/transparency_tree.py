"""How many rows and how long do a root and proofs of the stored transparency tree take? (PostgreSQL)

    .venv/bin/python bench/transparency_tree.py [--lines 200000] [--repeat 5] [--keep]

Creates (drops first) the database `fundmgr_bench_transparency` (or BENCH_DATABASE_URL), migrates
it and loads a hash-chained ledger with `ledger_verify.py`'s loader (about two lines per entry, so
`--lines 200000` gives about 100,000 entries). Then times `tree_sync` over the whole journal (the
first sync after a year of postings: the worst case) and a second, empty one, and, at the full
size, best of `--repeat`: `root(n)`, an inclusion proof with its root and a consistency proof with
both roots, each with its number of queries and of rows read, against the baseline of reading the
last stored leaf by its index (one indexed row). Not part of the test suite.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database, timed  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_transparency"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    options = parser.parse_args()

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from ledger_verify import load

    from fundmgr.transparency import tree
    from fundmgr.transparency.models import TreeNode

    if fresh:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        entries, lines = load(options.lines)
        print(f"loaded {entries:,} entries / {lines:,} lines in {time.perf_counter() - started:.1f} s")
    print(f"first tree_sync:  {timed(tree.tree_sync):7.2f} s  ({TreeNode.objects.count():,} nodes stored)")
    print(f"second tree_sync: {timed(tree.tree_sync):7.4f} s  (nothing new)")
    size = tree.stored_size()
    index = size // 3

    def baseline():
        TreeNode.objects.filter(level=0, index=size - 1).values_list("hash", flat=True).first()

    cases = [
        ("baseline: one leaf by index", baseline),
        (f"root({size})", lambda: tree.root(size)),
        (f"inclusion({index}, {size}) + root", lambda: tree.inclusion_proof_with_root(index, size)),
        (f"consistency({size // 2 + 1}, {size}) + roots", lambda: tree.consistency_proof_with_roots(size // 2 + 1, size)),
    ]
    baseline_time = None
    for name, run in cases:
        with CaptureQueriesContext(connection) as queries:
            run()
        seconds = min(timed(run) for _ in range(options.repeat))
        baseline_time = baseline_time or seconds
        print(f"{name:42} {seconds * 1000:8.2f} ms  x{seconds / baseline_time:5.1f}  {len(queries)} query")
    wanted = set()
    tree.merkle.inclusion_path(index, size, lambda start, end: tree.merkle.range_hash(start, end, lambda *key: wanted.add(key) or b""))
    print(f"rows read by the inclusion proof and root: {len(wanted) + 1} (log2 n = {size.bit_length()})")


if __name__ == "__main__":
    main()

"""How fast is the public statement of a campaign with 1,000,000 payments, against a bare view
returning the same bytes? (PostgreSQL)

    .venv/bin/python bench/statement.py [--payments 1000000] [--requests 200] [--keep]

Creates (drops first) the database `fundmgr_bench_statement` (or BENCH_DATABASE_URL), migrates
it, and loads, with COPY, a campaign of `--pledges` donors and pledges (70 % listed on the honor
roll, 8 % anonymous) and `--payments` payments over 90 days, each with what the real path leaves:
its journal entry (bank debit, donation income credit, the payment as source, hashed in the
chain with the same `entry_hash` posting uses) and its receipt. The load runs with
`session_replication_role = replica` (triggers off, as a restore does).

Then, through Django's full request stack (test client, DEBUG off, no network), in the same run:
- the first GET of `/c/<slug>/statement/`: it sums the payments and reads the fund statement once
  (the summary's cache is empty; every later request finds it under the chain head);
- median of `--requests` GETs of a bare view that returns the statement page's bytes;
- median of `--requests` GETs of the statement's page 1, and of a page in the middle (a cursor).
Prints the medians and the ratios. The cache is the local-memory one (REDIS_URL is unset); with
Redis, add one round trip. Not part of the test suite.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database  # noqa: E402  (bench/, the script's own folder)
from data import SLUG, load  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_statement"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    options = parser.parse_args()

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import path

    import fundmgr.urls

    if fresh:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        load(payments=options.payments, pledges=options.pledges)
        print(f"loaded {options.payments:,} payments (entries, lines, receipts) in {time.perf_counter() - started:.1f} s")

    from donations.models import Payment

    count = Payment.objects.count()
    page_bytes = {}
    fundmgr.urls.urlpatterns.insert(0, path("bench-bare/", lambda request: HttpResponse(page_bytes["page"])))
    setup_test_environment()
    url = f"/c/{SLUG}/statement/"
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        client = Client()
        started = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.status_code
        page_bytes["page"] = first.content
        middle = Payment.objects.order_by("received_on", "pk").values_list("received_on", "pk")[count // 2]
        middle_url = f"{url}?after={middle[0].isoformat()}.{middle[1]}"
        assert client.get(middle_url).status_code == 200

        def median(target: str) -> float:
            times = []
            for _ in range(options.requests):
                started = time.perf_counter()
                response = client.get(target)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
            return statistics.median(times)

        bare = median("/bench-bare/")
        page_one = median(url)
        page_middle = median(middle_url)
    print(f"{count:,} payments of one campaign (PostgreSQL {connection.pg_version // 10000}, DEBUG off, full middleware)")
    print(f"first request (computes and caches the sums): {cold * 1000:8.1f} ms")
    print(f"bare view, same {len(page_bytes['page']):,} bytes, median:      {bare * 1000:8.2f} ms")
    print(f"statement page 1, median:                 {page_one * 1000:8.2f} ms   ratio {page_one / bare:6.1f}")
    print(f"statement page in the middle, median:     {page_middle * 1000:8.2f} ms   ratio {page_middle / bare:6.1f}")


if __name__ == "__main__":
    main()

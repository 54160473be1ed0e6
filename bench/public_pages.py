"""The campaign page and the public statement under gunicorn, against a bare view returning the
same bytes, at a campaign of `--pledges` pledges (PostgreSQL).

    .venv/bin/python bench/public_pages.py --pledges 100000 [--seconds 5] [--rounds 2] [--keep]
        [--port 8199] [--redis-url redis://127.0.0.1:6379/15 (or BENCH_REDIS_URL)]

Creates (drops first) the database `fundmgr_bench_public` (or BENCH_DATABASE_URL), migrates it and
loads with COPY (`bench/data.py`) a Tết campaign of `--pledges` donors and pledges with one
payment each (journal entries, receipts), then its running totals. Then serves the project with
gunicorn (`bench/httpbench.py`: production settings, the production server, persistent database
connections; the cache is Redis when `--redis-url` is given, as in production, else each worker's
local memory) and drives it with wrk, 16 connections, `--seconds` a run, on 127.0.0.1:

- each page is fetched once (which also computes and caches what it caches: the statement's sums,
  the rendered body), its bytes are stored for the bare view `/bench/bare/bytes/<name>/`;
- after the statement's runs, three times: one payment recorded (`payment_record`), then the
  statement fetched twice at a link the page cache does not keep: the first request updates the
  sums from the previous summary by the new entries only, the second finds them cached;
- then, interleaved `--rounds` times: the page, the bare view; then once the same page at a link
  the page cache does not keep (an extra query parameter), so rendered on every request: what a
  request costs right after a payment, when the cached body has just been left behind.

Prints req/s, p50 and p99 of each run and, per page, the ratio of the page's throughput to the
bare view's over all rounds (the issue's bar: 0.5). Not part of the test suite.
"""

import argparse
import http.client
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database  # noqa: E402  (bench/, the script's own folder)
from data import SLUG, load  # noqa: E402
from httpbench import bytes_save, gunicorn, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_public"


def fetch(url: str) -> tuple[int, bytes, float]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    body = response.read()
    return response.status, body, time.perf_counter() - started


def measure(base: str, name: str, path: str, options) -> None:
    status, body, first = fetch(base + path)
    assert status == 200, (path, status)
    bytes_save(name, body)  # before the first request of the bare view, which reads it once per worker
    uncached = path + ("&" if "?" in path else "?") + "bench=uncached"
    runs: dict[str, list] = {"page": [], "bare": [], "uncached": []}
    plan = [(kind, target) for _round in range(options.rounds)
            for kind, target in (("page", path), ("bare", f"/bench/bare/bytes/{name}/"))]
    for kind, target in [*plan, ("uncached", uncached)]:
        result = wrk(base + target, connections=options.connections, seconds=options.seconds)
        assert result.non_2xx_3xx == 0 and result.socket_errors == 0, (target, result)
        runs[kind].append(result)
        print(f"    {kind:9} {result.line()}", flush=True)
    time.sleep(3)  # the slow requests wrk left in flight finish before the next page's runs

    def rate(kind: str) -> float:
        return sum(run.requests for run in runs[kind]) / sum(run.seconds for run in runs[kind])

    def p50(kind: str) -> float:
        return statistics.median(run.p50_ms for run in runs[kind])

    def p99(kind: str) -> float:
        return statistics.median(run.p99_ms for run in runs[kind])

    bare = rate("bare")
    print(f"  {name}: {len(body):,} bytes; first request {first * 1000:.0f} ms")
    print(f"    {'bare view, same bytes':45} {bare:8.1f} req/s  p50 {p50('bare'):6.2f} ms  p99 {p99('bare'):7.2f} ms")
    for kind, label in (("page", f"{name} (cached body)"), ("uncached", f"{name} rendered each time")):
        print(f"    {label:45} {rate(kind):8.1f} req/s  p50 {p50(kind):6.2f} ms  p99 {p99(kind):7.2f} ms"
              f"  ratio page/bare {rate(kind) / bare:.3f}")


def after_new_payments(base: str, path: str, count: int = 3) -> None:
    """The first request of the statement after one new payment, its previous summary cached: the
    sums are updated by the new entries only (`donations.statement._summary_compute`), where the
    page's first request above summed the whole campaign. `count` times, one payment each."""
    from django.db import connection
    from django.utils import timezone

    from donations.models import Payment, Pledge
    from donations.services import payment_record

    pledge = Pledge.objects.filter(campaign__slug=SLUG).select_related("donor", "campaign__unit").order_by("pk").first()
    # A link the cache of rendered pages does not keep: this process's page version is not the
    # server's (its cache is not the server's Redis), and the sums are what is measured.
    uncached = base + path + ("&" if "?" in path else "?") + "bench=after-payment"
    first, again = [], []
    for number in range(count):
        payment_record(donor=pledge.donor, pledge=pledge, amount=100_000 + number, method=Payment.Method.CASH,
                       received_on=timezone.localdate(), unit=pledge.campaign.unit, overpayment_reason="bench")
        for times in (first, again):
            status, _body, seconds = fetch(uncached)
            assert status == 200, (path, status)
            times.append(seconds * 1000)
    connection.close()
    print(f"  public-statement after one new payment (previous summary cached): first request "
          f"{', '.join(f'{ms:.0f}' for ms in first)} ms; the next (sums cached) {', '.join(f'{ms:.0f}' for ms in again)} ms",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=100_000, help="pledges, each with one payment")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""),
                        help="the cache, as in production (else each worker's memory); its database is emptied")
    parser.add_argument("--database-url", default="", help="instead of BENCH_DATABASE_URL (dropped and made afresh)")
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    options = parser.parse_args()

    if options.database_url:
        os.environ["BENCH_DATABASE_URL"] = options.database_url
    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection

    if fresh:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        load(payments=options.pledges, pledges=options.pledges)
        print(f"loaded {options.pledges:,} pledges and payments, tallied, in {time.perf_counter() - started:.1f} s")
    from donations.models import Payment, Pledge

    pledges, payments = Pledge.objects.count(), Payment.objects.count()
    middle = Payment.objects.order_by("received_on", "pk").values_list("received_on", "pk")[payments // 2]
    database_url = os.environ["DATABASE_URL"]  # set by django_on_bench_database
    version = connection.pg_version // 10000
    connection.close()
    if options.redis_url:
        import redis

        redis.Redis.from_url(options.redis_url).flushdb()  # the bench's own database number
    print(f"campaign of {pledges:,} pledges and {payments:,} payments (PostgreSQL {version}); gunicorn, "
          f"wrk -c {options.connections}, {options.seconds} s a run, {options.rounds} rounds; cache: "
          f"{'Redis' if options.redis_url else 'local memory per worker'}", flush=True)
    with gunicorn(database_url=database_url, port=options.port, redis_url=options.redis_url or None,
                  log_name="public-pages") as base:
        measure(base, "public-campaign", f"/c/{SLUG}/", options)
        measure(base, "public-statement", f"/c/{SLUG}/statement/", options)
        after_new_payments(base, f"/c/{SLUG}/statement/")
        measure(base, "public-statement-middle", f"/c/{SLUG}/statement/?after={middle[0].isoformat()}.{middle[1]}",
                options)


if __name__ == "__main__":
    main()

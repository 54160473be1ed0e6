"""A Tết evening under load, then the books checked: nothing acknowledged lost, nothing doubled.

    .venv/bin/python bench/load.py [--seconds 60] [--donors 8] [--integrations 4] [--treasurers 2]
                                   [--pollers 2] [--history 100000] [--workers 4]

Creates (drops first) the database `fundmgr_bench_load` (or BENCH_DATABASE_URL), migrates it,
loads a campaign with `--history` past payments (bench/data.py), a treasurer with a read-write
API token, then starts the production stack on 127.0.0.1: gunicorn (`--workers` gthread workers,
persistent connections; `bench/httpbench.py`) with `bench/http_settings.py` (production settings;
only the per-address limits are lifted, since every simulated donor comes from one address) and a
Celery worker on Redis DB 12 rendering receipts. For `--seconds`, at the same time:
- donors: GET the pledge form, POST it (CSRF token, cookie), follow nothing;
- integrations: POST pledges to the API with an Idempotency-Key, and one request in five is sent
  twice (a client retrying after a timeout): the retry must answer the same pledge;
- treasurers: POST payments to the API for the pledges made so far (Idempotency-Key, retried too);
- pollers: GET the campaign page;
- one report run (the general journal as CSV) is requested and polled until done.
Every answer is counted by kind: throughput, p50 and p99, and errors by status. Then the check:
every pledge and payment a client saw acknowledged (201/303, or 200 for a retry) is in the
database exactly once (its reference or id, and no two records for one idempotency key), receipt
numbers run without a gap in every (unit, year), every payment has its receipt and its journal
entry, and `verify_ledger` passes. Exits 1 when the check finds anything.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import django_on_bench_database  # noqa: E402
from data import SLUG, load  # noqa: E402
from httpbench import celery_worker, gunicorn, treasurer_with_token  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_load"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PORT = int(os.environ.get("BENCH_PORT", "8199"))


class Recorder:
    """Latencies and statuses per kind of request, and what the clients saw acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(Counter)
        self.pledges = set()  # references acknowledged
        self.payments = set()  # ids acknowledged
        self.pledge_keys = {}  # idempotency key -> reference
        self.payment_keys = {}  # idempotency key -> payment id
        self.problems = []
        self.payment_refusals = []  # the first 400's body, to say why

    def record(self, kind, seconds, status):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1


class Client:
    """One keep-alive connection with its cookies, like one browser or one integration."""

    def __init__(self, token=None):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        self.cookies = {}
        self.token = token

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            return time.perf_counter() - started, 0, b"", {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return time.perf_counter() - started, response.status, content, dict(response.getheaders())

    def json(self, method, path, payload, key=None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        return self.request(method, path, json.dumps(payload).encode(), headers)


def donor_loop(stop, recorder, number):
    client = Client()
    count = 0
    while not stop.is_set():
        seconds, status, content, _headers = client.request("GET", f"/c/{SLUG}/pledge/")
        recorder.record("form GET", seconds, status)
        if status != 200:
            continue
        page = content.decode()
        hidden = dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key|started)" value="([^"]*)"', page))
        fund = re.search(r'name="fund"[^>]*>\s*<option value="([^"]+)"', page) or re.search(
            r'name="fund" value="([^"]+)"', page)
        count += 1
        form = {
            "donor_name": f"Nguyễn Thị Hoà {number}-{count}", "donor_kind": "individual",
            "email": f"hoa.{number}.{count}@example.vn", "phone": f"09{number:02d}{count:06d}"[:10], "tax_code": "",
            "address": "Phường Hạc Thành, Thanh Hóa", "amount": "500k", "fund": fund.group(1) if fund else "",
            "installments": "1", "list_on_honor_roll": "on", "message": "Chúc các em học giỏi", "website": "",
            **hidden,
        }
        seconds, status, _content, headers = client.request(
            "POST", f"/c/{SLUG}/pledge/", urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{PORT}/c/{SLUG}/pledge/"},
        )
        recorder.record("form POST", seconds, status)
        if status in (302, 303):
            reference = headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
            with recorder.lock:
                recorder.pledges.add(reference)


def integration_loop(stop, recorder, token, number, fund_code):
    client = Client(token)
    count = 0
    while not stop.is_set():
        count += 1
        key = f"load-pledge-{number}-{count}-{uuid.uuid4().hex[:8]}"
        payload = {"campaign": SLUG, "fund": fund_code, "donor_name": f"Công ty TNHH Hồng Phát {number}-{count}",
                   "donor_kind": "business", "email": f"ketoan.{number}.{count}@hongphat.vn", "amount": 2_000_000}
        for attempt in range(2 if count % 5 == 0 else 1):  # one in five is retried with the same key
            seconds, status, content, _headers = client.json("POST", "/api/v1/pledges/", payload, key)
            recorder.record("API pledge POST" + (" (retry)" if attempt else ""), seconds, status)
            if status in (200, 201):
                reference = json.loads(content)["reference"]
                with recorder.lock:
                    first = recorder.pledge_keys.setdefault(key, reference)
                    recorder.pledges.add(reference)
                    if first != reference:
                        recorder.problems.append(f"key {key} answered {first} then {reference}")


def treasurer_loop(stop, recorder, token, number):
    client = Client(token)
    count = 0
    while not stop.is_set():
        with recorder.lock:
            known = sorted(recorder.pledges)
        if not known:
            time.sleep(0.05)
            continue
        count += 1
        reference = known[(count * 7919 + number) % len(known)]
        key = f"load-payment-{number}-{count}-{uuid.uuid4().hex[:8]}"
        payload = {"pledge": reference, "amount": 100_000, "method": "bank_transfer",
                   "received_on": time.strftime("%Y-%m-%d"), "bank_reference": f"LOAD{number:02d}{count:08d}"}
        for attempt in range(2 if count % 5 == 0 else 1):
            seconds, status, content, _headers = client.json("POST", "/api/v1/payments/", payload, key)
            recorder.record("API payment POST" + (" (retry)" if attempt else ""), seconds, status)
            if status == 400 and not recorder.payment_refusals:
                recorder.payment_refusals.append(content[:300])
            if status in (200, 201):
                payment = json.loads(content)["id"]
                with recorder.lock:
                    first = recorder.payment_keys.setdefault(key, payment)
                    recorder.payments.add(payment)
                    if first != payment:
                        recorder.problems.append(f"key {key} answered payment {first} then {payment}")


def poller_loop(stop, recorder):
    client = Client()
    while not stop.is_set():
        seconds, status, _content, _headers = client.request("GET", f"/c/{SLUG}/")
        recorder.record("campaign page GET", seconds, status)


def report_once(stop, recorder, token):
    client = Client(token)
    seconds, status, content, _headers = client.json(
        "POST", "/api/v1/report-runs/", {"kind": "general_journal", "format": "csv"}, f"load-report-{uuid.uuid4().hex}")
    recorder.record("report run POST", seconds, status)
    if status not in (200, 201):
        recorder.problems.append(f"report run refused: {status} {content[:200]!r}")
        return
    run = json.loads(content)["id"]
    started = time.perf_counter()
    while time.perf_counter() - started < 600:
        seconds, status, content, _headers = client.request("GET", f"/api/v1/report-runs/{run}/")
        recorder.record("report run poll", seconds, status)
        state = json.loads(content).get("status") if status == 200 else None
        if state in ("done", "failed"):
            recorder.report_state = (state, time.perf_counter() - started)
            return
        time.sleep(0.5 if not stop.is_set() else 0.2)
    recorder.problems.append("the report run did not finish in 600 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--donors", type=int, default=8)
    parser.add_argument("--integrations", type=int, default=4)
    parser.add_argument("--treasurers", type=int, default=2)
    parser.add_argument("--pollers", type=int, default=2)
    parser.add_argument("--history", type=int, default=100_000, help="past payments loaded before the evening")
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    django_on_bench_database(DEFAULT_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load(payments=options.history, pledges=max(100, options.history // 100))
    token, fund = treasurer_with_token("thuquy_load", "load test")
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)

    from django.db import connection

    connection.close()  # the server's workers write; this process only checks afterwards
    with (
        gunicorn(database_url=url, port=PORT, workers=options.workers, redis_url=REDIS_URL, log_name="load-server"),
        celery_worker(database_url=url, redis_url=REDIS_URL, log_name="load-worker"),
    ):
        recorder = run_evening(options, token, fund.code)
    report(recorder, options)
    return check(recorder)


def run_evening(options, token, fund_code) -> Recorder:
    recorder = Recorder()
    recorder.report_state = None
    stop = threading.Event()
    threads = [threading.Thread(target=donor_loop, args=(stop, recorder, n)) for n in range(options.donors)]
    threads += [threading.Thread(target=integration_loop, args=(stop, recorder, token, n, fund_code))
                for n in range(options.integrations)]
    threads += [threading.Thread(target=treasurer_loop, args=(stop, recorder, token, n))
                for n in range(options.treasurers)]
    threads += [threading.Thread(target=poller_loop, args=(stop, recorder)) for _ in range(options.pollers)]
    reporter = threading.Thread(target=report_once, args=(stop, recorder, token))
    started = time.perf_counter()
    for thread in [*threads, reporter]:
        thread.start()
    time.sleep(options.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    reporter.join()
    recorder.elapsed = time.perf_counter() - started
    return recorder


def report(recorder, options):
    print(f"\n{options.seconds} s evening: {options.donors} donors (form), {options.integrations} integrations "
          f"(API pledges), {options.treasurers} treasurers (API payments), {options.pollers} campaign-page pollers, "
          f"one report; gunicorn {options.workers} gthread workers x 4 threads, a Celery worker on Redis")
    print(f"{'request':26} {'count':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for kind in sorted(recorder.latencies):
        times = sorted(recorder.latencies[kind])
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(recorder.statuses[kind].items()))
        print(f"{kind:26} {len(times):7} {len(times) / recorder.elapsed:8.1f} {statistics.median(times) * 1000:8.1f} "
              f"{p99 * 1000:8.1f}  {statuses}")
    if recorder.payment_refusals:
        print(f"a payment refused (400): {recorder.payment_refusals[0]!r}")
    if recorder.report_state:
        print(f"report run: {recorder.report_state[0]} after {recorder.report_state[1]:.1f} s")


def check(recorder) -> int:
    """Everything acknowledged is there exactly once, receipt numbers have no gap, the ledger verifies."""
    from django.core.management import call_command
    from django.db.models import Count, Max, Min

    from donations.models import Payment, Pledge
    from fundmgr.idempotency.models import IdempotencyKey
    from receipts.models import Receipt

    problems = list(recorder.problems)
    found = set(Pledge.objects.filter(reference__in=recorder.pledges).values_list("reference", flat=True))
    problems += [f"pledge {reference} acknowledged but not in the database" for reference in recorder.pledges - found]
    doubled = Pledge.objects.values("reference").annotate(n=Count("pk")).filter(n__gt=1)
    problems += [f"pledge reference {row['reference']} twice" for row in doubled]
    paid = set(Payment.objects.filter(pk__in=recorder.payments).values_list("pk", flat=True))
    problems += [f"payment {pk} acknowledged but not in the database" for pk in recorder.payments - paid]
    for label, keys in (("pledge", recorder.pledge_keys), ("payment", recorder.payment_keys)):
        rows = IdempotencyKey.objects.filter(key__in=list(keys)).values("key").annotate(n=Count("pk")).filter(n__gt=1)
        problems += [f"{label} key {row['key']} made {row['n']} records" for row in rows]
    without_receipt = Payment.objects.filter(pk__in=recorder.payments, receipt__isnull=True).count()
    if without_receipt:
        problems.append(f"{without_receipt} acknowledged payments without a receipt")
    without_entry = Payment.objects.filter(pk__in=recorder.payments, journal_entry__isnull=True).count()
    if without_entry:
        problems.append(f"{without_entry} acknowledged payments without a journal entry")
    for row in Receipt.objects.values("unit", "year").annotate(n=Count("pk"), low=Min("sequence"), high=Max("sequence")):
        if (row["low"], row["high"]) != (1, row["n"]):
            problems.append(f"receipt numbers of unit {row['unit']} in {row['year']}: {row['n']} receipts "
                            f"numbered {row['low']}..{row['high']}")
    try:
        call_command("verify_ledger")
    except SystemExit as exit_:
        if exit_.code:
            problems.append(f"verify_ledger failed ({exit_.code})")
    print(f"\nacknowledged: {len(recorder.pledges):,} pledges, {len(recorder.payments):,} payments; "
          f"retries answered the first record: {len(recorder.pledge_keys) + len(recorder.payment_keys):,} keys checked")
    if problems:
        print("CHECK FAILED:\n  " + "\n  ".join(problems[:50]))
        return 1
    print("check: nothing lost, nothing doubled, no gap in receipt numbers, the ledger verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())

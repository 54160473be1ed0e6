"""The pledge POST under gunicorn (issue #17): the API's and the public form's, against a bare insert.

    .venv/bin/python bench/pledge_post.py [--history 10000] [--seconds 5] [--rounds 2] [--connections 16]
                                          [--workers 4] [--statements] [--cpu-only PASSES]

Creates (drops first) the database `fundmgr_bench_pledge_post` (or BENCH_DATABASE_URL), migrates it
and loads a campaign with `--history` past payments (bench/data.py), so that the tables a pledge
touches hold realistic numbers of rows; then a treasurer with a read-write API token. Before the
server starts, one form POST and one API POST go through Django's test client: their SQL
statements and cache (Redis) calls are counted (`--statements` lists them); then 50 of each, and
of the bare view, measure this process's CPU per POST (`cpu_per_request`). These bodies are what
wrk sends: the form urlencoded (application/x-www-form-urlencoded, what a browser sends), the
API's and the bare view's JSON, not the test client's default multipart/form-data. With
`--cpu-only N` it stops there, after N passes of that measurement (no server, no wrk).

Then gunicorn (production settings, `bench/http_settings.py`, Redis from BENCH_REDIS_URL for the
rate limits and the e-mail queue as in production) serves, and wrk (`--connections`, 2 threads)
drives, interleaved, `--rounds` times each for `--seconds`:
- bare: `POST /bench/bare/insert/` (a bare Django view inserting one row in a transaction);
- API: `POST /api/v1/pledges/` with the token, a unique Idempotency-Key and a unique donor
  (e-mail) per request, made in wrk's `request()` from its thread number and a counter: 201;
- form: `POST /c/<slug>/pledge/` with a fixed CSRF cookie and the same secret in the form, a
  signed `started` read once from the form page, a unique idempotency key, e-mail and phone: 303.
Any other status (counted by wrk's `response()`), a socket error, or a number of new pledges in
the database that differs from what wrk saw answered (beyond the requests still in flight when
a run ends) fails the run (exit 1). Prints req/s, p50 and p99 of each, and the ratios.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import django_on_bench_database  # noqa: E402
from data import SLUG, load  # noqa: E402
from httpbench import _LUA_THREADS, bare_table_create, gunicorn, treasurer_with_token, wrk_parse, wrk_path  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_pledge_post"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PORT = int(os.environ.get("BENCH_PORT", "8199"))
CSRF_SECRET = "benchCsrfSecret0123456789abcdefg"  # 32 letters and digits: a cookie Django accepts as is
FORM_PATH = f"/c/{SLUG}/pledge/"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"  # what a browser (and wrk here) sends

# Counts the answers that are not the one success looks like; `done()` prints the total.
_LUA_EXPECT = """
local threads = {}
local setup_numbering = setup
function setup(thread)
  setup_numbering(thread)
  table.insert(threads, thread)
end
unexpected = 0
first_unexpected = ""
function response(status, headers, body)
  if status ~= EXPECTED then
    unexpected = unexpected + 1
    if first_unexpected == "" then first_unexpected = status .. " " .. string.sub(body or "", 1, 200) end
  end
end
function done(summary, latency, requests)
  local total = 0
  local first = ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
    if first == "" then first = thread:get("first_unexpected") end
  end
  io.write("unexpected statuses: " .. total .. "\\n")
  if first ~= "" then io.write("first unexpected: " .. string.gsub(first, "\\n", " ") .. "\\n") end
end
"""


def lua_bare() -> str:
    return """
function request()
  return wrk.format("POST", "/bench/bare/insert/", {["Content-Type"] = "application/json"}, '{"amount": 2000000}')
end
""" + _LUA_EXPECT.replace("EXPECTED", "201")


def lua_api(*, token: str, fund: str, run: int) -> str:
    head = json.dumps({"campaign": SLUG, "fund": fund, "donor_kind": "individual", "amount": 2_000_000,
                       "donor_name": "Công ty TNHH Hồng Phát"}, ensure_ascii=False)[:-1]
    return f"""
local counter = 0
function request()
  counter = counter + 1
  local id = "{run}-" .. thread_number .. "-" .. counter
  local body = '{head}' .. ', "email": "ketoan.' .. id .. '@hongphat.vn"}}'
  return wrk.format("POST", "/api/v1/pledges/", {{
    ["Content-Type"] = "application/json", ["Accept"] = "application/json",
    ["Authorization"] = "Bearer {token}", ["Idempotency-Key"] = "bench-post-{uuid.uuid4().hex[:8]}-" .. id,
  }}, body)
end
""" + _LUA_EXPECT.replace("EXPECTED", "201")


def lua_form(*, started: str, fund: int, run: int) -> str:
    fixed = urlencode({
        "csrfmiddlewaretoken": CSRF_SECRET, "donor_name": "Nguyễn Thị Hoà", "donor_kind": "individual",
        "tax_code": "", "address": "Phường Hạc Thành, Thanh Hóa", "amount": "500k", "fund": fund,
        "installments": "1", "list_on_honor_roll": "on", "message": "Chúc các em học giỏi", "website": "",
        "started": started,
    })
    tag = uuid.uuid4().hex[:8]
    return f"""
local counter = 0
function request()
  counter = counter + 1
  local id = "{run}-" .. thread_number .. "-" .. counter
  local phone = string.format("09%02d%06d", ({run} * 4 + thread_number) % 100, counter % 1000000)
  local body = "{fixed}&email=hoa." .. id .. "%40example.vn&phone=" .. phone .. "&idempotency_key=form{tag}x" .. id
  return wrk.format("POST", "{FORM_PATH}", {{
    ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "csrftoken={CSRF_SECRET}",
  }}, body)
end
""" + _LUA_EXPECT.replace("EXPECTED", "303")


def wrk_run(url: str, lua: str, *, connections: int, seconds: int):
    """wrk with `lua`; (its result, the count of unexpected statuses, the first one)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(_LUA_THREADS + lua)
    try:
        completed = subprocess.run(
            [wrk_path(), "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
             "-s", handle.name, url],
            check=True, capture_output=True, text=True, timeout=seconds + 120,
        )
    finally:
        os.unlink(handle.name)
    unexpected = re.search(r"unexpected statuses: (\d+)", completed.stdout)
    first = re.search(r"first unexpected: (.*)", completed.stdout)
    return wrk_parse(completed.stdout), int(unexpected.group(1)) if unexpected else -1, first.group(1) if first else ""


class CacheCalls:
    """Counts (and names) the calls made on Django's default cache: the Redis round trips in production."""

    NAMES = ("get", "set", "add", "incr", "decr", "delete", "get_many", "set_many", "touch", "has_key")

    def __init__(self):
        self.calls = []

    def __enter__(self):
        from django.core.cache import caches

        self.cache = caches["default"]
        self.saved = {}
        for name in self.NAMES:
            original = getattr(self.cache, name)
            self.saved[name] = original

            def wrapper(*args, _name=name, _original=original, **kwargs):
                self.calls.append(f"{_name} {args[0] if args else ''}")
                return _original(*args, **kwargs)

            setattr(self.cache, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name in self.NAMES:
            delattr(self.cache, name)


def statements(token: str, fund: str, fund_pk: int, *, listing: bool) -> dict[str, tuple[int, int]]:
    """One form POST and one API POST through the test client: (SQL statements, cache calls) of each."""
    from django.db import transaction

    counts = {}
    queued = []
    # After-commit work (the confirmation e-mail) belongs to the worker: count it, do not run it.
    on_commit, transaction.on_commit = transaction.on_commit, lambda callback, using=None, robust=False: queued.append(
        callback)
    try:
        _statements_measure(token, fund, fund_pk, listing, counts)
    finally:
        transaction.on_commit = on_commit
    return counts


def _statements_measure(token, fund, fund_pk, listing, counts):
    import re as re_

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from public.forms import new_started_token

    with override_settings(PLEDGE_FORM_MIN_SECONDS=0, ALLOWED_HOSTS=["testserver"], DEBUG=False):
        client = Client(enforce_csrf_checks=True)
        client.cookies["csrftoken"] = CSRF_SECRET
        form = {
            "csrfmiddlewaretoken": CSRF_SECRET, "donor_name": "Nguyễn Thị Hoà", "donor_kind": "individual",
            "email": "hoa.statements@example.vn", "phone": "0912000001", "tax_code": "",
            "address": "Phường Hạc Thành, Thanh Hóa", "amount": "500k", "fund": fund_pk, "installments": "1",
            "list_on_honor_roll": "on", "message": "", "website": "", "started": new_started_token(),
            "idempotency_key": f"statements-{uuid.uuid4().hex}",
        }
        api = {"campaign": SLUG, "fund": fund, "donor_name": "Công ty TNHH Hồng Phát", "donor_kind": "individual",
               "email": "ketoan.statements@hongphat.vn", "amount": 2_000_000}
        for kind, send, expected in (
            ("form", lambda: client.post(FORM_PATH, urlencode(form), content_type=FORM_CONTENT_TYPE), 303),
            ("API", lambda: Client().post(
                "/api/v1/pledges/", json.dumps(api), content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"statements-{uuid.uuid4().hex}"},
            ), 201),
        ):
            with CaptureQueriesContext(connection) as queries, CacheCalls() as cache:
                response = send()
            assert response.status_code == expected, (kind, response.status_code, response.content[:500])
            counts[kind] = (len(queries.captured_queries), len(cache.calls))
            if listing:
                print(f"\n{kind} POST: {len(queries.captured_queries)} SQL statements, {len(cache.calls)} cache calls")
                for number, query in enumerate(queries.captured_queries, 1):
                    sql = re_.sub(r"\s+", " ", query["sql"])
                    print(f"  {number:2} {sql[:160]}")
                for call in cache.calls:
                    print(f"  cache {call}")


def cpu_per_request(token: str, fund: str, fund_pk: int, *, requests: int = 50) -> dict[str, float]:
    """Milliseconds of this process's CPU (`time.process_time`) per POST of each kind through the
    test client, the bare insert view included (`bench_urls`), the same middleware: what limits the
    throughput ratio on a machine whose cores the server shares (after 5 POSTs of warm-up each).

    Each body is what wrk sends and a browser would: the form urlencoded
    (application/x-www-form-urlencoded, as a browser posts a form without a file), the API's and the
    bare view's JSON. Not the test client's default for a dict, multipart/form-data, whose parser
    (and the client's encoder, in this same process) would add CPU no donor's POST costs."""
    import time

    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    from public.forms import new_started_token

    queued = []
    on_commit, transaction.on_commit = transaction.on_commit, lambda callback, using=None, robust=False: queued.append(
        callback)
    lifted = {"PLEDGE_RATE_LIMIT_PER_IP": "10000000/m", "PLEDGE_RATE_LIMIT_PER_EMAIL": "10000000/m"}
    try:
        with override_settings(ROOT_URLCONF="bench_urls", PLEDGE_FORM_MIN_SECONDS=0, ALLOWED_HOSTS=["testserver"],
                               DEBUG=False, **lifted):
            form_client = Client(enforce_csrf_checks=True)
            form_client.cookies["csrftoken"] = CSRF_SECRET
            api_client, bare_client = Client(), Client()
            started = new_started_token()

            def send(kind, number):
                tag = f"cpu{number}-{uuid.uuid4().hex[:8]}"
                if kind == "bare":
                    return bare_client.post("/bench/bare/insert/", '{"amount": 2000000}',
                                            content_type="application/json"), 201
                if kind == "API":
                    body = {"campaign": SLUG, "fund": fund, "donor_name": "Công ty TNHH Hồng Phát",
                            "donor_kind": "business", "email": f"{tag}@hongphat.vn", "amount": 2_000_000}
                    return api_client.post(
                        "/api/v1/pledges/", json.dumps(body), content_type="application/json",
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": tag},
                    ), 201
                form = {
                    "csrfmiddlewaretoken": CSRF_SECRET, "donor_name": "Nguyễn Thị Hoà", "donor_kind": "individual",
                    "email": f"{tag}@example.vn", "phone": f"09{number:08d}", "tax_code": "",
                    "address": "Phường Hạc Thành, Thanh Hóa", "amount": "500k", "fund": fund_pk, "installments": "1",
                    "list_on_honor_roll": "on", "message": "", "website": "", "started": started,
                    "idempotency_key": tag,
                }
                return form_client.post(FORM_PATH, urlencode(form), content_type=FORM_CONTENT_TYPE, REMOTE_ADDR=f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"), 303

            cpu = {}
            for kind in ("bare", "API", "form"):
                for number in range(5):
                    response, expected = send(kind, 90_000 + number)
                    assert response.status_code == expected, (kind, response.status_code, response.content[:300])
                began = time.process_time()
                for number in range(requests):
                    response, expected = send(kind, 100_000 + number)
                    assert response.status_code == expected, (kind, response.status_code, response.content[:300])
                cpu[kind] = (time.process_time() - began) * 1000 / requests
    finally:
        transaction.on_commit = on_commit
    return cpu


def pledge_count(*, settle: bool = False) -> int:
    """The pledges in the database; with `settle`, once the requests still in flight have committed."""
    import time

    from django.db import connection

    from donations.models import Pledge

    count = Pledge.objects.count()
    for _ in range(60 if settle else 0):
        time.sleep(0.5)
        again = Pledge.objects.count()
        if again == count:
            break
        count = again
    connection.close()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000, help="past payments loaded before the runs")
    parser.add_argument("--seconds", type=int, default=5, help="the length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="how many times each of bare, API, form runs")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--statements", action="store_true", help="list the statements and cache calls")
    parser.add_argument("--cpu-only", type=int, default=0, metavar="PASSES",
                        help="only count the statements and measure the CPU per POST, PASSES times; no server, no wrk")
    options = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    django_on_bench_database(DEFAULT_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load(payments=options.history, pledges=max(100, options.history // 100))
    token, fund_row = treasurer_with_token("thuquy_bench_post", "pledge POST bench")
    fund, fund_pk = fund_row.code, fund_row.pk
    counts = statements(token, fund, fund_pk, listing=options.statements)
    bare_table_create(url)
    counts["cpu"] = cpu_per_request(token, fund, fund_pk)
    if options.cpu_only:
        print(f"statements per POST: form {counts['form'][0]}, API {counts['API'][0]} "
              f"(cache calls {counts['form'][1]}, {counts['API'][1]})")
        for number in range(options.cpu_only):
            cpu = counts["cpu"] if number == 0 else cpu_per_request(token, fund, fund_pk)
            print("CPU per POST (ms): " + "  ".join(f"{kind} {value:.2f}" for kind, value in cpu.items()), flush=True)
        return 0
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)

    from django.db import connection

    connection.close()  # the server's workers write; this process only counts afterwards
    runs = {"bare": [], "API": [], "form": []}
    failures = []
    with gunicorn(database_url=url, port=PORT, workers=options.workers, redis_url=REDIS_URL,
                  log_name="pledge-post-server") as base:
        started = started_token(base)
        # Warm-up, not counted: each worker imports, compiles templates and opens its connection.
        for kind, lua, path in (
            ("bare", lua_bare(), "/bench/bare/insert/"),
            ("API", lua_api(token=token, fund=fund, run=99), "/api/v1/pledges/"),
            ("form", lua_form(started=started, fund=fund_pk, run=99), FORM_PATH),
        ):
            result, unexpected, first = wrk_run(base + path, lua, connections=options.connections, seconds=2)
            pledge_count(settle=True)
            if unexpected or result.socket_errors:
                failures.append(f"{kind} warm-up: {unexpected} unexpected statuses ({first}), "
                                f"{result.socket_errors} socket errors")
        for run in range(options.rounds):
            for kind, lua, path in (
                ("bare", lua_bare(), "/bench/bare/insert/"),
                ("API", lua_api(token=token, fund=fund, run=run), "/api/v1/pledges/"),
                ("form", lua_form(started=started, fund=fund_pk, run=run), FORM_PATH),
            ):
                before = pledge_count()
                result, unexpected, first = wrk_run(base + path, lua, connections=options.connections,
                                                    seconds=options.seconds)
                made = pledge_count(settle=True) - before
                runs[kind].append(result)
                note = ""
                if kind != "bare":
                    note = f"  pledges made {made}"
                    if not result.requests <= made <= result.requests + options.connections:
                        failures.append(f"{kind} round {run + 1}: wrk saw {result.requests} answers, "
                                        f"the database has {made} new pledges")
                if unexpected or result.non_2xx_3xx or result.socket_errors:
                    failures.append(f"{kind} round {run + 1}: {unexpected} unexpected statuses "
                                    f"({first or 'see the server log'}), {result.socket_errors} socket errors")
                print(f"  round {run + 1} {kind:5} {result.line()}{note}", flush=True)
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)
    report(runs, counts, options)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


def started_token(base: str) -> str:
    """The form's signed `started` field, as the page renders it (valid for days: one serves every request)."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", FORM_PATH)
    page = connection.getresponse().read().decode()
    return re.search(r'name="started" value="([^"]*)"', page).group(1)


def report(runs, counts, options) -> None:
    def total(kind):
        results = runs[kind]
        requests = sum(result.requests for result in results)
        seconds = sum(result.seconds for result in results)
        return (requests / seconds, statistics.median(r.p50_ms for r in results),
                max(r.p99_ms for r in results), requests)

    bare = total("bare")
    # No "x <number>" here: bench/run_all.py reads that as a ratio.
    print(f"\npledge POST under gunicorn ({options.workers} gthread workers of 4 threads), wrk {options.connections} "
          f"connections, {options.rounds} runs of {options.seconds} s each, interleaved; "
          f"history {options.history:,} payments")
    print(f"statements per POST (test client): form {counts['form'][0]} SQL + {counts['form'][1]} cache calls, "
          f"API {counts['API'][0]} SQL + {counts['API'][1]} cache calls (the local-memory cache's calls: on Redis, "
          f"a rate-limit hit is one round trip)")
    cpu = counts["cpu"]
    # The bound on the throughput ratio where the server's CPU is what runs out (this machine).
    for kind in ("API", "form"):
        print(f"{kind} pledge POST CPU per request {cpu[kind]:.2f} ms, bare insert {cpu['bare']:.2f} ms "
              f"(one process, test client, 50 each): CPU ratio bare / {kind} {cpu['bare'] / cpu[kind]:.2f}")
    print(f"{'':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
    for kind in ("bare", "API", "form"):
        rate, p50, p99, requests = total(kind)
        print(f"{kind:6} {rate:8.1f} {p50:8.2f} {p99:8.2f} {requests:9}")
    for kind in ("API", "form"):
        rate, _p50, p99, _requests = total(kind)
        print(f"{kind} pledge POST throughput / bare insert throughput (goal >= 0.4): ratio {rate / bare[0]:.2f}")
        print(f"{kind} pledge POST p99 / bare insert p99 (goal <= 3): ratio {p99 / bare[2]:.2f}")


if __name__ == "__main__":
    sys.exit(main())

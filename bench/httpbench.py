"""What the HTTP benchmarks share: the app under gunicorn (the production server) beside its bare
baselines (`bench_urls`), and wrk as the load generator.

    from httpbench import bare_table_create, bytes_save, gunicorn, wrk
    bare_table_create(database_url)
    with gunicorn(database_url=url, port=8199) as base:
        page = wrk(f"{base}/c/{slug}/", connections=16, seconds=10)
        bare = wrk(f"{base}/bench/bare/bytes/campaign/", connections=16, seconds=10)
        print(page.requests_per_second / bare.requests_per_second)

gunicorn runs `--workers` gthread workers with 4 threads each and persistent database connections,
with `bench/http_settings.py` (production settings, per-address limits lifted). wrk comes from
Debian (`apt-get install wrk`, done here when it is missing); a run is bounded in time (`seconds`)
(wrk has no request bound that keeps its rate honest).
"""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SECRET = "bench-http-secret-key-not-for-production-0123456789abcdef"
BYTES_DIR = ROOT / "var" / "bench" / "bytes"


def bare_table_create(database_url: str) -> None:
    """The baseline insert view's table, next to the app's."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, amount bigint NOT NULL, note text NOT NULL)"
        )


def bytes_save(name: str, body: bytes) -> None:
    """Store the bytes `GET /bench/bare/bytes/<name>/` returns (before the server starts)."""
    BYTES_DIR.mkdir(parents=True, exist_ok=True)
    (BYTES_DIR / f"{name}.html").write_bytes(body)


def server_environment(database_url: str, redis_url: str | None = None) -> dict[str, str]:
    environment = {
        **os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": SECRET,
        "SECURE_SSL_REDIRECT": "0", "DJANGO_SETTINGS_MODULE": "http_settings", "CONN_MAX_AGE": "600",
        "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}", "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    else:
        environment.pop("REDIS_URL", None)
    return environment


def treasurer_with_token(username: str, token_name: str):
    """A treasurer of the demo province `TH` with a read-write API token for a day, in the bench's
    database (Django set up by the caller); returns the token and the unit's fund."""
    import datetime
    import uuid

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fundmgr.api.services import api_token_create
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import Membership, OrgUnit

    unit = OrgUnit.objects.get(code="TH")
    user = get_user_model().objects.create_user(username, password=uuid.uuid4().hex)
    Membership.objects.create(user=user, unit=unit, role=Membership.Role.TREASURER)
    _row, plain = api_token_create(
        user=user, name=token_name, scope="read-write", expires_at=timezone.now() + datetime.timedelta(days=1), by=user,
    )
    return plain, Fund.objects.get(unit=unit)


@contextmanager
def celery_worker(*, database_url: str, redis_url: str, concurrency: int = 2, log_name: str = "celery-worker"):
    """A Celery worker on `redis_url`, with the server's environment, until the block ends."""
    environment = server_environment(database_url, redis_url)
    log_path = ROOT / "var" / "bench" / f"{log_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "fundmgr", "worker", "--concurrency",
             str(concurrency), "--loglevel", "WARNING"],
            cwd=ROOT, env=environment, start_new_session=True, stdout=log, stderr=log,
        )
        try:
            yield
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)


@contextmanager
def gunicorn(*, database_url: str, port: int, workers: int = 4, threads: int = 4, redis_url: str | None = None,
             log_name: str = "http-server"):
    """Serve the project and the baselines on 127.0.0.1:`port`; yields the base URL."""
    environment = server_environment(database_url, redis_url)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT,
                   env=environment, check=True)
    log_path = ROOT / "var" / "bench" / f"{log_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "fundmgr.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
             "--log-level", "warning"],
            cwd=ROOT, env=environment, start_new_session=True, stdout=log, stderr=log,
        )
        try:
            _wait_for(port, server, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


def _wait_for(port: int, server: subprocess.Popen, log_path: Path) -> None:
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log_path}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer /healthz in 60 s; see {log_path}")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int

    def line(self) -> str:
        return (f"{self.requests_per_second:9.1f} req/s  p50 {self.p50_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms  "
                f"({self.requests} requests, {self.non_2xx_3xx} non-2xx/3xx, {self.socket_errors} socket errors)")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing and could not be installed (apt-get install wrk)")
    return found


# Numbers each wrk thread, so a `request()` script can make bodies unique across threads.
_LUA_THREADS = """
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end
"""


def wrk(url: str, *, connections: int = 16, seconds: int = 10, threads: int = 2, lua: str = "",
        timeout_s: int = 10) -> WrkResult:
    """Run wrk against `url` for `seconds`; `lua` may define `request()` (it sees `thread_number`)."""
    script = _LUA_THREADS + lua
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(
            [wrk_path(), "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
             "--timeout", f"{timeout_s}s", "-s", handle.name, url],
            check=True, capture_output=True, text=True, timeout=seconds + 120,
        )
    finally:
        os.unlink(handle.name)
    return wrk_parse(completed.stdout)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def wrk_parse(output: str) -> WrkResult:
    requests, seconds = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output).group(1, 2)
    unit = re.search(r"\d+ requests in [\d.]+(ms|s|m)", output).group(1)
    duration = float(seconds) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests=int(requests), seconds=duration, requests_per_second=int(requests) / duration if duration else 0.0,
        p50_ms=_ms(percentiles["50"]), p99_ms=_ms(percentiles["99"]),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(value) for value in errors.groups()) if errors else 0,
    )

"""What the PostgreSQL benchmarks share: a database of their own, made fresh, and a stopwatch."""

import os
import time
from pathlib import Path


def django_on_bench_database(default_url: str, *, keep: bool = False) -> bool:
    """Point Django at BENCH_DATABASE_URL (or `default_url`), drop and create that database, and set
    Django up. With `keep`, an existing database is reused. Returns whether it was created afresh
    (and so still needs migrating and loading)."""
    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")
    os.environ.pop("REDIS_URL", None)

    import django
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        fresh = not (keep and exists)
        if fresh:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    return fresh


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def backend_cpu(connection) -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine), else None
    (another vendor, or a server elsewhere). In clock ticks of 10 ms."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

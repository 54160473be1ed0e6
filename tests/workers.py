"""A real Celery worker (and beat) in subprocesses, against a private redis-server that the test
starts, kills and restarts on a port of its own, and the PostgreSQL test database: the pieces the
fault tests (tests/faults) and the report job's crash test (tests/reports) share.

Other engineers use the shared Redis at the same time, so nothing here touches it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import free_port, on_postgres, require_executable

BASE_DIR = Path(settings.BASE_DIR)


def wait_until(condition, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class RedisServer:
    """A redis-server of this test only: no persistence, so a restart loses every message."""

    def __init__(self, executable: str, directory: Path, port: int | None = None):
        self.executable = executable
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_until(self.answers, timeout=15, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """A crash: SIGKILL, nothing saved (and nothing to save: persistence is off)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


class CeleryProcess:
    """`celery -A fundmgr worker|beat` in its own process group, so SIGKILL reaches its children."""

    def __init__(self, kind: str, env: dict, directory: Path, extra: list[str]):
        self.kind, self.env, self.directory, self.extra = kind, env, directory, extra
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.directory / f"{self.kind}.log", "ab")
        log.write(f"\n===== start {self.starts} =====\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "fundmgr", self.kind, "--loglevel=INFO", *self.extra],
            cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group (the main process and its pool children) at once."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        path = self.directory / f"{self.kind}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def postgres_url_of_test_database() -> str:
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


class Rig:
    """A private Redis, a worker (prefork, concurrency 2) and a beat, wired to the test database."""

    def __init__(self, directory: Path, redis_executable: str, *, redis_port: int | None = None, worker_args=()):
        self.directory = directory
        self.media_root = directory / "media"
        self.mail_dir = directory / "mail"
        self.redis = RedisServer(redis_executable, directory / "redis", port=redis_port)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DJANGO_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "fundmgr.settings",
            "DATABASE_URL": postgres_url_of_test_database(),
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "MEDIA_ROOT": str(self.media_root),
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        })
        self.worker = CeleryProcess(
            "worker", env, directory,
            ["-P", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"faults-{os.getpid()}@%h", *worker_args],
        )
        self.beat = CeleryProcess(
            "beat", env, directory,
            ["-S", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=", "--max-interval", "2"],
        )

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            process.kill()
        self.redis.kill()


def beat_requeue_every(seconds: int, *, older_than_seconds: int) -> None:
    """What migration receipts/0006 schedules every five minutes, here every few seconds: beat runs the
    requeue job with a short staleness threshold."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="faults: requeue stale receipt jobs",
        defaults={
            "task": "receipts.tasks.outbox_requeue_task",
            "interval": interval,
            "kwargs": json.dumps({"older_than_seconds": older_than_seconds}),
            "enabled": True,
        },
    )


def new_rig(directory: Path, rig_class: type[Rig] = Rig, **options) -> Rig:
    """A rig for one test in `directory`. Skipped on SQLite (the worker needs the PostgreSQL test
    database; it runs in the PostgreSQL pass); a missing redis-server skips it, or fails it when CI
    is set. The test calls `stop()` at the end."""
    if not on_postgres():
        pytest.skip("the worker needs the PostgreSQL test database; runs in the PostgreSQL pass")
    return rig_class(directory, require_executable("redis-server"), **options)

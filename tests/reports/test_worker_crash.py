"""A report job whose worker is SIGKILLed half-way is sent again and finishes once, with one file.

A real `celery -A fundmgr worker` (prefork, concurrency 2) with the test exporters (`--include
tests.reports.worker_exporters`), a private redis-server and a real `celery beat` running the
outbox's requeue job every second with a staleness threshold of 3 seconds (in production: every
five minutes, 10 minutes). The slow report takes about 7.5 s: the worker is killed 1.5 s into the
first attempt and restarted; the requeue job finds the run stale (its worker's lock died with it)
and sends it again; the second attempt, which runs longer than the threshold, is left alone by the
requeue job because its worker holds the run's row lock (so exactly two attempts).
"""

import hashlib
import time

import pytest

from fundmgr.core.outbox import JobStatus
from fundmgr.reports import services
from fundmgr.reports.models import ReportRun
from tests.workers import beat_requeue_every, new_rig, wait_until

from .exporters import SLOW_ROWS

# The report the worker runs. After the merge it may be pointed at "general_journal" over enough
# journal lines to take several seconds.
KILLED_REPORT = "test_slow"


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_job_killed_mid_run_is_retried_and_finishes_once(tmp_path, settings, auditor_a, units, publish_to):
    settings.REPORT_INLINE_MAX_ROWS = 0
    rig = new_rig(tmp_path, worker_args=["--include", "tests.reports.worker_exporters"])
    try:
        beat_requeue_every(1, older_than_seconds=3)
        rig.redis.start()
        publish_to(rig.redis.url)
        rig.worker.start()
        rig.beat.start()

        run = services.report_run_create(kind=KILLED_REPORT, data={}, format="csv", by=auditor_a)
        wait_until(lambda: ReportRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).exists(), timeout=60,
                   what="the first attempt to start")
        time.sleep(1.5)
        rig.worker.kill()
        run.refresh_from_db()
        assert (run.status, run.attempts, run.file.name) == (JobStatus.RUNNING, 1, "")  # killed mid-run
        stored = rig.media_root / "reports"
        assert not (stored.exists() and any(stored.rglob("*.csv")))  # nothing stored by the killed attempt
        rig.worker.start()

        try:
            wait_until(lambda: ReportRun.objects.filter(pk=run.pk, status=JobStatus.DONE).exists(), timeout=120,
                       interval=0.5, what="the report run done")
        except AssertionError:
            run.refresh_from_db()
            pytest.fail(f"run {run.status} after {run.attempts} attempts ({run.last_error})\nworker log:\n{rig.worker.log()[-4000:]}")
        time.sleep(2.5)  # a duplicate attempt, if any, would show in the next requeue rounds
        rig.beat.kill()
        rig.worker.kill()
    finally:
        rig.stop()

    run.refresh_from_db()
    assert (run.status, run.attempts, run.rows_done, run.rows_total) == (JobStatus.DONE, 2, SLOW_ROWS, SLOW_ROWS)
    files = sorted(path for path in (rig.media_root / "reports").rglob("*") if path.is_file())
    assert [path.relative_to(rig.media_root).as_posix() for path in files] == [run.file.name]
    content = files[0].read_bytes()
    assert run.manifest["sha256"] == hashlib.sha256(content).hexdigest() and run.manifest["rows"] == SLOW_ROWS
    assert content.decode("utf-8-sig").count("\r\n") == SLOW_ROWS + 1
    assert "re-enqueued" in rig.worker.log()

"""On PostgreSQL, a run reads one snapshot and its row is locked (on a connection of its own) while it
writes: the outbox's requeue job, however short its threshold, leaves a live run alone."""

import dataclasses
import datetime
import threading

import pytest
from django.db import connection

from fundmgr.core import outbox
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.models import OrgUnit
from fundmgr.reports import services
from fundmgr.reports.models import ReportRun


def in_another_connection(work):
    """Run `work()` in a thread (so on another database connection) and return its result."""
    result = []

    def target():
        try:
            result.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    return result[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_run_reads_one_snapshot_and_the_requeue_job_leaves_it_alone(auditor_a, units, registry, settings, monkeypatch):
    settings.REPORT_INLINE_MAX_ROWS = 0
    monkeypatch.setattr(outbox, "enqueue_jobs", lambda jobs: None)  # the test runs it itself
    seen = {}

    def rows(request):
        before = OrgUnit.objects.count()
        yield [1, "trước", 1, "h1"]
        seen["requeued"] = in_another_connection(lambda: outbox.requeue_stale(older_than=datetime.timedelta(0)))
        in_another_connection(lambda: OrgUnit.objects.create(name="Chi hội mới", code="TH-NEW", kind="branch", parent=units.province))
        seen["units"] = (before, OrgUnit.objects.count())
        yield [2, "sau", 2, "h2"]

    registry["test_lines"] = dataclasses.replace(registry["test_lines"], rows=rows)
    run = services.report_run_create(kind="test_lines", data={"rows": "2"}, format="csv", by=auditor_a)
    assert services.report_run_execute(run_id=run.pk) is True
    run.refresh_from_db()
    assert seen["requeued"] == 0  # the live run's row was locked: skipped
    assert seen["units"][0] == seen["units"][1]  # the unit committed meanwhile is not in the snapshot
    assert OrgUnit.objects.filter(code="TH-NEW").exists()
    assert (run.status, run.attempts, run.rows_done) == (JobStatus.DONE, 1, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_runs_row_is_not_locked_and_the_requeue_job_sends_it_again(auditor_a, units, settings, monkeypatch):
    settings.REPORT_INLINE_MAX_ROWS = 0
    sent = []
    monkeypatch.setattr(outbox, "enqueue_jobs", lambda jobs: None)
    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: sent.extend(jobs))
    run = services.report_run_create(kind="test_lines", data={"rows": "2"}, format="csv", by=auditor_a)
    ReportRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, attempts=1)  # a claim whose worker died
    assert outbox.requeue_stale(older_than=datetime.timedelta(0)) == 1
    run.refresh_from_db()
    assert run.status == JobStatus.PENDING and [args for _task, args in sent] == [(run.pk,)]
    assert services.report_run_execute(run_id=run.pk) is True

"""A program's allocation run as a job of the worker (`services.allocation_jobs`), with its progress.

- The job row is written with its audit row and enqueued after commit; the task is the one the app
  registered with the outbox. Running a job twice makes one run. A refusal of the run (the program
  closed meanwhile) fails the job with the service's message.
- On PostgreSQL the progress is visible to other connections while the run's transaction is still
  open (the admin's page polls it).
- With a real `celery worker` and Redis, a run started from the admin completes and reaches 100 %.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from fundmgr.audit.models import AuditEvent
from fundmgr.core import outbox
from scholarships import tasks
from scholarships.models import AllocationJob, AllocationRun, Award
from scholarships.services import allocation_jobs, awards
from tests.conftest import on_postgres
from tests.workers import new_rig, wait_until


@pytest.mark.django_db
def test_a_job_is_written_enqueued_after_commit_and_run_once(people, program, six, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = allocation_jobs.allocation_job_create(program=program, by=people["committee"])
    assert (job.status, job.progress, job.run) == ("pending", 0, None)
    assert len(callbacks) == 1 and not AllocationRun.objects.exists()  # nothing runs before the commit
    assert outbox.task_for(job) == (tasks.allocation_job_task, (job.pk,))
    assert AuditEvent.objects.filter(model_label="scholarships.allocationjob", object_id=str(job.pk), action="create").exists()

    assert tasks.allocation_job_task(job.pk) is True  # the task's body
    assert tasks.allocation_job_task(job.pk) is False  # again: nothing to do
    job.refresh_from_db()
    run = AllocationRun.objects.get()
    assert (job.status, job.progress, job.run, job.attempts, run.created_by) == ("done", 100, run, 1, people["committee"])
    assert Award.objects.filter(run=run, status="proposed").count() == 5


@pytest.mark.django_db
def test_a_job_whose_program_was_closed_fails_with_the_reason(people, program, six):
    job = allocation_jobs.allocation_job_create(program=program, by=people["committee"])
    awards.program_close(program=program)
    assert allocation_jobs.allocation_job_execute(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.last_error, job.run) == ("failed", "Chương trình đã khóa.", None)
    assert not AllocationRun.objects.exists()


@pytest.mark.django_db
def test_who_may_not_run_the_allocation_cannot_ask_for_a_job(people, program):
    with pytest.raises(PermissionDenied):
        allocation_jobs.allocation_job_create(program=program, by=people["nominator_a"])
    assert not AllocationJob.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_progress_is_seen_by_other_connections_while_the_run_is_open(people, program, six, monkeypatch):
    if not on_postgres():
        pytest.skip("PostgreSQL only; runs in the PostgreSQL pass")
    # The row alone (the tests' tasks are eager: `allocation_job_create` would run it at commit).
    job = AllocationJob.objects.create(program=program, requested_by=people["committee"])
    seen = []
    real_run = awards.allocation_run

    def run_and_look(**kwargs):
        run = real_run(**kwargs)  # inside the job's transaction: not committed yet
        observer = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with observer.cursor() as cursor:
                cursor.execute("SELECT progress, status FROM scholarships_allocationjob WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone())
                cursor.execute("SELECT count(*) FROM scholarships_allocationrun")
                seen.append(cursor.fetchone())
        finally:
            observer.close()
        return run

    monkeypatch.setattr(awards, "allocation_run", run_and_look)
    assert allocation_jobs.allocation_job_execute(job_id=job.pk) is True
    # The run reported 90 % before its proposals were written; another connection saw it, and did
    # not see the run, which was committed with the job's "done".
    assert seen == [(90, "running"), (0,)]
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_started_in_the_admin_is_done_by_the_real_worker_and_reaches_100_percent(
    tmp_path, client, people, program, six, publish_to,
):
    rig = new_rig(tmp_path)
    try:
        rig.redis.start()
        publish_to(rig.redis.url)
        rig.worker.start()

        client.force_login(people["committee"])
        response = client.post(reverse("admin:scholarships_scholarshipprogram_changelist"),
                               {"action": "run_allocation_action", "_selected_action": [program.pk]})
        job = AllocationJob.objects.get()
        assert response.status_code == 302 and response.url == reverse("admin:scholarships_allocationjob_change", args=[job.pk])
        try:
            wait_until(lambda: AllocationJob.objects.filter(pk=job.pk, status="done").exists(), timeout=120,
                       interval=0.5, what="the allocation job done by the worker")
        except AssertionError:
            job.refresh_from_db()
            pytest.fail(f"job {job.status} ({job.last_error})\nworker log:\n{rig.worker.log()[-4000:]}")
        rig.worker.kill()
    finally:
        rig.stop()

    job.refresh_from_db()
    run = AllocationRun.objects.get()
    assert (job.status, job.progress, job.run, job.attempts) == ("done", 100, run, 1)
    assert Award.objects.filter(run=run, status="proposed").count() == 5
    assert "scholarships.tasks.allocation_job_task" in rig.worker.log()
    page = client.get(response.url).content.decode()
    assert '<progress class="allocation-progress" max="100" value="100">' in page
    assert 'http-equiv="refresh"' not in page

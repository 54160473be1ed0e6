"""A large program's allocation, run by the worker, with its progress for the admin's page.

- `allocation_job_create`: the committee asks for a run (the same rights and checks as
  `awards.allocation_run`, refused at once); the job row and its audit row are written in one
  transaction and the job's task is enqueued after commit (`fundmgr.core.outbox.enqueue_jobs`; the
  task is the one `ScholarshipsConfig.ready()` registered). With eager tasks (the SQLite demo) it
  runs right there, so the page that follows shows it done.
- `allocation_job_execute` (the task's body): claims the pending job, runs `awards.allocation_run`
  as the person who asked, and in the same transaction links the run and marks the job done, so a
  job never makes two runs: re-running a done job does nothing, and a worker killed half-way left
  nothing committed (the outbox's requeue job sends the job again).
- Progress: the run's transaction is open for its whole length, so what it reports (0–99 %) is
  written from a connection of its own on PostgreSQL (committed at once, so the admin's page sees
  it; `updated_at` moves with it, so a long run is not taken for a stale one). Elsewhere (SQLite,
  one writer at a time) the job goes from its claim straight to 100 % at the end.
- A refusal of the run itself (the program was closed meanwhile, the requester lost their rights)
  fails the job for good with the service's message; any other error is retried by the task.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_record
from fundmgr.core import outbox
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

from ..models import AllocationJob, ScholarshipProgram
from . import awards


def allocation_job_create(*, program: ScholarshipProgram, by=None) -> AllocationJob:
    """Ask the worker to run `program`'s allocation; the job row (pending), enqueued after commit."""
    access_units(by, [program.unit], action=Action.ADD, domain=Domain.AWARDS)
    if program.status != ScholarshipProgram.Status.OPEN:
        raise ValidationError(_("Chương trình đã khóa."), code="closed")
    with transaction.atomic():
        job = AllocationJob.objects.create(program=program, requested_by=by)
        audit_record(action=AuditEvent.Action.CREATE, instance=job, actor=by, after={"program_id": program.pk})
        transaction.on_commit(lambda: outbox.enqueue_jobs([job]))
    return job


class _ProgressWriter:
    """Writes the job's progress where other connections see it at once (PostgreSQL), or nowhere."""

    def __init__(self, job_id: int, claimed_at):
        self.job_id, self.claimed_at = job_id, claimed_at
        self.last = 0
        self.holder = None
        # Inside a caller's transaction (tests) a second connection would not see the claim.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.holder = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, percent: int) -> None:
        percent = max(0, min(99, int(percent)))
        if self.holder is None or percent <= self.last:
            return
        self.last = percent
        table = AllocationJob._meta.db_table
        with self.holder.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress = %s, updated_at = %s WHERE id = %s AND status = %s AND claimed_at = %s",
                [percent, timezone.now(), self.job_id, AllocationJob.Status.RUNNING, self.claimed_at],
            )

    def close(self) -> None:
        if self.holder is not None:
            self.holder.close()


def allocation_job_execute(*, job_id: int) -> bool:
    """Run the job's allocation once; True when this call did. See the module's docstring."""
    with transaction.atomic():
        job = AllocationJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            AllocationJob.objects.get(pk=job_id)  # DoesNotExist when the job is gone, not merely locked
            return False
        if job.status != AllocationJob.Status.PENDING:
            return False
        claimed_at = outbox.claim(job, progress=0)
    program = ScholarshipProgram.objects.select_related("unit").get(pk=job.program_id)
    writer = _ProgressWriter(job.pk, claimed_at)
    try:
        with transaction.atomic():
            run = awards.allocation_run(program=program, by=job.requested_by, progress=writer)
            locked = AllocationJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != AllocationJob.Status.RUNNING or locked.claimed_at != claimed_at:
                # The claim was taken away (the requeue job found it stale): the attempt holding it
                # now makes the run; this one's is rolled back.
                transaction.set_rollback(True)
                return False
            now = timezone.now()
            locked.run, locked.progress, locked.status = run, 100, AllocationJob.Status.DONE
            locked.last_error, locked.done_at, locked.updated_at = "", now, now
            locked.save(update_fields=["run", "progress", "status", "last_error", "done_at", "updated_at"])
    except (ValidationError, PermissionDenied) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        AllocationJob.objects.filter(pk=job.pk).update(
            status=AllocationJob.Status.FAILED, last_error=outbox.error_text(" ".join(messages)), claimed_at=None,
            updated_at=timezone.now(),
        )
        return False
    except Exception as error:
        outbox.attempt_failed(AllocationJob, job.pk, error, count_attempt=False)
        raise
    finally:
        writer.close()
    return True


def allocation_job_mark_failed(*, job_id: int, error: str) -> None:
    """The task gave up (retries exhausted): the job says failed, with the error."""
    outbox.mark_failed(AllocationJob.objects.filter(pk=job_id), error)

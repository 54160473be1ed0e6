"""The outbox: work to do after a commit (render a PDF, send an e-mail), kept as rows in the database.

Design:
- A job is a row of a model built on `OutboxJob` (`receipts.ReceiptDelivery`,
  `receipts.DonorAnnualStatement`, `donations.PledgeEmail`), written in the caller's own
  transaction: the work is recorded exactly when the document it is about is. After commit the
  caller sends the job's Celery task (`enqueue_jobs`, which finds the task the app registered); publishing never raises into the caller
  (a broker that is down is logged, and the row waits).
- A task claims its row under a row lock (`claim`: status running, attempt + 1, `claimed_at`) and
  commits, does the slow part (SMTP) outside any lock, then marks it done (`send_claimed`); a
  failed attempt gives the claim back (`attempt_failed`: pending, the error kept, bounded to
  `ERROR_MAX_LENGTH`), and the task marks it failed when its retries run out (`mark_failed`).
- The database, not the broker, holds what is left to do: one beat task (`requeue_stale`, every
  five minutes) enqueues again every job of every registered kind that stayed pending or running
  longer than `STALE_AFTER`, because its message was lost (Redis restarted, the broker was down at
  commit) or its worker was killed. A running row that old is a claim whose worker died: it goes
  back to pending. Rows are touched (`updated_at`), so a job whose message merely waits in a long
  queue is enqueued again at most once per `STALE_AFTER`. Every job must therefore be safe to run
  twice, also at the same time: lock the row, look at its status, return when the work is done.
- Each app registers its job models with the task that does them (`register`, from its
  `AppConfig.ready()`): the kernel imports no project app.

Statuses: a job model's `Status` has the members PENDING, RUNNING, DONE, FAILED and SKIPPED; their
stored values are the model's own (the pledge e-mails store "sending" and "sent"), and the field
that records when the work was done is named by `done_field`.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable

from celery import Task
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=10)
REQUEUE_BATCH = 2000
ERROR_MAX_LENGTH = 2000
BROKER_CONNECT_TIMEOUT = 3  # seconds; a refused connection fails at once
INTERRUPTED = "Bị gián đoạn (worker dừng giữa chừng); đã xếp hàng lại."


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Chờ xử lý")
    RUNNING = "running", _("Đang xử lý")
    DONE = "done", _("Đã xong")
    FAILED = "failed", _("Lỗi")
    SKIPPED = "skipped", _("Không cần gửi")


class OutboxJob(models.Model):
    """The fields every job row has; `updated_at` changes with every change of status (and when the
    requeue job touches it), which is what makes a row stale."""

    Status = JobStatus
    done_field = "done_at"

    status = models.CharField(_("trạng thái"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    recipient = models.CharField(_("gửi tới"), max_length=254, blank=True)
    claimed_at = models.DateTimeField(_("bắt đầu xử lý lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        """Done or skipped: nothing will ever happen to it again."""
        return self.status in (self.Status.DONE, self.Status.SKIPPED)


def error_text(error: BaseException | str) -> str:
    """What `last_error` keeps of an error: its type and message, bounded."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX_LENGTH]


class JobTask(Task):
    """What every outbox task shares: retries with exponential back-off (10 s, 20 s, 40 s, … capped
    at 10 minutes, with jitter), and the message acknowledged only after the work, so a worker
    killed half-way leaves it for another (the job itself is safe to run twice)."""

    retry_backoff = 10
    retry_backoff_max = 600
    retry_jitter = True
    acks_late = True
    reject_on_worker_lost = True

    def give_up(self, args, error: str) -> None:
        """Record on the job's row that it failed for good (its retries ran out); the app's task
        says which row its `args` name (usually through `mark_failed`)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, ObjectDoesNotExist):
            return  # no row: nothing to record
        try:
            self.give_up(args, error_text(exc))
        except Exception:
            logger.exception("could not mark %s%r as failed", self.name, tuple(args))


class RetryingJobTask(JobTask):
    """A job task that retries every error but a missing row (`max_retries` times), then gives up."""

    autoretry_for = (Exception,)
    dont_autoretry_for = (ObjectDoesNotExist,)


# --- the registry -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class JobKind:
    model: type[OutboxJob]
    # The Celery task that does a row's work and its arguments: (task, args).
    task_of: Callable[[OutboxJob], tuple]


_kinds: dict[type[OutboxJob], JobKind] = {}


def register(model: type[OutboxJob], task_of: Callable[[OutboxJob], tuple]) -> None:
    """Make `requeue_stale` look after the rows of `model`; `task_of(row)` is (task, args)."""
    _kinds[model] = JobKind(model=model, task_of=task_of)


def registered() -> list[JobKind]:
    return list(_kinds.values())


def task_for(job: OutboxJob) -> tuple:
    """(task, args) that do `job`, as its app registered them.

    `job` may be unsaved: a service that knows what the job is (a receipt's channel, a pledge's
    confirmation) names it without reading the row again. So services never import their tasks.
    """
    return _kinds[type(job)].task_of(job)


def enqueue_jobs(jobs) -> int:
    """`enqueue_many` for outbox jobs: each goes to the task its app registered."""
    return enqueue_many([task_for(job) for job in jobs])


# --- enqueueing ---------------------------------------------------------------------------------
def enqueue(task, *args) -> bool:
    """Send `task` to the broker; False (logged) when that fails, never an exception.

    Called after commit: the work is recorded in the database already, and a broker that is
    down must not turn a recorded payment into an error page. The requeue job sends it later.
    """
    return enqueue_many([(task, args)]) == 1


def enqueue_many(jobs) -> int:
    """Send [(task, args)] over one broker connection; how many were sent.

    The connection is tried once (kombu would otherwise retry for seconds inside a request) and
    publishing does not retry; at the first broker error the rest is left for the requeue job.
    In eager mode (the embedded demo) each task runs here, and one that fails is logged: its row
    says what is left to do.
    """
    if not jobs:
        return 0
    app = jobs[0][0].app
    sent = 0
    if app.conf.task_always_eager:
        for task, args in jobs:
            try:
                task.apply_async(args=args)
                sent += 1
            except Exception:
                logger.warning("%s%r failed; the requeue job will retry it", task.name, tuple(args), exc_info=True)
        return sent
    try:
        # A connection of the app's pool (one per process and thread at a time, `broker_pool_limit`
        # in all), not a new one per call: opening a Redis connection cost about as much as the
        # payment's SQL (docs/performance.md). A connection that failed is closed before it goes
        # back, so the next caller connects afresh (after a Redis restart, for example).
        with app.pool.acquire(block=True, timeout=BROKER_CONNECT_TIMEOUT) as broker:
            try:
                broker.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_CONNECT_TIMEOUT
                )
                for task, args in jobs:
                    task.apply_async(args=args, retry=False, connection=broker)
                    sent += 1
            except Exception:
                broker.close()
                raise
    except Exception as error:  # kombu and redis connection errors, or no free connection in time
        task, args = jobs[sent]
        logger.warning(
            "could not enqueue %s%r; the requeue job will retry it (%s: %s)", task.name, tuple(args),
            type(error).__name__, error, exc_info=logger.isEnabledFor(logging.DEBUG),
        )
    return sent


# --- one job's life -----------------------------------------------------------------------------
def claim(job: OutboxJob, *, recipient: str = "", **fields) -> datetime.datetime:
    """Take the job (locked by the caller): running, one more attempt; the claim's time, which
    `send_claimed` checks so that a claim taken away meanwhile sends nothing."""
    now = timezone.now()
    job.status = job.Status.RUNNING
    job.attempts += 1
    job.recipient = recipient
    job.claimed_at = now
    job.updated_at = now
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "attempts", "recipient", "claimed_at", "updated_at", *fields])
    return now


def skip(job: OutboxJob, note: str) -> None:
    """Nothing to do, for good (no address, the document voided); `note` says why."""
    job.status = job.Status.SKIPPED
    job.claimed_at = None
    job.last_error = note
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])


def reopen(job: OutboxJob, note: str = "") -> None:
    """Back to pending (a person asked again, or the document changed); the caller enqueues it."""
    job.status = job.Status.PENDING
    job.claimed_at = None
    job.last_error = note
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])


def mark_done(job: OutboxJob, **fields) -> None:
    """Done, by a job that did its work under the row's lock (no claim), in one more attempt."""
    now = timezone.now()
    job.status = job.Status.DONE
    job.attempts += 1
    job.last_error = ""
    setattr(job, job.done_field, now)
    job.updated_at = now
    job.save(update_fields=["status", "attempts", "last_error", job.done_field, "updated_at", *fields])


def build_and_send(model: type[OutboxJob], pk: int, claimed_at: datetime.datetime, build: Callable[[], object]) -> bool:
    """Build the claimed job's message (outside any lock) and send it (`send_claimed`).

    A message that cannot be built gives the claim back before the error goes up: the task's
    retries would otherwise find the row running and do nothing.
    """
    try:
        message = build()
    except Exception as error:
        attempt_failed(model, pk, error, count_attempt=False)
        raise
    return send_claimed(model, pk, claimed_at, message)


def send_claimed(model: type[OutboxJob], pk: int, claimed_at: datetime.datetime, message) -> bool:
    """Send a message whose job row this worker has claimed, and mark the row done.

    False (nothing sent) when the claim was taken away meanwhile (reset by the requeue job, or the
    document was voided). On PostgreSQL the "done" update is written before the send and committed
    right after it, inside the row lock that update takes (the requeue job skips locked rows, a
    void waits): only the instant between the SMTP server's acceptance and that COMMIT can make a
    killed worker's message go out twice. SMTP offers no way to close that instant; the
    Message-ID is fixed per job, so mail clients that de-duplicate show one message. On SQLite,
    where an open write transaction locks the whole database, the mark follows the send in its
    own short transaction.
    """
    claimed = model.objects.filter(pk=pk, status=model.Status.RUNNING, claimed_at=claimed_at)

    def mark() -> int:
        now = timezone.now()
        return claimed.update(status=model.Status.DONE, updated_at=now, last_error="", **{model.done_field: now})

    try:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                if not mark():
                    return False
                message.send()
            return True
        if not claimed.exists():
            return False
        message.send()
        mark()
        return True
    except Exception as error:
        attempt_failed(model, pk, error, count_attempt=False)
        raise


def attempt_failed(model: type[OutboxJob], pk: int, error: BaseException, *, count_attempt: bool = True) -> None:
    """Record a failed attempt (the task retries it); the row goes back to pending.

    A claimed attempt was counted when it was claimed (`count_attempt=False`).
    """
    with transaction.atomic():
        job = model.objects.select_for_update().get(pk=pk)
        if job.is_finished:
            return
        job.status = model.Status.PENDING
        job.attempts += 1 if count_attempt else 0
        job.last_error = error_text(error)
        job.claimed_at = None
        job.updated_at = timezone.now()
        job.save(update_fields=["status", "attempts", "last_error", "claimed_at", "updated_at"])


def mark_failed(queryset: models.QuerySet, error: str) -> None:
    """The task gave up (retries exhausted): the one row of `queryset` says failed, with the error.

    A row done or skipped meanwhile, or claimed by another worker less than `STALE_AFTER` ago (it
    is doing the work right now), is left alone.
    """
    with transaction.atomic():
        job = queryset.select_for_update().first()
        if job is None or job.is_finished:
            return
        if job.status == job.Status.RUNNING and job.claimed_at and timezone.now() - job.claimed_at < STALE_AFTER:
            return
        job.status = job.Status.FAILED
        job.last_error = error_text(error or job.last_error)
        job.claimed_at = None
        job.updated_at = timezone.now()
        job.save(update_fields=["status", "last_error", "claimed_at", "updated_at"])


# --- the requeue job ----------------------------------------------------------------------------
def requeue_stale(*, older_than: datetime.timedelta = STALE_AFTER) -> int:
    """Enqueue again every job of every registered kind left pending or running for longer than
    `older_than`; how many (the beat task; see the module's docstring).

    On PostgreSQL a job whose worker is alive and sending holds its row lock, and is skipped.
    """
    now = timezone.now()
    cutoff = now - older_than
    jobs, counts = [], {}
    with transaction.atomic():
        for kind in registered():
            model = kind.model
            open_statuses = (model.Status.PENDING, model.Status.RUNNING)
            rows = list(
                model.objects.select_for_update(skip_locked=True)
                .filter(status__in=open_statuses, updated_at__lt=cutoff)
                .order_by("pk")[:REQUEUE_BATCH]
            )
            running = [row.pk for row in rows if row.status == model.Status.RUNNING]
            if running:
                model.objects.filter(pk__in=running, status=model.Status.RUNNING).update(
                    status=model.Status.PENDING, claimed_at=None, last_error=INTERRUPTED, updated_at=now
                )
            model.objects.filter(pk__in=[row.pk for row in rows]).update(updated_at=now)
            jobs += [kind.task_of(row) for row in rows]
            counts[model._meta.label] = len(rows)
        transaction.on_commit(lambda: enqueue_many(jobs))
    if jobs:
        logger.info("re-enqueued %d stale jobs (%s)", len(jobs), ", ".join(f"{k}: {v}" for k, v in counts.items() if v))
    return len(jobs)

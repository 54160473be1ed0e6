"""Every write of the reports app: ask for a run, run it, expire old files; and the system's export.

Asking (`report_run_create`) checks the requester's right to export the exporter's domain in the
chosen unit, validates the parameters with the exporter's form, freezes the set of units the run
may read, and writes the run with its audit row in one transaction; after commit the run goes to
its Celery task through the outbox (or, when the exporter says it is small, runs in the request).

Running (`report_run_execute`) is safe twice, also at the same time:
- claim: lock the row (skipping a row another worker holds); anything but pending returns. A
  running row is a live worker's, or a dead one's that the outbox's requeue job puts back to
  pending once it is stale: the requeue job, not the task, decides that a claim is dead.
- on PostgreSQL a second connection holds the row's lock while the rows are written (the
  default connection is inside a READ ONLY snapshot and cannot lock anything), so the requeue
  job skips a run whose worker is alive however long it takes; a killed worker's connection
  closes and its lock goes with it.
- the file is written to an anonymous temporary file (gone with a killed process), then stored
  under the run's fixed name in the transaction that marks the run done, only if the run is
  still this attempt's claim: a run retried after a kill ends with one file.

Progress: the writers call back every REPORT_PROGRESS_EVERY rows; the count goes to the cache
(keyed by run id), where the admin reads it while the run's transaction is still open and the
row cannot say it. The row gets the final count when the run is done.

Who may see children's data (`personal`): only exporters of the students and awards domains
show any, and they show it unmasked only when the requester may VIEW_PERSONAL (students) in every
unit the run reads. Money and ledger reports carry no children's data. An exporter that names
children declares `views_record`: called in `_finish`'s transaction (the run is done and its file
stored), it logs one view row per child the file names, by the requester, with the run's id. The
rows are written once per run, however often its file is downloaded (the run rendered the names).
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import logging
import tempfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record
from fundmgr.core import exporting, outbox
from fundmgr.core.exporting import WRITERS, Exporter, ExportRequest, Manifest, export_write, format_allowed
from fundmgr.idempotency.services import idempotent_create
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import Membership, OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import visible_units

from . import selectors
from .models import CONTENT_TYPES, ReportDelivery, ReportRun, ReportSchedule, report_file_path
from .selectors import PROGRESS_KEY

logger = logging.getLogger(__name__)

PERSONAL_DOMAINS = frozenset({Domain.STUDENTS, Domain.AWARDS})
PROGRESS_TIMEOUT = 24 * 3600  # seconds; a run longer than a day is not expected


# --- the exporter and its parameters -------------------------------------------------------------
def exporter_of(kind: str) -> Exporter:
    """The registered exporter named `kind`, or a ValidationError."""
    try:
        return exporting.exporter_get(kind)
    except KeyError:
        raise ValidationError({"kind": ValidationError(_("Không có báo cáo “%(kind)s”.") % {"kind": kind}, code="unknown")}) from None


def exporters_for(user) -> list[Exporter]:
    """The exporters `user` may run somewhere (the admin's list of reports)."""
    return [exporter for exporter in exporting.exporters() if user_can(user, Action.EXPORT, exporter.domain)]


def params_form(exporter: Exporter, data=None, *, user=None):
    """The exporter's parameter form, bound to `data` (None: unbound); None when it has no parameters.

    A form whose `__init__` takes `user` receives the requester (to offer only their funds).
    """
    if exporter.form is None:
        return None
    keywords = {"user": user} if "user" in inspect.signature(exporter.form.__init__).parameters else {}
    return exporter.form(data=data, **keywords)


def params_raw(exporter: Exporter, data) -> dict:
    """What of `data` (a QueryDict or a dict) belongs to the exporter's form, as typed: what a run keeps.

    Widgets that split a field into several inputs post `<name>_0`, `<name>_1`: kept too.
    """
    form = params_form(exporter)
    if form is None:
        return {}
    names = set(form.fields)
    raw = {}
    for key in data:
        if key in names or key.rsplit("_", 1)[0] in names:
            values = data.getlist(key) if hasattr(data, "getlist") else data[key]
            if isinstance(values, list) and len(values) == 1:
                values = values[0]
            raw[key] = values
    return raw


def params_clean(exporter: Exporter, raw: dict, *, user=None) -> dict:
    """The exporter's form's cleaned data for `raw`, or the form's errors as a ValidationError."""
    form = params_form(exporter, _as_form_data(raw), user=user)
    if form is None:
        return {}
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


def _as_form_data(raw: dict):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in raw.items():
        data.setlist(key, [str(item) for item in value] if isinstance(value, list) else [str(value)])
    return data


# --- scope ---------------------------------------------------------------------------------------
def export_unit_ids(user, domain: str, unit: OrgUnit | None) -> frozenset[int] | None:
    """The units a run of `domain` asked by `user` reads: those where the user may export, inside
    `unit`'s subtree. None: every unit (a superuser, or the system, over the whole tree)."""
    unrestricted = user is None or (user.is_active and user.is_superuser)
    if unrestricted and unit is None:
        return None
    units = OrgUnit.objects.all() if unrestricted else visible_units(user, roles_with(Action.EXPORT, domain))
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    return frozenset(units.values_list("pk", flat=True))


def _personal(user, domain: str, unit_ids: frozenset[int] | None) -> bool:
    return domain in PERSONAL_DOMAINS and selectors.names_readable(user, unit_ids)


def _export_request(exporter: Exporter, params: dict, unit_ids, personal: bool, user) -> ExportRequest:
    return ExportRequest(params=params, unit_ids=unit_ids, personal=personal, user=user)


# --- asking for a run ------------------------------------------------------------------------------
RUN_AUDIT_FIELDS = ["kind", "domain", "parameters", "format", "unit", "personal", "unit_ids"]


def report_run_create(
    *, kind: str, data, format: str, by, unit: OrgUnit | None = None, schedule: ReportSchedule | None = None,
    period: str = "", idempotency_key: str | None = None,
) -> ReportRun:
    """Ask for a run of exporter `kind` with the form data `data`, as `by`, over `unit`'s subtree
    (None: all of `by`'s scope). PermissionDenied without EXPORT in the exporter's domain there;
    ValidationError for an unknown report or format, or parameters the form refuses.

    `by=None` is the system (a schedule, `report_schedules_due`): no permission check, the run
    reads `unit`'s whole subtree; only services pass it, never a view.

    A repeat of `idempotency_key` (keys are the asking user's own) with the same request returns
    the first run, marked `replayed`, and starts nothing; with another request it is refused."""
    exporter = exporter_of(kind)
    format_check(exporter, format)
    if by is not None and not user_can(by, Action.EXPORT, exporter.domain, unit):
        raise PermissionDenied(_("Bạn không có quyền xuất báo cáo này cho đơn vị này."))
    raw = params_raw(exporter, data)
    params = params_clean(exporter, raw, user=by)
    unit_ids = export_unit_ids(by, exporter.domain, unit)
    personal = _personal(by, exporter.domain, unit_ids)
    inline = _small(exporter, _export_request(exporter, params, unit_ids, personal, by))
    def record() -> ReportRun:
        run = ReportRun.objects.create(
            kind=exporter.name, domain=exporter.domain, parameters=raw, format=format, requested_by=by, unit=unit,
            unit_ids=None if unit_ids is None else sorted(unit_ids), personal=personal, schedule=schedule,
            period=period,
        )
        audit_record(
            action=AuditEvent.Action.EXPORT, instance=run, actor=by,
            after={name: getattr(run, ReportRun._meta.get_field(name).attname) for name in RUN_AUDIT_FIELDS},
        )
        transaction.on_commit(lambda: _start(run, inline=inline))
        return run

    with transaction.atomic():
        run, created = idempotent_create(
            scope=f"report-run:{by.pk if by is not None else 'system'}", key=idempotency_key,
            content={"kind": exporter.name, "parameters": raw, "format": format, "unit": unit, "period": period},
            model=ReportRun, create=record,
        )
    run.replayed = not created
    return run


def _small(exporter: Exporter, request: ExportRequest) -> bool:
    """Whether the run is small enough to write in the request (REPORT_INLINE_MAX_ROWS; 0: never)."""
    limit = settings.REPORT_INLINE_MAX_ROWS
    if not limit or exporter.count is None:
        return False
    return exporter.count(request) <= limit


def _start(run: ReportRun, *, inline: bool) -> None:
    if inline:
        try:
            report_run_execute(run_id=run.pk)
            return
        except Exception:
            # The row is pending again (`attempt_failed`); the worker tries it with its retries.
            logger.warning("report run %s failed inline; handing it to the worker", run.pk, exc_info=True)
    outbox.enqueue_jobs([run])


# --- running it ------------------------------------------------------------------------------------
class ClaimLost(Exception):
    """The run was taken from this attempt (the requeue job found it stale) while it worked."""


def report_run_execute(*, run_id: int) -> bool:
    """Write the run's file, once; True when this call did. See the module's docstring.

    Raises ReportRun.DoesNotExist for a run that is not there (nothing to retry). An error while
    writing puts the run back to pending and is raised again, for the task to retry.
    """
    claimed = _claim(run_id)
    if claimed is None:
        return False
    run, claimed_at = claimed
    try:
        request, exporter = _request_of(run)
    except (ValidationError, PermissionDenied) as error:
        _refuse(run, error)
        return False
    try:
        with tempfile.TemporaryFile() as scratch:
            with _claim_held(run.pk, claimed_at):
                manifest = _write(exporter, request, run.format, scratch, progress=_CacheProgress(run.pk))
            return _finish(run.pk, claimed_at, scratch, manifest, exporter=exporter, request=request)
    except ClaimLost:
        return False
    except Exception as error:
        outbox.attempt_failed(ReportRun, run.pk, error, count_attempt=False)
        raise


def _claim(run_id: int):
    with transaction.atomic():
        # skip_locked: a row locked by a live worker's run is left to it.
        run = (
            ReportRun.objects.select_for_update(skip_locked=True, of=("self",)).select_related("requested_by", "unit")
            .filter(pk=run_id).first()
        )
        if run is None:
            ReportRun.objects.get(pk=run_id)  # DoesNotExist when the run is gone, not merely locked
            return None
        if run.status != ReportRun.Status.PENDING:
            return None
        claimed_at = outbox.claim(run, rows_done=0, rows_total=None)
    _progress_set(run.pk, 0, None)
    return run, claimed_at


def _request_of(run: ReportRun) -> tuple[ExportRequest, Exporter]:
    """The run's request, checked again now: the exporter exists, the parameters are still valid,
    and the requester may still export there (a membership revoked while the run waited)."""
    exporter = exporter_of(run.kind)
    user = run.requested_by
    if user is not None and not user_can(user, Action.EXPORT, run.domain, run.unit):
        raise PermissionDenied(_("Người yêu cầu không còn quyền xuất báo cáo này."))
    params = params_clean(exporter, run.parameters, user=user)
    return _export_request(exporter, params, run.unit_id_set, run.personal, user), exporter


def _refuse(run: ReportRun, error) -> None:
    """A run that can never succeed as asked: failed for good, with the reason."""
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.FAILED, last_error=outbox.error_text(" ".join(messages)), claimed_at=None,
        updated_at=timezone.now(),
    )
    _progress_forget(run.pk)


def format_check(exporter: Exporter, format: str) -> None:
    """ValidationError unless `exporter` may be written as `format` (PDF: only the short statements)."""
    if format not in WRITERS:
        raise ValidationError({"format": ValidationError(_("Định dạng không hợp lệ."), code="invalid")})
    if not format_allowed(exporter, format):
        raise ValidationError({"format": ValidationError(
            _("Báo cáo “%(title)s” không xuất được ra PDF: chỉ các báo cáo ngắn (báo cáo thu chi quỹ, bảng cân đối số "
              "phát sinh, báo cáo chiến dịch) có bản PDF. Hãy chọn CSV hoặc Excel."),
            code="format_refused", params={"title": exporter.title},
        )})


def _write(exporter: Exporter, request: ExportRequest, format: str, target, *, progress=None) -> Manifest:
    """Stream the exporter's rows through the format's writer into `target`, in one snapshot."""
    # The books are kept in Vietnamese: headers and totals' names do not depend on who ran the report
    # (inline in an English page, or by a worker).
    with translation.override(settings.LANGUAGE_CODE), snapshot(exporter.snapshot):
        options = {"title": str(exporter.title)} if format in (ReportRun.Format.XLSX, ReportRun.Format.PDF) else {}
        total = exporter.count(request) if exporter.count is not None else None
        if progress is not None:
            progress.total = total
        # export_write: the exporter's own fast writer where it has one (the general journal's COPY).
        return export_write(exporter, request, format, target, progress=progress,
                            every=settings.REPORT_PROGRESS_EVERY, **options)


@contextlib.contextmanager
def snapshot(consistent: bool = True):
    """One REPEATABLE READ READ ONLY transaction on PostgreSQL (totals agree with the ledger at one
    moment, and nothing can be written). Elsewhere, and for exporters that do not ask for it, no
    transaction: on SQLite a transaction takes the database's write lock for the whole report.
    Inside a caller's transaction (tests) the snapshot is the caller's to choose."""
    if not consistent or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Must be the transaction's first statement.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


@contextlib.contextmanager
def _claim_held(run_id: int, claimed_at: datetime.datetime):
    """On PostgreSQL, hold the run's row lock on a connection of its own while the file is written
    (the module's docstring says why). Leaving, it marks the row touched, so the requeue job does not
    take it in the instant between this lock's release and `_finish`'s."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a caller's transaction (tests) a second connection cannot see the row.
        yield
        return
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    table = ReportRun._meta.db_table
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {table} WHERE id = %s AND status = %s AND claimed_at = %s FOR UPDATE NOWAIT",
                [run_id, ReportRun.Status.RUNNING, claimed_at],
            )
            if cursor.fetchone() is None:
                raise ClaimLost
        yield
        with holder.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET updated_at = %s WHERE id = %s", [timezone.now(), run_id])
        holder.commit()
    finally:
        holder.close()


def _finish(run_id: int, claimed_at: datetime.datetime, scratch, manifest: Manifest, *, exporter: Exporter,
            request: ExportRequest) -> bool:
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if run.status != ReportRun.Status.RUNNING or run.claimed_at != claimed_at:
            return False  # the claim was taken away: the attempt that holds it now writes the file
        name = report_file_path(run, "")
        storage = run.file.storage
        if storage.exists(name):
            storage.delete(name)  # a killed attempt's half-stored file
        scratch.seek(0)
        run.file.save(name, File(scratch), save=False)
        now = timezone.now()
        run.manifest = manifest.as_dict()
        run.rows_done = run.rows_total = manifest.rows
        run.status = ReportRun.Status.DONE
        run.last_error = ""
        run.finished_at = run.updated_at = now
        run.expires_at = now + datetime.timedelta(days=settings.REPORT_FILE_DAYS)
        run.save(update_fields=[
            "file", "manifest", "rows_done", "rows_total", "status", "last_error", "finished_at", "updated_at",
            "expires_at",
        ])
        if exporter.views_record is not None:
            # Who the file names (children): one view row each, by the requester, with this run's id.
            exporter.views_record(request, run_id=run.pk)
        if run.schedule_id is not None:
            _deliveries_create(run)
    _progress_forget(run_id)
    return True


def report_file_open(*, run: ReportRun, by):
    """The run's file, opened for `by` to download, with an audit row (action "view" on the run): who
    downloaded which run, whose children's view rows (written once, by the run) say who it names.

    PermissionDenied when `by` may see the run but not its names (`selectors.run_file_may_read`)."""
    if not selectors.run_file_may_read(by, run):
        raise PermissionDenied(_("Tệp này có tên học sinh: chỉ người yêu cầu và người được xem dữ liệu cá nhân của "
                                 "học sinh ở mọi đơn vị của báo cáo mới tải được."))
    opened = run.file.open("rb")
    audit_record(action=AuditEvent.Action.VIEW, instance=run, actor=by, after={"file": True, "personal": run.personal})
    return opened


def report_run_mark_failed(*, run_id: int, error: str) -> None:
    """The task gave up (retries exhausted): the run says failed, with the error."""
    outbox.mark_failed(ReportRun.objects.filter(pk=run_id), error)
    _progress_forget(run_id)


# --- progress ----------------------------------------------------------------------------------------
class _CacheProgress:
    """The writers' progress callback: rows done (and the total, once counted) into the cache."""

    def __init__(self, run_id: int):
        self.run_id, self.total = run_id, None

    def __call__(self, rows_done: int) -> None:
        _progress_set(self.run_id, rows_done, self.total)


def _progress_set(run_id: int, done: int, total: int | None) -> None:
    try:
        cache.set(PROGRESS_KEY.format(run_id), {"done": done, "total": total}, PROGRESS_TIMEOUT)
    except Exception:
        # Progress is a courtesy: a cache that is down must not fail the report.
        logger.warning("could not record the progress of report run %s", run_id, exc_info=True)


def _progress_forget(run_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(PROGRESS_KEY.format(run_id))


# --- expiry -------------------------------------------------------------------------------------------
def report_files_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of runs past their expiry; how many. The rows stay, with their manifests."""
    now = now or timezone.now()
    expired = 0
    for run_id in ReportRun.objects.filter(expires_at__lte=now).exclude(file="").values_list("pk", flat=True):
        with transaction.atomic():
            run = ReportRun.objects.select_for_update().get(pk=run_id)
            if not run.file:
                continue
            run.file.delete(save=False)
            run.save(update_fields=["file"])
            expired += 1
    return expired


# --- scheduled reports --------------------------------------------------------------------------------
# The exporters' date parameters: a schedule's run gets its period's dates there, nobody types them.
PERIOD_FIELDS = ("date_from", "date_to")
# Who receives a unit's scheduled reports: its own treasurers and auditors (not those of the units
# above it, who would otherwise receive every commune's files).
RECIPIENT_ROLES = (Membership.Role.TREASURER, Membership.Role.AUDITOR)


def schedule_period(frequency: str, today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """The last whole period before `today`: (key, first day, last day). Weekly: the ISO week, Monday
    to Sunday, before today's; monthly: the calendar month before today's."""
    if frequency == ReportSchedule.WEEKLY:
        first = today - datetime.timedelta(days=today.weekday() + 7)
        year, week, _weekday = first.isocalendar()
        return f"{year}-W{week:02d}", first, first + datetime.timedelta(days=6)
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return f"{last.year}-{last.month:02d}", last.replace(day=1), last


SCHEDULE_AUDIT_FIELDS = ["kind", "unit", "format", "enabled", "parameters"]


@transaction.atomic
def report_schedule_save(*, schedule: ReportSchedule, by) -> ReportSchedule:
    """Create `schedule` or save its changes, with its audit row.

    Who may: the actor holds the money write right in the schedule's unit (and, when it moves, in
    the unit it leaves) and may export the report's domain there: a schedule mails that report to
    the unit's people, so setting one up is exporting it.
    """
    exporter = exporter_of(schedule.kind)
    stored = None if schedule.pk is None else ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
    units = [schedule.unit] if stored is None else [stored.unit, schedule.unit]
    access_units(by, units, action=Action.ADD if stored is None else Action.CHANGE, domain=Domain.MONEY)
    access_units(by, [schedule.unit], action=Action.EXPORT, domain=exporter.domain)
    if stored is None:
        schedule.created_by = by
        schedule.save()
        audit_create(schedule, SCHEDULE_AUDIT_FIELDS, actor=by)
        return schedule
    before = audit_fields(stored, SCHEDULE_AUDIT_FIELDS)
    schedule.save()
    audit_change(schedule, before, after=audit_fields(schedule, SCHEDULE_AUDIT_FIELDS), actor=by)
    return schedule


def schedule_exporter_fields(exporter: Exporter) -> dict:
    """The exporter's parameter fields that a schedule keeps (its period's dates are the schedule's)."""
    form = params_form(exporter)
    if form is None:
        return {}
    return {name: field for name, field in form.fields.items() if name not in PERIOD_FIELDS}


def schedule_parameters_clean(*, kind: str, data) -> dict:
    """What a schedule keeps of the form data `data` for exporter `kind` (raw, as a run keeps it),
    checked with the exporter's form as a run of last period would be; ValidationError otherwise."""
    exporter = exporter_of(kind)
    raw = {key: value for key, value in params_raw(exporter, data).items() if key.rsplit("_", 1)[0] not in PERIOD_FIELDS}
    today = timezone.localdate()
    params_clean(exporter, _with_period(exporter, raw, today, today))
    return raw


def _with_period(exporter: Exporter, raw: dict, first: datetime.date, last: datetime.date) -> dict:
    form = params_form(exporter)
    if form is None or not set(PERIOD_FIELDS) <= set(form.fields):
        return dict(raw)  # the exporter has no dates (the campaign report covers the whole campaign)
    return {**raw, "date_from": first.isoformat(), "date_to": last.isoformat()}


def report_recipients(unit: OrgUnit):
    """The users a scheduled report of `unit` goes to: its active treasurers and auditors with an
    e-mail address, each once."""
    return (
        get_user_model().objects.filter(is_active=True, memberships__unit=unit, memberships__role__in=RECIPIENT_ROLES)
        .exclude(email="").distinct().order_by("pk")
    )


def report_schedules_due(*, today: datetime.date) -> list[ReportRun]:
    """Ask, as the system, for the run of every enabled schedule whose last whole period was not sent
    yet (the daily beat job); the runs asked for. Each run is e-mailed when it is done (`_finish`)."""
    runs = []
    for schedule_id in ReportSchedule.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True):
        try:
            run = report_schedule_run(schedule_id=schedule_id, today=today)
        except ValidationError:
            # Parameters gone stale (a campaign deleted): this schedule waits for a person and is tried
            # again tomorrow (its period stays unsent); the others go.
            logger.warning("report schedule %s could not run", schedule_id, exc_info=True)
            continue
        if run is not None:
            runs.append(run)
    return runs


def report_schedule_run(*, schedule_id: int, today: datetime.date) -> ReportRun | None:
    """The run of the schedule's last whole period before `today`, once per period (None: sent already,
    or the schedule is disabled). The period is marked in the transaction that writes the run."""
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update(of=("self",)).select_related("unit").get(pk=schedule_id)
        if not schedule.enabled:
            return None
        key, first, last = schedule_period(schedule.frequency, today)
        if schedule.last_sent_period == key:
            return None
        exporter = exporter_of(schedule.kind)
        run = report_run_create(
            kind=schedule.kind, data=_with_period(exporter, schedule.parameters, first, last), format=schedule.format,
            by=None, unit=schedule.unit, schedule=schedule, period=key,
        )
        schedule.last_sent_period = key
        schedule.save(update_fields=["last_sent_period"])
    return run


def _deliveries_create(run: ReportRun) -> None:
    """In the transaction that marks a scheduled run done: one e-mail job per recipient, sent after commit."""
    deliveries = [ReportDelivery.objects.create(run=run, user=user) for user in report_recipients(run.unit)]
    transaction.on_commit(lambda: outbox.enqueue_jobs(deliveries))


def report_delivery_send(*, delivery_id: int) -> bool:
    """E-mail a scheduled run's file to one recipient, once; True when this call sent it.

    A recipient who has lost the role or the address meanwhile, or a file already expired, marks
    the job skipped (the reason in `last_error`)."""
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update(of=("self",)).select_related("run__unit", "user")
            .get(pk=delivery_id)
        )
        if delivery.status != ReportDelivery.Status.PENDING:
            return False  # done, skipped, failed, or another worker is sending it now
        run = delivery.run
        if not report_recipients(run.unit).filter(pk=delivery.user_id).exists():
            outbox.skip(delivery, _("Người nhận không còn là thủ quỹ hay kiểm tra của đơn vị, hoặc không có e-mail."))
            return False
        if not run.file:
            outbox.skip(delivery, _("Tệp báo cáo đã hết hạn."))
            return False
        address = delivery.user.email
        claimed_at = outbox.claim(delivery, recipient=address)
    return outbox.build_and_send(ReportDelivery, delivery.pk, claimed_at, lambda: _delivery_message(delivery, address))


def report_delivery_mark_failed(*, delivery_id: int, error: str) -> None:
    outbox.mark_failed(ReportDelivery.objects.filter(pk=delivery_id), error)


def _delivery_message(delivery: ReportDelivery, address: str) -> EmailMessage:
    run = delivery.run
    # The association writes in Vietnamese, whoever's worker sends it.
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "title": selectors.exporter_title(run.kind), "unit": run.unit.name, "period": run.period,
            "name": delivery.user.get_full_name() or delivery.user.get_username(), "rows": run.manifest.get("rows", 0),
            "sha256": run.manifest.get("sha256", ""),
        }
        subject = _("Báo cáo định kỳ: %(title)s – %(unit)s – kỳ %(period)s") % values
        body = _(
            "Kính gửi %(name)s,\n\n"
            "Đính kèm là báo cáo “%(title)s” của %(unit)s, kỳ %(period)s (%(rows)s dòng).\n"
            "SHA-256 của tệp đính kèm: %(sha256)s\n"
            "Hãy so mã này với tệp nhận được để chắc tệp không bị thay đổi.\n\n"
            "Thư gửi tự động theo lịch gửi báo cáo của đơn vị; thủ quỹ có thể tắt lịch trong trang quản trị.\n\n"
            "Trân trọng,\nHội Khuyến học"
        ) % values
    domain = (getattr(settings, "DEFAULT_FROM_EMAIL", "") or "").rsplit("@", 1)[-1].strip(" >") or "khuyenhoc.local"
    message = EmailMessage(
        subject=subject, body=body, to=[address],
        # Fixed per job: a copy sent again after a crash is recognisably the same message.
        headers={"Message-ID": f"<report.{run.pk}.{delivery.pk}@{domain}>", "X-Report-SHA256": values["sha256"]},
    )
    with run.file.open("rb") as report_file:
        message.attach(f"{run.kind}-{run.period}.{run.format}", report_file.read(), CONTENT_TYPES[run.format])
    return message


# --- the system's export (manage.py report) ---------------------------------------------------------
def report_write(*, kind: str, data: dict, format: str, target, unit: OrgUnit | None = None,
                 personal: bool = False, progress=None) -> Manifest:
    """Write exporter `kind` as the system (every unit, or `unit`'s subtree) into the binary file
    `target`; its manifest. One audit row says the system exported it."""
    exporter = exporter_of(kind)
    format_check(exporter, format)
    raw = params_raw(exporter, data)
    params = params_clean(exporter, raw)
    unit_ids = export_unit_ids(None, exporter.domain, unit)
    request = _export_request(exporter, params, unit_ids, personal, None)
    manifest = _write(exporter, request, format, target, progress=progress)
    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.EXPORT, model_label=f"reports.{exporter.name}", unit=unit,
            after={"parameters": raw, "format": format, "personal": personal, "rows": manifest.rows,
                   "sha256": manifest.sha256},
        )
        if exporter.views_record is not None:
            exporter.views_record(request, run_id=None)
    return manifest

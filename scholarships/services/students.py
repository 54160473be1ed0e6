"""Student records: every write, and every look at a child's personal data, goes through here.

One function per use case, keyword-only arguments, one transaction each, an audit row each:
- `student_create`, `student_update`: validated like the admin form, contacts normalised;
- `students_import`: a CSV or XLSX file from a school, all rows or none, already-known students skipped;
- `student_views_record`: the log of who saw which child's record, where, and whether unmasked;
  `report_views_recorder`: the same for the reports that list children (the award list);
- `students_export`: a CSV export, masked unless the user may see every row, logged;
- `student_anonymise`, `students_anonymise_expired`: erasing personal fields on request and after
  the retention period (`settings.STUDENT_DATA_RETENTION_YEARS`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import (
    anonymise,
    audit_change,
    audit_create,
    audit_fields,
    audit_record,
    audit_record_many,
)
from fundmgr.core.contacts import name_clean, phone_normalize
from fundmgr.core.dates import birth_date_errors
from fundmgr.idempotency.services import fingerprints_forget, idempotent_create, scope_of
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from scholarships import exporters
from scholarships.models import PERSONAL_FIELDS, Student, TransferLine
from scholarships.privacy import PersonalAccess

# The fields a person may set; bookkeeping (unit, dates, anonymisation) is the services' own.
EDITABLE_FIELDS = (
    "full_name", "date_of_birth", "gender", "guardian_name", "guardian_phone", "address", "national_id",
    "circumstances_note", "school_name", "school_level", "grade", "average_score", "academic_rank",
    "poor_household", "near_poor_household", "orphan", "disability", "ethnic_minority", "remote_area",
    "bank_account_number", "bank_account_holder", "bank_code",
)
# Recorded in the audit row of a creation (personal ones masked there by `audit_record`).
AUDITED_FIELDS = ("unit", *EDITABLE_FIELDS)


def _today() -> datetime.date:
    return timezone.localdate()


def student_clean(student: Student) -> None:
    """Normalise what people type, then the model's own validation; ValidationError by field.

    The admin form runs it too, so a form shows the same errors the service would raise.
    """
    # Names without invisible characters: one of zero-width spaces only is an empty name.
    student.full_name = name_clean(student.full_name)
    student.guardian_name = name_clean(student.guardian_name)
    student.bank_account_holder = name_clean(student.bank_account_holder)
    student.bank_account_number = "".join((student.bank_account_number or "").split())
    student.school_name = " ".join((student.school_name or "").split())
    student.national_id = (student.national_id or "").strip()
    student.guardian_phone = phone_normalize(student.guardian_phone, field="guardian_phone")
    errors = {}
    # Between thirty years ago and today (fundmgr.core.dates): 1800 or 1912 for 2012 is a slip.
    # (Text that is no date at all is the model's to refuse, below.)
    birth_errors = birth_date_errors(student.date_of_birth) if isinstance(student.date_of_birth, datetime.date) else []
    if birth_errors:
        errors["date_of_birth"] = [message for error in birth_errors for message in error.messages]
    try:
        student.full_clean(exclude=["created_by", "last_activity_on"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _unknown_fields(fields) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        # A programming error, not user input: the admin and the API pass only known fields.
        raise TypeError(f"not editable student fields: {unknown}")


def student_create(
    *, unit: OrgUnit, created_by=None, channel: str = "admin", idempotency_key: str | None = None, **fields
) -> Student:
    """Record a student nominated by `unit`; ValidationError (by field) when anything is invalid.

    A repeat of `idempotency_key` (scoped to `channel` and `unit`) with the same fields returns the
    first record (with `replayed` set); with other fields it is refused. PermissionDenied unless
    `created_by` may add students in `unit`.
    """
    _unknown_fields(fields)
    access_units(created_by, [unit], action=Action.ADD, domain=Domain.STUDENTS)

    def create() -> Student:
        student = Student(unit=unit, created_by=created_by, last_activity_on=_today(), **fields)
        student_clean(student)
        student.save()
        audit_create(student, AUDITED_FIELDS, actor=created_by)
        return student

    with transaction.atomic():
        student, created = idempotent_create(
            scope=scope_of(channel, unit), key=idempotency_key, content={"unit": unit.pk, **fields}, model=Student,
            create=create,
        )
    student.replayed = not created
    return student


def student_update(*, student: Student, by=None, **changes) -> Student:
    """Change the given fields of `student`; nothing is written when any of them is invalid."""
    _unknown_fields(changes)
    access_units(by, [student.unit], action=Action.CHANGE, domain=Domain.STUDENTS)
    if student.is_anonymised:
        raise ValidationError(_("Hồ sơ đã được ẩn danh, không thể sửa."), code="anonymised")
    with transaction.atomic():
        locked = Student.objects.select_for_update().select_related("unit").get(pk=student.pk)
        before = audit_fields(locked, changes)
        for name, value in changes.items():
            setattr(locked, name, value)
        student_clean(locked)
        locked.last_activity_on = _today()
        locked.save()
        audit_change(locked, before, actor=by)
    return locked


def student_views_record(*, students, viewer, channel: str, shows_personal: bool, details: dict | None = None) -> int:
    """Log that `viewer` saw each of `students` (admin page, API, export); return the rows written.

    Every look at a child's record is attributable (the personal data protection law asks who
    processed whose data): one audit row per student, so "who saw this child?" is a filter on
    the student's id. A list that shows only masked values is not a look at anyone's personal
    data, and the caller does not log it. `details` go into each row too (a report's run).
    """
    return audit_record_many(
        action=AuditEvent.Action.VIEW, instances=students, actor=viewer,
        after={"channel": channel, "personal": shows_personal, **(details or {})},
    )


REPORT_CHANNEL = "report"
_REPORT_CHUNK = 1_000


def report_views_recorder(report: str):
    """The `views_record` of the report (exporter) named `report` (`fundmgr.core.exporting`): after its
    file is written, one view row per child the rows named (`request.shown`), by the requester (the
    system for `manage.py report`), channel "report", with the run's id; `personal` says whether the
    names were in clear. Like a paper, a masked file is logged too: it leaves the building with the
    children's record codes, schools and initials. Returns the rows written."""
    def views_record(request, *, run_id: int | None) -> int:
        ids = sorted(request.shown)
        details = {"report": report, "run": run_id}
        written = 0
        for start in range(0, len(ids), _REPORT_CHUNK):
            students = Student.objects.filter(pk__in=ids[start:start + _REPORT_CHUNK]).only("pk", "unit_id").order_by("pk")
            written += student_views_record(
                students=students, viewer=request.user, channel=REPORT_CHANNEL, shows_personal=request.personal,
                details=details,
            )
        return written

    return views_record


def students_export(*, students, by, personal: bool):
    """The rows of a CSV export of `students` (header first), logged; personal data only if allowed.

    `personal` asks for names and contacts in clear: refused (ValidationError, nothing logged)
    unless `by` may see every chosen child's personal data; then each child gets a `view` row.
    The export's own row belongs to the unit of its rows when they share one; a file that spans
    units is system-wide (root auditors), while each child's row keeps its unit.
    """
    students = list(students)
    if personal:
        access = PersonalAccess(by)
        if not all(access.allows(student) for student in students):
            raise ValidationError(
                _("Bạn không được xem dữ liệu cá nhân của một số học sinh đã chọn; hãy xuất bản đã che."),
                code="personal_not_allowed",
            )
    with transaction.atomic():
        if personal:
            student_views_record(students=students, viewer=by, channel="export", shows_personal=True)
        units = {student.unit for student in students}
        audit_record(
            action=AuditEvent.Action.EXPORT, model_label=Student._meta.label_lower, actor=by,
            after={"rows": len(students), "personal": personal, "ids": [student.pk for student in students]},
            unit=units.pop() if len(units) == 1 else None,
        )
    return exporters.student_rows(students, personal=personal)


def student_anonymise(*, student: Student, by=None, reason: str) -> Student:
    """Erase `student`'s personal fields now (a guardian's request, or retention); keep the facts."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Cần ghi lý do ẩn danh.")]})
    with transaction.atomic():
        anonymise(student, PERSONAL_FIELDS, actor=by)
        # The bank code alone names nobody, but goes with the account; the transfer files' copies of
        # the account go too (the lines keep their amounts, the ledger still adds up).
        Student.objects.filter(pk=student.pk).update(bank_code="")
        TransferLine.objects.filter(award__student=student).update(account_number="", account_holder="")
        fingerprints_forget(instance=student)
        Student.objects.filter(pk=student.pk, anonymised_at__isnull=True).update(anonymised_at=timezone.now())
        audit_record(
            action=AuditEvent.Action.TRANSITION, model_label=Student._meta.label_lower, object_id=student.pk,
            after={"anonymised": True, "reason": reason[:500]}, actor=by, unit=student.unit,
        )
    student.refresh_from_db()
    return student


def retention_cutoff(today: datetime.date | None = None) -> datetime.date:
    """Records whose last activity is before this day are past the retention period."""
    today = today or _today()
    years = settings.STUDENT_DATA_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def students_anonymise_expired(*, today: datetime.date | None = None, batch_size: int = 500) -> int:
    """Anonymise every student whose record saw no activity during the retention period.

    Each student in its own transaction: a long run that stops half-way keeps what it did, and
    the next run (a daily beat job) carries on.
    """
    cutoff = retention_cutoff(today)
    reason = _("Hết thời hạn lưu trữ %(years)s năm.") % {"years": settings.STUDENT_DATA_RETENTION_YEARS}
    done = 0
    while True:
        batch = list(
            Student.objects.not_anonymised().filter(last_activity_on__lt=cutoff).order_by("pk")[:batch_size]
        )
        if not batch:
            return done
        for student in batch:
            student_anonymise(student=student, reason=reason)
            done += 1

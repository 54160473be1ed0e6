"""Student records: every write, and every look at a child's personal data, goes through here.

One function per use case, keyword-only arguments, one transaction each, an audit row each:
- `student_create`, `student_update`: validated like the admin form, contacts normalised;
- `students_import`: a CSV file from a school, all rows or none, already-known students skipped;
- `student_views_record`: the log of who saw which child's record, where, and whether unmasked;
- `students_export`: a CSV export, masked unless the user may see every row, logged;
- `student_anonymise`, `students_anonymise_expired`: erasing personal fields on request and after
  the retention period (`settings.STUDENT_DATA_RETENTION_YEARS`).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.privacy import anonymise
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record, audit_record_many
from fundmgr.contacts import name_clean, name_normalize, phone_normalize
from fundmgr.dates import birth_date_errors
from fundmgr.orgs.models import OrgUnit

from . import exporters
from .models import PERSONAL_FIELDS, Student
from .privacy import PersonalAccess

# The fields a person may set; bookkeeping (unit, dates, anonymisation) is the services' own.
EDITABLE_FIELDS = (
    "full_name", "date_of_birth", "gender", "guardian_name", "guardian_phone", "address", "national_id",
    "circumstances_note", "school_name", "school_level", "grade", "average_score", "academic_rank",
    "poor_household", "near_poor_household", "orphan", "disability", "ethnic_minority", "remote_area",
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
    student.school_name = " ".join((student.school_name or "").split())
    student.national_id = (student.national_id or "").strip()
    student.guardian_phone = phone_normalize(student.guardian_phone, field="guardian_phone")
    errors = {}
    # Between thirty years ago and today (fundmgr.dates): 1800 or 1912 for 2012 is a slip.
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


def student_create(*, unit: OrgUnit, created_by=None, **fields) -> Student:
    """Record a student nominated by `unit`; ValidationError (by field) when anything is invalid."""
    _unknown_fields(fields)
    student = Student(unit=unit, created_by=created_by, last_activity_on=_today(), **fields)
    student_clean(student)
    with transaction.atomic():
        student.save()
        audit_create(student, AUDITED_FIELDS, actor=created_by)
    return student


def student_update(*, student: Student, by=None, **changes) -> Student:
    """Change the given fields of `student`; nothing is written when any of them is invalid."""
    _unknown_fields(changes)
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


def student_views_record(*, students, viewer, channel: str, shows_personal: bool) -> int:
    """Log that `viewer` saw each of `students` (admin page, API, export); return the rows written.

    Every look at a child's record is attributable (the personal data protection law asks who
    processed whose data): one audit row per student, so "who saw this child?" is a filter on
    the student's id. A list that shows only masked values is not a look at anyone's personal
    data, and the caller does not log it.
    """
    return audit_record_many(
        action=AuditEvent.Action.VIEW, instances=students, actor=viewer,
        after={"channel": channel, "personal": shows_personal},
    )


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


# --- CSV import -------------------------------------------------------------------------------

# Header names accepted for each field, Vietnamese first (compared without diacritics or case).
IMPORT_COLUMNS = {
    "full_name": ("Họ và tên", "Họ tên", "full_name", "name"),
    "date_of_birth": ("Ngày sinh", "date_of_birth"),
    "gender": ("Giới tính", "gender"),
    "school_name": ("Trường", "school", "school_name"),
    "school_level": ("Cấp học", "school_level"),
    "grade": ("Lớp", "grade"),
    "average_score": ("Điểm trung bình", "ĐTB", "average_score"),
    "academic_rank": ("Học lực", "academic_rank"),
    "guardian_name": ("Người giám hộ", "Cha mẹ", "guardian_name"),
    "guardian_phone": ("Điện thoại", "Số điện thoại", "guardian_phone", "phone"),
    "address": ("Địa chỉ", "address"),
    "national_id": ("Số định danh", "CCCD", "national_id"),
    "circumstances": ("Hoàn cảnh", "circumstances"),
    "circumstances_note": ("Ghi chú hoàn cảnh", "circumstances_note"),
}
REQUIRED_COLUMNS = ("full_name", "school_name", "school_level", "grade")

_GENDER_WORDS = {"nu": Student.Gender.FEMALE, "female": Student.Gender.FEMALE, "f": Student.Gender.FEMALE,
                 "nam": Student.Gender.MALE, "male": Student.Gender.MALE, "m": Student.Gender.MALE}
_LEVEL_WORDS = {
    "tieu hoc": Student.SchoolLevel.PRIMARY, "th": Student.SchoolLevel.PRIMARY, "primary": Student.SchoolLevel.PRIMARY,
    "trung hoc co so": Student.SchoolLevel.LOWER_SECONDARY, "thcs": Student.SchoolLevel.LOWER_SECONDARY,
    "lower_secondary": Student.SchoolLevel.LOWER_SECONDARY,
    "trung hoc pho thong": Student.SchoolLevel.UPPER_SECONDARY, "thpt": Student.SchoolLevel.UPPER_SECONDARY,
    "upper_secondary": Student.SchoolLevel.UPPER_SECONDARY,
    "cao dang, dai hoc": Student.SchoolLevel.HIGHER, "dai hoc": Student.SchoolLevel.HIGHER,
    "cao dang": Student.SchoolLevel.HIGHER, "higher": Student.SchoolLevel.HIGHER,
}
_RANK_WORDS = {
    "xuat sac": Student.AcademicRank.EXCELLENT, "excellent": Student.AcademicRank.EXCELLENT,
    "gioi": Student.AcademicRank.VERY_GOOD, "very_good": Student.AcademicRank.VERY_GOOD,
    "kha": Student.AcademicRank.GOOD, "good": Student.AcademicRank.GOOD,
    "trung binh": Student.AcademicRank.AVERAGE, "average": Student.AcademicRank.AVERAGE,
}
# Circumstances are written in one cell, separated by commas or semicolons.
_REMOTE_WITH_COMMA = re.compile(r"v[uù]ng s[aâ]u\s*,\s*v[uù]ng xa", re.IGNORECASE)
_CIRCUMSTANCE_WORDS = {
    "ho ngheo": "poor_household", "ngheo": "poor_household", "poor": "poor_household",
    "ho can ngheo": "near_poor_household", "can ngheo": "near_poor_household", "near_poor": "near_poor_household",
    "mo coi": "orphan", "orphan": "orphan",
    "khuyet tat": "disability", "disability": "disability",
    "dan toc thieu so": "ethnic_minority", "ethnic_minority": "ethnic_minority",
    "vung sau, vung xa": "remote_area", "vung sau vung xa": "remote_area", "vung xa": "remote_area",
    "remote": "remote_area",
}


@dataclass
class StudentImportResult:
    created: list[Student] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)


def _parse_date(text: str) -> datetime.date:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _import_row_fields(cell) -> tuple[dict, list[str]]:
    """The student fields of one CSV row, and the row's errors in words a school secretary reads."""
    fields: dict = {"full_name": cell("full_name"), "school_name": cell("school_name")}
    errors: list[str] = []
    for name in ("guardian_name", "guardian_phone", "address", "national_id", "circumstances_note"):
        fields[name] = cell(name)
    if cell("date_of_birth"):
        try:
            fields["date_of_birth"] = _parse_date(cell("date_of_birth"))
        except ValueError:
            errors.append(_("Ngày sinh không hợp lệ (dùng dạng ngày/tháng/năm, ví dụ 05/09/2012)."))
    for name, words, message in (
        ("gender", _GENDER_WORDS, _("Giới tính phải là Nam hoặc Nữ.")),
        ("school_level", _LEVEL_WORDS, _("Cấp học không hợp lệ (Tiểu học, THCS, THPT, Cao đẳng, đại học).")),
        ("academic_rank", _RANK_WORDS, _("Học lực không hợp lệ (Xuất sắc, Giỏi, Khá, Trung bình).")),
    ):
        if cell(name):
            value = words.get(name_normalize(cell(name)))
            if value is None:
                errors.append(message)
            else:
                fields[name] = value
    grade = cell("grade")
    if grade.isdigit():
        fields["grade"] = int(grade)
    else:
        errors.append(_("Lớp phải là một số từ 1 đến 12."))
    if cell("average_score"):
        try:
            fields["average_score"] = Decimal(cell("average_score").replace(",", "."))
        except InvalidOperation:
            errors.append(_("Điểm trung bình phải là một số từ 0 đến 10."))
    # "Vùng sâu, vùng xa" is one circumstance with a comma inside; keep it whole before splitting.
    circumstances = _REMOTE_WITH_COMMA.sub("Vùng sâu vùng xa", cell("circumstances"))
    for word in filter(None, (part.strip() for part in circumstances.replace(";", ",").split(","))):
        flag = _CIRCUMSTANCE_WORDS.get(name_normalize(word))
        if flag is None:
            errors.append(_("Hoàn cảnh không rõ: “%(word)s”.") % {"word": word[:40]})
        else:
            fields[flag] = True
    return fields, errors


def _import_key(*, full_name: str, date_of_birth, school_name: str) -> tuple:
    return (name_normalize(full_name), date_of_birth, name_normalize(school_name))


def students_import(*, unit: OrgUnit, content: bytes, created_by=None) -> StudentImportResult:
    """Create the students of a CSV file for `unit`, all or none.

    A row for a student the unit already has (same national id, or same name, date of birth and
    school) is skipped, so importing the same file twice creates nothing the second time. Any
    invalid row refuses the whole file: ValidationError listing each row's errors by line number.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("Không đọc được tệp: hãy lưu dưới dạng CSV (UTF-8)."), code="encoding") from None
    delimiter = max((";", "\t", ","), key=text[:4096].count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValidationError(_("Tệp trống."), code="empty")
    headers = [name_normalize(cell) for cell in rows[0]]
    columns = {}
    for name, spellings in IMPORT_COLUMNS.items():
        for spelling in spellings:
            if name_normalize(spelling) in headers:
                columns[name] = headers.index(name_normalize(spelling))
                break
    missing = [IMPORT_COLUMNS[name][0] for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValidationError(_("Tệp thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns")

    existing = Student.objects.filter(unit=unit).not_anonymised()
    known_ids = {value for value in existing.exclude(national_id="").values_list("national_id", flat=True)}
    known_keys = {
        _import_key(full_name=name, date_of_birth=born, school_name=school)
        for name, born, school in existing.values_list("full_name", "date_of_birth", "school_name")
    }
    result = StudentImportResult()
    errors: list[str] = []
    with transaction.atomic():
        for line_number, row in enumerate(rows[1:], start=2):
            if not any(value.strip() for value in row):
                continue

            def cell(name, row=row):
                column = columns.get(name)
                return row[column].strip() if column is not None and column < len(row) else ""

            fields, row_errors = _import_row_fields(cell)
            key = _import_key(
                full_name=fields["full_name"], date_of_birth=fields.get("date_of_birth"),
                school_name=fields["school_name"],
            )
            already_known = key in known_keys or (fields["national_id"] and fields["national_id"] in known_ids)
            if not row_errors and already_known:
                result.skipped_lines.append(line_number)
                continue
            if not row_errors:
                try:
                    student = student_create(unit=unit, created_by=created_by, **fields)
                except ValidationError as error:
                    row_errors = [
                        f"{_field_label(name)}: {message}" for name, messages in error.message_dict.items()
                        for message in messages
                    ]
                else:
                    result.created.append(student)
                    known_keys.add(key)
                    if student.national_id:
                        known_ids.add(student.national_id)
            errors.extend(_("Dòng %(line)s: %(error)s") % {"line": line_number, "error": error} for error in row_errors)
        if errors:
            raise ValidationError(errors, code="invalid_rows")  # inside the block: nothing is kept
    return result


def _field_label(name: str) -> str:
    if name == "__all__":
        return _("Hồ sơ")
    return str(Student._meta.get_field(name).verbose_name).capitalize()

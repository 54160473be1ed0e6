"""Students from a file a school sends (CSV or XLSX): all rows or none, known students skipped."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fundmgr.core.contacts import name_normalize
from fundmgr.core.tabular import columns_find, table_read
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from scholarships.models import Student

from .students import student_create

# --- import from a file (CSV or XLSX) ---------------------------------------------------------

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
    """The student fields of one row, and the row's errors in words a school secretary reads."""
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
    """Create the students of a CSV or XLSX file for `unit`, all or none.

    A row for a student the unit already has (same national id, or same name, date of birth and
    school) is skipped, so importing the same file twice creates nothing the second time. Any
    invalid row refuses the whole file: ValidationError listing each row's errors by line number.
    PermissionDenied, before the file is read, unless `created_by` may add students in `unit`.
    """
    access_units(created_by, [unit], action=Action.ADD, domain=Domain.STUDENTS)
    table = table_read(content)
    columns = columns_find(table.header, IMPORT_COLUMNS)
    missing = [IMPORT_COLUMNS[name][0] for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValidationError(_("Tệp thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns")

    existing = Student.objects.filter(unit=unit).not_anonymised()
    known_ids = set(existing.exclude(national_id="").values_list("national_id", flat=True))
    known_keys = {
        _import_key(full_name=name, date_of_birth=born, school_name=school)
        for name, born, school in existing.values_list("full_name", "date_of_birth", "school_name")
    }
    result = StudentImportResult()
    errors: list[str] = []
    with transaction.atomic():
        for row in table.body:
            line_number = row.number

            def cell(name, row=row):
                return row.cell(columns.get(name))

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

"""Student lists as rows for CSV: masked by default, personal data only when asked and allowed.

A generator of rows (header first), like the other exporters: the admin action and the API
stream it; nothing is held in memory but one row. Every text cell people typed goes through
`spreadsheet_safe`, so a name such as `=HYPERLINK(...)` stays text in Excel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext_lazy as _

from fundmgr.audit.masking import PHONE, mask_value
from fundmgr.core.contacts import phone_national
from fundmgr.core.spreadsheet import spreadsheet_safe_row

from .models import PERSONAL_FIELDS, Student
from .privacy import masked_value

COLUMNS = (
    ("code", _("Mã hồ sơ")),
    ("full_name", _("Họ và tên")),
    ("date_of_birth", _("Ngày sinh")),
    ("gender", _("Giới tính")),
    ("unit", _("Đơn vị đề cử")),
    ("school_name", _("Trường")),
    ("school_level", _("Cấp học")),
    ("grade", _("Lớp")),
    ("average_score", _("Điểm trung bình")),
    ("academic_rank", _("Học lực")),
    ("circumstances", _("Hoàn cảnh")),
    ("guardian_name", _("Người giám hộ")),
    ("guardian_phone", _("Điện thoại")),
    ("address", _("Địa chỉ")),
    ("national_id", _("Số định danh")),
    ("circumstances_note", _("Ghi chú hoàn cảnh")),
)


def _cell(student: Student, name: str, personal: bool):
    if name == "code":
        return student.code
    if name == "unit":
        return student.unit.name
    if name == "circumstances":
        return ", ".join(student.circumstance_labels())
    if name in ("gender", "school_level", "academic_rank"):
        return getattr(student, f"get_{name}_display")()
    if name == "guardian_phone":
        national = phone_national(student.guardian_phone)
        return mask_value(national, PHONE) if not personal else national
    if name in PERSONAL_FIELDS and not personal:
        value = masked_value(student, name)
    else:
        value = getattr(student, name)
    if value is None:
        return ""
    if name == "date_of_birth" and personal:
        return value.strftime("%d/%m/%Y")
    return value if isinstance(value, (int, str)) else str(value)


def student_rows(students: Iterable[Student], *, personal: bool) -> Iterator[list]:
    """The header, then one row per student; personal fields masked unless `personal`.

    `personal` is the caller's decision after checking the user may see every row unmasked.
    """
    yield [str(label) for _name, label in COLUMNS]
    for student in students:
        yield spreadsheet_safe_row([_cell(student, name, personal) for name, _label in COLUMNS])

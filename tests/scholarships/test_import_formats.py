"""A school's list saved from Excel as .xlsx, and as Windows-1258 CSV, imports as the UTF-8 CSV does.

The same list is written three ways, each imported into a fresh state (a savepoint rolled back
after the snapshot), and the students created are compared field by field. In the workbook the
cells are typed as a secretary types them: dates as dates, the grade and the score as numbers, the
phone as a number (Excel drops its leading zero), the identification number as text.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from scholarships.models import Student
from scholarships.services import students_import
from tests.tabular_files import cp1258_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Trường", "Cấp học", "Lớp", "Điểm trung bình", "Học lực",
          "Hoàn cảnh", "Người giám hộ", "Điện thoại", "Địa chỉ", "Số định danh", "Ghi chú hoàn cảnh"]
CSV_TEXT = (
    ";".join(HEADER) + "\n"
    "Lương Thị Tuyết;09/05/2013;Nữ;Trường THCS Đặng Thai Mai;THCS;7;9,1;Giỏi;Hộ nghèo, Dân tộc thiểu số;"
    "Lương Văn Sướng;0912345678;Bản Khó, xã Lam Sơn;038313000123;Bố mất năm 2022, mẹ làm nương.\n"
    "Đặng Văn Hưởng;01/02/2010;Nam;Trường THPT Hàm Rồng;THPT;10;8,5;Khá;Vùng sâu, vùng xa;"
    "Đặng Thị Ngọc Ánh;0987654321;Thôn Thượng, xã Ngọc Lặc;;Nhà xa trường 15 cây số, đường đất.\n"
    ";;;;;;;;;;;;;\n"
    "Nguyễn Hữu Đức;30/12/2016;Nam;Trường Tiểu học Quảng Hưng;Tiểu học;4;10;Xuất sắc;Mồ côi;"
    "Bà Nguyễn Thị Ơn;;Phường Quảng Hưng;;\n"
)
XLSX_ROWS = [
    HEADER,
    ["Lương Thị Tuyết", datetime.date(2013, 5, 9), "Nữ", "Trường THCS Đặng Thai Mai", "THCS", 7, 9.1, "Giỏi",
     "Hộ nghèo, Dân tộc thiểu số", "Lương Văn Sướng", 912345678, "Bản Khó, xã Lam Sơn", "038313000123",
     "Bố mất năm 2022, mẹ làm nương."],
    ["Đặng Văn Hưởng", datetime.date(2010, 2, 1), "Nam", "Trường THPT Hàm Rồng", "THPT", 10, 8.5, "Khá",
     "Vùng sâu, vùng xa", "Đặng Thị Ngọc Ánh", "0987654321", "Thôn Thượng, xã Ngọc Lặc", None,
     "Nhà xa trường 15 cây số, đường đất."],
    [],
    ["Nguyễn Hữu Đức", datetime.date(2016, 12, 30), "Nam", "Trường Tiểu học Quảng Hưng", "Tiểu học", 4, 10,
     "Xuất sắc", "Mồ côi", "Bà Nguyễn Thị Ơn", None, "Phường Quảng Hưng", None, None],
]


def files(csv_text: str, xlsx_rows: list) -> dict[str, bytes]:
    return {"utf-8": csv_text.encode("utf-8"), "windows-1258": cp1258_bytes(csv_text), "xlsx": xlsx_bytes(xlsx_rows)}


FILES = files(CSV_TEXT, XLSX_ROWS)
FIELDS = ["full_name", "date_of_birth", "gender", "school_name", "school_level", "grade", "average_score",
          "academic_rank", "guardian_name", "guardian_phone", "address", "national_id", "circumstances_note"]


def imported(unit, content):
    """What importing `content` into a unit without students creates; rolled back afterwards."""
    with transaction.atomic():
        result = students_import(unit=unit, content=content)
        snapshot = [
            (*(getattr(student, field) for field in FIELDS), sorted(student.circumstances))
            for student in Student.objects.filter(unit=unit).order_by("pk")
        ]
        assert [student.pk for student in result.created] == list(
            Student.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)
        )
        transaction.set_rollback(True)
    return snapshot


def test_the_files_really_differ():
    assert b"\xcc" in FILES["windows-1258"] and FILES["windows-1258"] != FILES["utf-8"]  # a combining tone mark
    with pytest.raises(UnicodeDecodeError):
        FILES["windows-1258"].decode("utf-8")
    assert FILES["xlsx"].startswith(b"PK\x03\x04")


def test_a_list_from_excel_and_in_windows_1258_imports_as_the_utf8_csv(units):
    expected = [
        ("Lương Thị Tuyết", datetime.date(2013, 5, 9), "female", "Trường THCS Đặng Thai Mai", "lower_secondary", 7,
         Decimal("9.10"), "very_good", "Lương Văn Sướng", "+84912345678", "Bản Khó, xã Lam Sơn", "038313000123",
         "Bố mất năm 2022, mẹ làm nương.", ["ethnic_minority", "poor"]),
        ("Đặng Văn Hưởng", datetime.date(2010, 2, 1), "male", "Trường THPT Hàm Rồng", "upper_secondary", 10,
         Decimal("8.50"), "good", "Đặng Thị Ngọc Ánh", "+84987654321", "Thôn Thượng, xã Ngọc Lặc", "",
         "Nhà xa trường 15 cây số, đường đất.", ["remote"]),
        ("Nguyễn Hữu Đức", datetime.date(2016, 12, 30), "male", "Trường Tiểu học Quảng Hưng", "primary", 4,
         Decimal("10.00"), "excellent", "Bà Nguyễn Thị Ơn", "", "Phường Quảng Hưng", "", "", ["orphan"]),
    ]
    snapshots = {name: imported(units.commune_a, content) for name, content in FILES.items()}

    assert snapshots["utf-8"] == expected
    assert snapshots["windows-1258"] == snapshots["utf-8"]
    assert snapshots["xlsx"] == snapshots["utf-8"]
    assert Student.objects.count() == 0  # each import was rolled back


@pytest.mark.parametrize("name", FILES)
def test_a_bad_row_is_named_by_the_row_number_excel_shows(units, name):
    bad_rows = [list(row) for row in XLSX_ROWS]
    bad_rows[4][5] = "mười"  # row 5 (after the empty row 4): the grade in words
    content = files(CSV_TEXT.replace(";Tiểu học;4;", ";Tiểu học;mười;"), bad_rows)[name]

    with pytest.raises(ValidationError) as raised:
        students_import(unit=units.commune_a, content=content)

    assert raised.value.messages == ["Dòng 5: Lớp phải là một số từ 1 đến 12."]
    assert Student.objects.count() == 0


def test_the_import_students_command_reads_an_xlsx_file(units, tmp_path):
    from io import StringIO

    path = tmp_path / "hoc-sinh.xlsx"
    path.write_bytes(FILES["xlsx"])
    out = StringIO()
    call_command("import_students", str(path), "--unit", "T-A", stdout=out)
    assert out.getvalue().strip() == "3 students created, 0 already on file"
    out = StringIO()
    call_command("import_students", str(path), "--unit", "T-A", stdout=out)
    assert out.getvalue().strip() == "0 students created, 3 already on file"


def test_the_admin_import_page_takes_an_xlsx_file(units, people, client):
    from django.urls import reverse

    from fundmgr.core.tabular import TABLE_FILE_ACCEPT

    client.force_login(people["superuser"])
    page = client.get(reverse("admin:scholarships_student_import"))
    assert f'accept="{TABLE_FILE_ACCEPT}"' in page.content.decode()
    response = client.post(reverse("admin:scholarships_student_import"), {
        "unit": units.commune_a.pk, "file": SimpleUploadedFile("hoc-sinh.xlsx", FILES["xlsx"]),
    })
    assert response.status_code == 302
    assert sorted(Student.objects.values_list("full_name", flat=True)) == [
        "Lương Thị Tuyết", "Nguyễn Hữu Đức", "Đặng Văn Hưởng",
    ]

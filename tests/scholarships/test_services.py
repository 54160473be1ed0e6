"""Student records through the services: validation, audit rows, import, anonymisation, retention."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import ANONYMISED_TEXT
from scholarships.models import Student
from scholarships.services import (
    retention_cutoff,
    student_anonymise,
    student_update,
    students_anonymise_expired,
    students_import,
)

from .conftest import make_student

pytestmark = pytest.mark.django_db


# --- create and update ----------------------------------------------------------------------

def test_create_normalises_contacts_and_writes_a_masked_audit_row(units, people):
    student = make_student(units.school_a, full_name="  Lò   Thị  Mai ", created_by=people["nominator_a"])

    student.refresh_from_db()
    assert student.full_name == "Lò Thị Mai"
    assert student.guardian_phone == "+84912345678"
    assert student.last_activity_on == datetime.date.today()
    assert student.circumstances == {"poor", "ethnic_minority"}
    assert str(student) == f"HS-{student.pk:06d}"
    (event,) = AuditEvent.objects.filter(source="service", model_label="scholarships.student", action="create")
    assert event.actor == people["nominator_a"]
    # Minors' data is masked in the trail: initials, a cut phone number, the rest hidden.
    assert event.after["full_name"] == "L.T.M."
    assert event.after["guardian_phone"] == "+84*****678"
    assert event.after["national_id"] == "***"
    assert event.after["circumstances_note"] == "***"
    assert event.after["date_of_birth"] == "***"
    assert event.after["grade"] == 7


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"national_id": "12345"}, "national_id", "Số định danh cá nhân gồm đúng 12 chữ số."),
        ({"guardian_phone": "12ab"}, "guardian_phone", "Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."),
        ({"grade": 13}, "grade", "Lớp phải từ 1 đến 12 (cao đẳng, đại học: năm thứ mấy)."),
        ({"average_score": "10.5"}, "average_score", "Điểm trung bình phải từ 0 đến 10."),
        ({"date_of_birth": datetime.date(2999, 1, 1)}, "date_of_birth", "Ngày sinh không thể ở tương lai."),
        ({"full_name": "   "}, "full_name", "Cần nhập họ và tên."),
        ({"school_level": "kindergarten"}, "school_level", "Giá trị 'kindergarten' không phải là lựa chọn hợp lệ."),
    ],
)
def test_create_refuses_bad_input_with_a_clear_message_and_writes_nothing(units, fields, field, message):
    with pytest.raises(ValidationError) as raised:
        make_student(units.school_a, **fields)

    assert message in raised.value.message_dict[field]
    assert Student.objects.count() == 0
    assert AuditEvent.objects.filter(source="service", model_label="scholarships.student").count() == 0


def test_a_household_is_poor_or_near_poor_not_both(units):
    with pytest.raises(ValidationError) as raised:
        make_student(units.school_a, poor_household=True, near_poor_household=True)
    assert raised.value.messages == ["Một hộ chỉ thuộc diện hộ nghèo hoặc hộ cận nghèo, không thể cả hai."]
    assert Student.objects.count() == 0


def test_update_records_only_the_changed_fields_masked(student_a, people):
    student_update(student=student_a, by=people["nominator_a"], grade=8, guardian_phone="0987 654 321")

    event = AuditEvent.objects.get(source="service", model_label="scholarships.student", action="change")
    assert event.before == {"grade": 7, "guardian_phone": "+84*****678"}
    assert event.after == {"grade": 8, "guardian_phone": "+84*****321"}
    assert event.actor == people["nominator_a"]


def test_update_of_an_invalid_value_changes_nothing(student_a):
    with pytest.raises(ValidationError):
        student_update(student=student_a, grade=0)
    student_a.refresh_from_db()
    assert student_a.grade == 7
    assert not AuditEvent.objects.filter(source="service", model_label="scholarships.student", action="change").exists()


def test_unknown_fields_are_a_programming_error(units):
    with pytest.raises(TypeError):
        make_student(units.school_a, last_activity_on=datetime.date(2000, 1, 1))


# --- anonymisation and retention -------------------------------------------------------------

def test_anonymise_erases_personal_fields_keeps_the_facts_and_says_why(student_a, people):
    student_anonymise(student=student_a, by=people["nominator_a"], reason="Phụ huynh yêu cầu xóa dữ liệu")

    student_a.refresh_from_db()
    assert student_a.full_name == ANONYMISED_TEXT
    assert (student_a.date_of_birth, student_a.guardian_name, student_a.guardian_phone) == (None, "", "")
    assert (student_a.address, student_a.national_id, student_a.circumstances_note) == ("", "", "")
    assert student_a.is_anonymised
    # What allocation and the ledger need stays.
    assert (student_a.grade, str(student_a.average_score), student_a.school_name) == (7, "9.10", "Trường THCS Lam Sơn")
    assert student_a.circumstances == {"poor", "ethnic_minority"}
    erased = AuditEvent.objects.get(source="service", model_label="scholarships.student", action="change")
    assert erased.after == {"anonymised": sorted(
        ["full_name", "date_of_birth", "guardian_name", "guardian_phone", "address", "national_id", "circumstances_note"]
    )}
    assert erased.before is None  # erasing the values is the point: not even masked copies
    reason = AuditEvent.objects.get(source="service", model_label="scholarships.student", action="transition")
    assert reason.after == {"anonymised": True, "reason": "Phụ huynh yêu cầu xóa dữ liệu"}
    assert reason.unit == erased.unit == student_a.unit


def test_anonymise_needs_a_reason(student_a):
    with pytest.raises(ValidationError) as raised:
        student_anonymise(student=student_a, reason="  ")
    assert raised.value.message_dict == {"reason": ["Cần ghi lý do ẩn danh."]}
    student_a.refresh_from_db()
    assert student_a.full_name == "Lò Thị Mai"


def test_an_anonymised_record_cannot_be_edited(student_a):
    student_anonymise(student=student_a, reason="Hết hạn")
    with pytest.raises(ValidationError) as raised:
        student_update(student=Student.objects.get(pk=student_a.pk), grade=8)
    assert raised.value.messages == ["Hồ sơ đã được ẩn danh, không thể sửa."]


def test_retention_cutoff_counts_whole_years_and_survives_29_february(settings):
    settings.STUDENT_DATA_RETENTION_YEARS = 5
    assert retention_cutoff(datetime.date(2031, 3, 1)) == datetime.date(2026, 3, 1)
    assert retention_cutoff(datetime.date(2028, 2, 29)) == datetime.date(2023, 2, 28)


def test_the_retention_run_anonymises_exactly_the_records_past_the_period(units, settings):
    settings.STUDENT_DATA_RETENTION_YEARS = 5
    old = make_student(units.school_a, national_id="038313000001")
    edge = make_student(units.school_a, national_id="038313000002", full_name="Hà Văn Nam")
    recent = make_student(units.commune_b, national_id="038313000003", full_name="Vi Thị Hoa")
    Student.objects.filter(pk=old.pk).update(last_activity_on=datetime.date(2021, 11, 24))
    Student.objects.filter(pk=edge.pk).update(last_activity_on=datetime.date(2021, 11, 25))
    Student.objects.filter(pk=recent.pk).update(last_activity_on=datetime.date(2025, 1, 1))

    assert students_anonymise_expired(today=datetime.date(2026, 11, 25)) == 1
    assert students_anonymise_expired(today=datetime.date(2026, 11, 25)) == 0  # a second run finds nothing

    names = dict(Student.objects.values_list("pk", "full_name"))
    assert names == {old.pk: ANONYMISED_TEXT, edge.pk: "Hà Văn Nam", recent.pk: "Vi Thị Hoa"}
    reason = AuditEvent.objects.get(source="service", model_label="scholarships.student", action="transition")
    assert reason.after == {"anonymised": True, "reason": "Hết thời hạn lưu trữ 5 năm."}
    assert reason.actor is None and reason.actor_label == "system"


def test_the_retention_task_calls_the_service(units, settings):
    from scholarships.tasks import students_anonymise_expired_task

    settings.STUDENT_DATA_RETENTION_YEARS = 1
    student = make_student(units.school_a)
    Student.objects.filter(pk=student.pk).update(last_activity_on=datetime.date(2000, 1, 1))

    assert students_anonymise_expired_task.delay().get() == {"anonymised": 1}


def test_the_retention_run_is_scheduled_daily():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="scholarships.tasks.students_anonymise_expired_task")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "0", "Asia/Ho_Chi_Minh")
    assert task.enabled


# --- CSV import ------------------------------------------------------------------------------

GOOD_FILE = (
    "Họ và tên;Ngày sinh;Giới tính;Trường;Cấp học;Lớp;Điểm trung bình;Học lực;Hoàn cảnh;Điện thoại;Số định danh\n"
    "Lò Thị Mai;09/05/2013;Nữ;Trường THCS Lam Sơn;THCS;7;9,1;Giỏi;Hộ nghèo, Dân tộc thiểu số;0912345678;038313000123\n"
    "Hà Văn Nam;01/02/2010;Nam;Trường THPT Hàm Rồng;THPT;10;8,5;Giỏi;Vùng sâu, vùng xa;;\n"
    ";;;;;;;;;;\n"
).encode()


def test_import_creates_every_row_and_a_second_import_creates_nothing(units, people):
    result = students_import(unit=units.commune_a, content=GOOD_FILE, created_by=people["nominator_a"])
    assert len(result.created) == 2 and result.skipped_lines == []

    mai, nam = Student.objects.order_by("pk")
    assert (mai.full_name, mai.date_of_birth, mai.gender, mai.school_level, mai.grade) == (
        "Lò Thị Mai", datetime.date(2013, 5, 9), "female", "lower_secondary", 7,
    )
    assert (str(mai.average_score), mai.academic_rank, mai.guardian_phone) == ("9.10", "very_good", "+84912345678")
    assert mai.circumstances == {"poor", "ethnic_minority"}
    assert nam.circumstances == {"remote"}
    assert AuditEvent.objects.filter(source="service", model_label="scholarships.student", action="create").count() == 2

    again = students_import(unit=units.commune_a, content=GOOD_FILE, created_by=people["nominator_a"])
    assert again.created == [] and again.skipped_lines == [2, 3]
    assert Student.objects.count() == 2


def test_import_refuses_the_whole_file_and_names_each_bad_line(units):
    content = (
        "Họ và tên,Trường,Cấp học,Lớp,Ngày sinh,Hoàn cảnh,Số định danh\n"
        "Lò Thị Mai,Trường THCS Lam Sơn,THCS,7,09/05/2013,Hộ nghèo,038313000123\n"
        "Hà Văn Nam,Trường THPT Hàm Rồng,Mẫu giáo,mười,31/02/2010,Giàu,12\n"
    ).encode()
    with pytest.raises(ValidationError) as raised:
        students_import(unit=units.commune_a, content=content)

    assert raised.value.messages == [
        "Dòng 3: Ngày sinh không hợp lệ (dùng dạng ngày/tháng/năm, ví dụ 05/09/2012).",
        "Dòng 3: Cấp học không hợp lệ (Tiểu học, THCS, THPT, Cao đẳng, đại học).",
        "Dòng 3: Lớp phải là một số từ 1 đến 12.",
        "Dòng 3: Hoàn cảnh không rõ: “Giàu”.",
    ]
    assert Student.objects.count() == 0  # the good first line is not kept either


def test_import_reports_model_errors_by_field_label(units):
    content = "Họ và tên,Trường,Cấp học,Lớp,Số định danh\nLò Thị Mai,Trường THCS Lam Sơn,THCS,7,12\n".encode()
    with pytest.raises(ValidationError) as raised:
        students_import(unit=units.commune_a, content=content)
    assert raised.value.messages == ["Dòng 2: Số định danh cá nhân: Số định danh cá nhân gồm đúng 12 chữ số."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # A UTF-16 byte-order mark and an odd number of bytes: no encoding reads it ("\xff\xfe\x00bad",
        # the case before UTF-16 was read, is two Chinese characters in UTF-16).
        (b"\xff\xfe\x00ba", "Không đọc được tệp: hãy lưu dưới dạng Excel (.xlsx) hoặc CSV (UTF-8)."),
        (b"", "Tệp trống."),
        ("Họ và tên,Lớp\nA,7\n".encode(), "Tệp thiếu cột: Trường, Cấp học."),
    ],
)
def test_import_refuses_unreadable_files(units, content, message):
    with pytest.raises(ValidationError) as raised:
        students_import(unit=units.commune_a, content=content)
    assert raised.value.messages == [message]


def test_the_import_students_command(units, tmp_path, people):
    path = tmp_path / "hoc-sinh.csv"
    path.write_bytes(GOOD_FILE)
    from io import StringIO

    out = StringIO()
    call_command("import_students", str(path), "--unit", "T-A", "--user", "decu_a", stdout=out)
    assert out.getvalue().strip() == "2 students created, 0 already on file"
    assert set(Student.objects.values_list("created_by__username", flat=True)) == {"decu_a"}
    out = StringIO()
    call_command("import_students", str(path), "--unit", "T-A", stdout=out)
    assert out.getvalue().strip() == "0 students created, 2 already on file"


def test_a_personal_export_the_user_may_not_see_is_refused_and_logs_nothing(student_a, people):
    from scholarships.services import students_export

    with pytest.raises(ValidationError) as raised:
        students_export(students=[student_a], by=people["auditor"], personal=True)
    assert raised.value.messages == [
        "Bạn không được xem dữ liệu cá nhân của một số học sinh đã chọn; hãy xuất bản đã che."
    ]
    assert not AuditEvent.objects.filter(source="service", action__in=["view", "export"]).exists()

    header, row = students_export(students=[student_a], by=people["nominator_a"], personal=True)
    assert dict(zip(header, row, strict=True))["Họ và tên"] == "Lò Thị Mai"


# --- invisible names and implausible birth dates (one rule each, in the kernel) ------------------

BORN_TOO_EARLY = "Ngày sinh phải từ ngày {earliest} trở về sau: học bổng dành cho người học không quá 30 tuổi."


def earliest_birth_date() -> datetime.date:
    from django.utils import timezone

    today = timezone.localdate()
    try:
        return today.replace(year=today.year - 30)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 30, day=28)


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u200c\u200d\u2060", "\ufeff \ufeff", "\x07\x1b"])
def test_a_name_of_invisible_characters_is_refused_as_an_empty_name(units, name):
    with pytest.raises(ValidationError) as raised:
        make_student(units.school_a, full_name=name)

    assert raised.value.message_dict["full_name"] == ["Cần nhập họ và tên."]
    assert Student.objects.count() == 0
    assert not AuditEvent.objects.filter(model_label="scholarships.student").exists()


def test_invisible_characters_are_stripped_from_the_names_of_a_student_and_guardian(units):
    student = make_student(units.school_a, full_name="\u200bLò\u200d Thị\u2060 Mai\ufeff", guardian_name="Lò\u200b Văn Sáng")
    student.refresh_from_db()
    assert (student.full_name, student.guardian_name) == ("Lò Thị Mai", "Lò Văn Sáng")


@pytest.mark.parametrize("born", [datetime.date(1800, 1, 1), datetime.date(1912, 5, 9), "day-before-the-earliest"])
def test_a_birth_date_more_than_thirty_years_ago_is_refused(units, born):
    earliest = earliest_birth_date()
    if born == "day-before-the-earliest":
        born = earliest - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as raised:
        make_student(units.school_a, date_of_birth=born)

    assert raised.value.message_dict["date_of_birth"] == [BORN_TOO_EARLY.format(earliest=f"{earliest:%d/%m/%Y}")]
    assert Student.objects.count() == 0
    assert not AuditEvent.objects.filter(model_label="scholarships.student").exists()


def test_a_birth_date_thirty_years_ago_is_accepted(units):
    assert make_student(units.school_a, date_of_birth=earliest_birth_date()).pk


def test_an_update_to_a_birth_date_in_1800_changes_nothing(student_a):
    with pytest.raises(ValidationError):
        student_update(student=student_a, date_of_birth=datetime.date(1800, 1, 1))
    student_a.refresh_from_db()
    assert student_a.date_of_birth == datetime.date(2013, 5, 9)


def test_the_api_refuses_a_student_born_in_1800_and_a_name_of_zero_width_spaces(client, people, units):
    payload = {"unit": "T-A", "full_name": "Vi Văn Tú", "school_name": "Trường THCS Lam Sơn",
               "school_level": "lower_secondary", "grade": 6, "date_of_birth": "1800-01-01"}
    client.force_login(people["nominator_a"])

    old = client.post("/api/v1/students/", payload, content_type="application/json")
    blank = client.post("/api/v1/students/", {**payload, "date_of_birth": "2014-03-02", "full_name": "\u200b\u200b"},
                        content_type="application/json")

    assert (old.status_code, old.json()["errors"]) == (
        400, {"date_of_birth": [BORN_TOO_EARLY.format(earliest=f"{earliest_birth_date():%d/%m/%Y}")]}
    )
    assert (blank.status_code, blank.json()["errors"]) == (400, {"full_name": ["Cần nhập họ và tên."]})
    assert Student.objects.count() == 0


def test_the_import_refuses_a_student_born_in_1800(units):
    content = (
        "Họ và tên,Trường,Cấp học,Lớp,Ngày sinh\n"
        "Lò Thị Mai,Trường THCS Lam Sơn,THCS,7,09/05/2013\n"
        "Hà Văn Nam,Trường THCS Lam Sơn,THCS,7,01/01/1800\n"
    ).encode()
    with pytest.raises(ValidationError) as raised:
        students_import(unit=units.commune_a, content=content)

    earliest = earliest_birth_date()
    assert raised.value.messages == [f"Dòng 3: Ngày sinh: {BORN_TOO_EARLY.format(earliest=f'{earliest:%d/%m/%Y}')}"]
    assert Student.objects.count() == 0

"""Who sees a child's personal data, and the log of every look at it (issue #6, point 5).

The rule: personal fields are shown unmasked only to roles with `view_personal` in the student's
unit (nominators of that unit, the committee) and to superusers; an auditor, or a nominator of
another unit, gets them masked, on every surface: the admin list and record page, the API list
and detail, and exports. Every detail view, and every list or export that shows personal data,
leaves one audit row per student.
"""

import csv
import io

import pytest
from django.urls import reverse

from fundmgr.audit.models import AuditEvent
from scholarships.models import Student

from .conftest import make_student

pytestmark = pytest.mark.django_db

FULL_NAME, MASKED_NAME = "Lò Thị Mai", "L.T.M."
PHONE, MASKED_PHONE = "+84912345678", "+84*****678"
NATIONAL_ID = "038313000123"
NOTE = "Bố mất năm 2022, mẹ làm nương."


def views_of(student):
    return list(
        AuditEvent.objects.filter(source="service", model_label="scholarships.student", object_id=str(student.pk), action="view")
        .order_by("pk").values_list("actor__username", "after")
    )


# --- admin: the record's page ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("who", "personal"),
    [("nominator_a", True), ("committee", True), ("superuser", True), ("auditor", False), ("auditor_a", False)],
)
def test_the_record_page_shows_personal_data_only_to_roles_that_need_it_and_logs_the_view(
    client, people, student_a, who, personal
):
    client.force_login(people[who])
    response = client.get(reverse("admin:scholarships_student_change", args=[student_a.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    for secret in (FULL_NAME, PHONE, NATIONAL_ID, NOTE, "Lò Văn Sáng", "Bản Khó"):
        assert (secret in page) is personal, secret
    # The birth date: an input holds it day first (09/05/2013), a read-only page as "Ngày 09 tháng 5 năm 2013".
    assert any(form in page for form in ("09/05/2013", "tháng 5 năm 2013")) is personal
    if not personal:
        assert MASKED_NAME in page and MASKED_PHONE in page
    # The facts needed to check an award are there for everyone who may view the record.
    assert "Trường THCS Lam Sơn" in page
    assert views_of(student_a) == [(people[who].username, {"channel": "admin", "personal": personal})]


@pytest.mark.parametrize("who", ["nominator_b", "treasurer"])
def test_the_record_page_of_another_units_child_is_not_found_and_not_logged(client, people, student_a, who):
    client.force_login(people[who])
    response = client.get(reverse("admin:scholarships_student_change", args=[student_a.pk]))

    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response.url != reverse("admin:scholarships_student_change", args=[student_a.pk])
    assert views_of(student_a) == []


def test_a_nominator_edits_their_childs_record_through_the_service(client, people, student_a):
    client.force_login(people["nominator_a"])
    url = reverse("admin:scholarships_student_change", args=[student_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data.update({"grade": "8", "guardian_phone": "0987 654 321"})
    for flag in ("poor_household", "near_poor_household", "orphan", "disability", "ethnic_minority", "remote_area"):
        if not data.get(flag):
            data.pop(flag, None)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    student_a.refresh_from_db()
    assert (student_a.grade, student_a.guardian_phone) == (8, "+84987654321")
    change = AuditEvent.objects.get(source="service", model_label="scholarships.student", action="change")
    assert change.actor == people["nominator_a"]
    assert change.after == {"grade": 8, "guardian_phone": "+84*****321"}


def test_a_bad_phone_in_the_admin_form_is_a_field_error_and_changes_nothing(client, people, student_a):
    client.force_login(people["nominator_a"])
    url = reverse("admin:scholarships_student_change", args=[student_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data["guardian_phone"] = "12ab"
    data = {key: value for key, value in data.items() if value is not False}

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["guardian_phone"] == ["Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."]
    student_a.refresh_from_db()
    assert student_a.guardian_phone == PHONE
    assert not AuditEvent.objects.filter(source="service", model_label="scholarships.student", action="change").exists()


# --- admin: the list and its search --------------------------------------------------------

def test_the_list_masks_per_row_and_logs_only_the_rows_shown_unmasked(client, people, units, student_a, student_b):
    """A nominator of A sees A's child by name and nothing of B; the province auditor sees both,
    masked, and that list is not logged as a look at anyone's personal data."""
    client.force_login(people["nominator_a"])
    page = client.get(reverse("admin:scholarships_student_changelist")).content.decode()
    assert FULL_NAME in page and "Nguyễn Minh Khôi" not in page and "N.M.K." not in page
    assert views_of(student_a) == [("decu_a", {"channel": "admin-list", "personal": True})]
    # The log row belongs to the child's unit, so the auditors of that unit read it.
    assert list(AuditEvent.objects.filter(action="view").values_list("unit__code", flat=True)) == ["T-A-1"]

    client.force_login(people["auditor"])
    page = client.get(reverse("admin:scholarships_student_changelist")).content.decode()
    assert FULL_NAME not in page and "Nguyễn Minh Khôi" not in page
    assert MASKED_NAME in page and "N.M.K." in page
    assert len(views_of(student_a)) == 1 and views_of(student_b) == []


def test_searching_by_name_finds_only_children_whose_names_the_user_may_see(client, people, student_a, student_b):
    client.force_login(people["auditor"])
    response = client.get(reverse("admin:scholarships_student_changelist"), {"q": "Mai"})
    assert list(response.context["cl"].result_list) == []  # a masked viewer cannot probe names

    response = client.get(reverse("admin:scholarships_student_changelist"), {"q": student_a.code})
    assert [s.pk for s in response.context["cl"].result_list] == [student_a.pk]

    client.force_login(people["committee"])
    response = client.get(reverse("admin:scholarships_student_changelist"), {"q": "Mai"})
    assert [s.pk for s in response.context["cl"].result_list] == [student_a.pk]


@pytest.mark.parametrize("who", ["auditor", "nominator_a"])
def test_the_list_runs_a_fixed_number_of_queries(client, people, units, who, django_assert_max_num_queries):
    """Masked (auditor) or unmasked and logged (nominator): the log of the rows shown is one INSERT."""
    for number in range(3):
        make_student(units.school_a, national_id=f"03831300{number:04d}")
    client.force_login(people[who])
    url = reverse("admin:scholarships_student_changelist")
    client.get(url)
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    for number in range(3, 30):
        make_student(units.school_a, national_id=f"03831300{number:04d}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- exports -------------------------------------------------------------------------------

def export(client, action, students):
    response = client.post(
        reverse("admin:scholarships_student_changelist"),
        {"action": action, "_selected_action": [student.pk for student in students]},
    )
    if response.status_code != 200 or "text/csv" not in response.get("Content-Type", ""):
        return response, None
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return response, list(csv.reader(io.StringIO(text)))


def test_the_default_export_is_masked_for_everyone_and_logged(client, people, student_a):
    client.force_login(people["committee"])
    _response, rows = export(client, "export_masked_action", [student_a])

    assert rows[0][:3] == ["Mã hồ sơ", "Họ và tên", "Ngày sinh"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Họ và tên"], row["Ngày sinh"], row["Điện thoại"], row["Số định danh"]) == (
        MASKED_NAME, "***", "091*****678", "***",
    )
    assert (row["Trường"], row["Lớp"], row["Hoàn cảnh"]) == ("Trường THCS Lam Sơn", "7", "Hộ nghèo, Dân tộc thiểu số")
    event = AuditEvent.objects.get(action="export", model_label="scholarships.student")
    assert event.after == {"rows": 1, "personal": False, "ids": [student_a.pk]}
    assert event.unit == student_a.unit
    assert views_of(student_a) == []  # masked rows are not a look at anyone's personal data


def test_the_personal_export_is_for_roles_that_may_see_it_and_logs_each_child(client, people, student_a):
    client.force_login(people["nominator_a"])
    _response, rows = export(client, "export_personal_action", [student_a])
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Họ và tên"], row["Ngày sinh"], row["Điện thoại"], row["Số định danh"]) == (
        FULL_NAME, "09/05/2013", "0912 345 678", NATIONAL_ID,
    )
    assert views_of(student_a) == [("decu_a", {"channel": "export", "personal": True})]


def test_an_auditor_cannot_export_personal_data(client, people, student_a):
    client.force_login(people["auditor"])
    response, rows = export(client, "export_personal_action", [student_a])
    assert rows is None
    assert not AuditEvent.objects.filter(action="export").exists()


def test_exported_cells_cannot_run_as_spreadsheet_formulas(client, people, units):
    student = make_student(units.school_a, school_name="=HYPERLINK(\"http://evil\")")
    client.force_login(people["nominator_a"])
    _response, rows = export(client, "export_personal_action", [student])
    assert dict(zip(rows[0], rows[1], strict=True))["Trường"] == "'=HYPERLINK(\"http://evil\")"


# --- API -----------------------------------------------------------------------------------

def test_the_api_list_masks_per_row(client, people, student_a, student_b):
    client.force_login(people["nominator_a"])
    data = client.get("/api/v1/students/").json()
    assert [(row["code"], row["full_name"], row["personal_data_shown"]) for row in data["results"]] == [
        (student_a.code, FULL_NAME, True),
    ]

    client.force_login(people["auditor"])
    data = client.get("/api/v1/students/").json()
    assert [(row["full_name"], row["guardian_phone"], row["national_id"]) for row in data["results"]] == [
        (MASKED_NAME, MASKED_PHONE, "***"), ("N.M.K.", "+84*****321", "***"),
    ]
    assert data["results"][0]["circumstances"] == ["ethnic_minority", "poor"]
    assert views_of(student_a) == [("decu_a", {"channel": "api-list", "personal": True})]


def test_the_api_detail_is_logged_and_scoped(client, people, student_a):
    client.force_login(people["auditor"])
    assert client.get(f"/api/v1/students/{student_a.pk}/").json()["full_name"] == MASKED_NAME
    client.force_login(people["nominator_b"])
    assert client.get(f"/api/v1/students/{student_a.pk}/").status_code == 404
    assert views_of(student_a) == [("kiemtra", {"channel": "api", "personal": False})]


def test_the_api_creates_a_record_for_a_nominator_of_that_unit_only(client, people, units):
    payload = {
        "unit": "T-A", "full_name": "Vi Văn Tú", "school_name": "Trường THCS Lam Sơn", "school_level": "lower_secondary",
        "grade": 6, "guardian_phone": "0912 000 111", "poor_household": True,
    }
    client.force_login(people["nominator_b"])
    assert client.post("/api/v1/students/", payload, content_type="application/json").status_code == 403
    assert Student.objects.count() == 0

    client.force_login(people["nominator_a"])
    response = client.post("/api/v1/students/", payload, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["full_name"], response.json()["guardian_phone"]) == ("Vi Văn Tú", "+84912000111")

    response = client.post("/api/v1/students/", {**payload, "guardian_phone": "abc"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"guardian_phone": ["Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."]}
    assert Student.objects.count() == 1

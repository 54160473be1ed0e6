"""`/api/v1/students/`: scoped to the units where the user may view students, personal fields
masked per row for a role without `view_personal` (docs/students.md), every look logged the way
the admin logs it, a search that finds names only where they are shown, and a page that costs the
same number of queries for 5 children as for 50."""

import pytest

from fundmgr.audit.models import AuditEvent
from scholarships.api.views import StudentViewSet
from scholarships.models import Student
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import make_student, page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/students/"


def views_of(student):
    return list(
        AuditEvent.objects.filter(model_label="scholarships.student", object_id=str(student.pk), action="view")
        .order_by("pk").values_list("actor__username", "after")
    )


def test_the_viewset_names_its_domain():
    assert StudentViewSet.api_domain == "students"


def test_anonymous_callers_read_nothing(client, student_a):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}{student_a.pk}/").status_code == 401
    assert views_of(student_a) == []


def test_another_units_children_are_invisible(client, people, student_a, student_b):
    client.force_login(people["nominator_b"])
    assert [row["code"] for row in client.get(URL).json()["results"]] == [student_b.code]
    assert client.get(f"{URL}{student_a.pk}/").status_code == 404
    assert views_of(student_a) == []


def test_a_masked_list_is_not_logged_an_unmasked_one_is_per_child(client, people, student_a, student_b):
    client.force_login(people["auditor"])  # views students, without view_personal
    rows = client.get(URL).json()["results"]
    assert [(row["full_name"], row["guardian_name"], row["date_of_birth"], row["personal_data_shown"]) for row in rows] == [
        ("L.T.M.", "L.V.S.", "***", False), ("N.M.K.", "L.V.S.", "***", False),
    ]
    assert views_of(student_a) == views_of(student_b) == []

    client.force_login(people["committee"])  # view_personal in the province
    rows = client.get(URL).json()["results"]
    assert [(row["full_name"], row["personal_data_shown"]) for row in rows] == [
        ("Lò Thị Mai", True), ("Nguyễn Minh Khôi", True),
    ]
    assert views_of(student_a) == views_of(student_b) == [("hoidong", {"channel": "api-list", "personal": True})]


def test_reading_a_record_is_logged_masked_or_not(client, people, student_a):
    client.force_login(people["auditor"])
    data = client.get(f"{URL}{student_a.pk}/").json()
    assert (data["full_name"], data["guardian_phone"], data["national_id"]) == ("L.T.M.", "+84*****678", "***")
    client.force_login(people["nominator_a"])
    assert client.get(f"{URL}{student_a.pk}/").json()["national_id"] == "038313000123"
    assert views_of(student_a) == [
        ("kiemtra", {"channel": "api", "personal": False}), ("decu_a", {"channel": "api", "personal": True}),
    ]


def test_a_name_is_found_only_where_it_is_shown(client, people, student_a, student_b):
    client.force_login(people["auditor"])
    assert client.get(URL, {"q": "Lò Thị"}).json()["results"] == []  # would tell a masked viewer she is on file
    assert client.get(URL, {"q": "lo thi mai"}).json()["results"] == []
    assert len(client.get(URL, {"q": "Trường THCS"}).json()["results"]) == 2  # schools are for everyone
    assert [row["code"] for row in client.get(URL, {"q": student_b.code}).json()["results"]] == [student_b.code]
    client.force_login(people["nominator_a"])
    assert [row["code"] for row in client.get(URL, {"q": "Lò Thị"}).json()["results"]] == [student_a.code]
    assert [row["code"] for row in client.get(URL, {"q": "lo thi MAI"}).json()["results"]] == [student_a.code]
    assert [row["code"] for row in client.get(URL, {"q": "thcs lam son"}).json()["results"]] == [student_a.code]
    assert client.get(URL, {"q": "Nguyễn Minh"}).json()["results"] == []  # commune B's child: not in scope


def test_filters_and_a_whitelisted_ordering(client, people, units, student_a, student_b):
    top = make_student(units.school_a, full_name="Hà Văn Tùng", national_id="038313000999", average_score="9.80", grade=9)
    client.force_login(people["committee"])
    assert [row["code"] for row in client.get(URL, {"unit": "T-A-1"}).json()["results"]] == [student_a.code, top.code]
    assert [row["code"] for row in client.get(URL, {"score_min": "9.5"}).json()["results"]] == [top.code]
    assert [row["code"] for row in client.get(URL, {"ordering": "-average_score"}).json()["results"]] == [
        top.code, student_a.code, student_b.code,
    ]
    assert client.get(URL, {"ordering": "full_name"}).status_code == 400  # not on the list: names are personal


def test_a_page_costs_the_same_for_5_and_50_children(client, people, units):
    for number in range(5):
        make_student(units.school_a, full_name=f"Học sinh {number}", national_id=f"03831400{number:04d}")
    client.force_login(people["nominator_a"])  # unmasked: each page also writes the view log
    client.get(URL)
    few = page_queries(client, URL, 5)
    few_found = page_queries(client, URL, 5, q="hoc sinh")  # one more query: the names, matched here
    for number in range(5, 50):
        make_student(units.school_a, full_name=f"Học sinh {number}", national_id=f"03831400{number:04d}")
    assert page_queries(client, URL, 50) == few
    assert page_queries(client, URL, 50, q="hoc sinh") == few_found == few + 1
    assert AuditEvent.objects.filter(model_label="scholarships.student", action="view").count() == 5 + 5 + 5 + 50 + 50
    assert Student.objects.count() == 50

"""`/api/v1/nominations/`: a nominator proposes a child of their own unit through
`awards.nomination_create` (scored by the program's rubric); another unit's child is a 403 and
nothing is written; the list shows the nominations of the children the user may view, by record
code only, with a fixed query count."""

import pytest
from django.core.exceptions import PermissionDenied

from fundmgr.audit.models import AuditEvent
from scholarships.api.views import NominationViewSet
from scholarships.models import Nomination
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import nominate, page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/nominations/"


def test_the_viewset_names_its_domain():
    assert NominationViewSet.api_domain == "students"


def test_a_nominator_nominates_a_child_of_their_unit(client, people, program, student_a):
    client.force_login(people["nominator_a"])
    response = client.post(URL, {"program": "ncum-2026", "student": student_a.code}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["program"], data["student"], data["unit"], data["score"]) == ("NCUM-2026", student_a.code, "T-A-1", 90)
    assert data["score_breakdown"][0]["code"] == "gpa"
    assert "Lò" not in response.content.decode()  # the child is named by record code only
    nomination = Nomination.objects.get()
    assert nomination.nominated_by == people["nominator_a"]
    assert AuditEvent.objects.filter(model_label="scholarships.nomination", action="create", actor=people["nominator_a"]).count() == 1

    again = client.post(URL, {"program": "NCUM-2026", "student": str(student_a.pk)}, content_type="application/json")
    assert again.status_code == 400
    assert again.json()["errors"] == {"non_field_errors": ["Học sinh đã được đề cử vào chương trình này."]}
    assert Nomination.objects.count() == 1


def test_another_units_child_is_refused_and_nothing_is_written(client, people, program, student_a, student_b):
    client.force_login(people["nominator_a"])
    body = {"program": "NCUM-2026", "student": student_b.code}
    assert client.post(URL, body, content_type="application/json").status_code == 403
    client.force_login(people["auditor"])  # views students, adds none
    assert client.post(URL, {**body, "student": student_a.code}, content_type="application/json").status_code == 403
    client.logout()
    assert client.post(URL, body, content_type="application/json").status_code == 401
    assert Nomination.objects.count() == 0


def test_the_service_itself_checks_the_nominators_unit(people, program, student_b):
    # The rule is in `nomination_create`, so the admin, the API and any later caller share it.
    with pytest.raises(PermissionDenied):
        awards.nomination_create(program=program, student=student_b, by=people["nominator_a"])
    assert awards.nomination_create(program=program, student=student_b, by=people["nominator_b"]).nominated_by == people["nominator_b"]


def test_unknown_program_or_student_is_a_400(client, people, program, student_a):
    client.force_login(people["nominator_a"])
    response = client.post(URL, {"program": "KHONG-CO", "student": student_a.code}, content_type="application/json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["program"])
    response = client.post(URL, {"program": "NCUM-2026", "student": "HS-999999"}, content_type="application/json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["student"])
    assert Nomination.objects.count() == 0


def test_the_list_is_scoped_filtered_and_ordered(client, people, six):
    client.force_login(people["nominator_b"])  # D, E, F are commune B's
    rows = client.get(URL).json()["results"]
    assert [row["student"] for row in rows] == [six[letter].code for letter in "DEF"]
    client.force_login(people["committee"])
    assert [row["student"] for row in client.get(URL, {"unit": "T-A-1"}).json()["results"]] == [
        six[letter].code for letter in "ABC"
    ]
    assert [row["score"] for row in client.get(URL, {"score_min": 85, "ordering": "score"}).json()["results"]] == [85, 90, 95]
    assert [row["student"] for row in client.get(URL, {"student": six["E"].code}).json()["results"]] == [six["E"].code]
    client.force_login(people["treasurer"])  # no role on students: refused
    assert client.get(URL).status_code == 403


def test_a_page_costs_the_same_for_5_and_50_nominations(client, people, units, program):
    nominate(program, units.school_a, 5)
    client.force_login(people["committee"])
    client.get(URL)
    few = page_queries(client, URL, 5)
    nominate(program, units.school_a, 45, start=5)
    assert page_queries(client, URL, 50) == few

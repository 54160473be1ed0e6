"""Idempotency-Key on the scholarship POSTs that create a record: a student, a nomination, an
allocation run and the committee's grant (an approved award: money committed). A repeat of the key
with the same body answers the first record (200) and writes nothing; the same key with another
body is a 422 in the one error format, and writes nothing either. The vouchers' own test is in
`test_api_scholarships_disbursements.py`."""

import pytest

from fundmgr.audit.models import AuditEvent
from fundmgr.idempotency.models import IdempotencyKey
from scholarships.models import AllocationRun, Award, Nomination, Student
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import RUBRIC, make_student

pytestmark = pytest.mark.django_db

REUSED = "Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."


def post(client, url, body, key):
    return client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key})


def check_idempotent(client, url, body, other_body, *, counted) -> dict:
    """POST `body` with a key, again, then `other_body` with the same key; `counted` are the rows
    (querysets) a repeat must not add to. Returns the first answer."""
    first = post(client, url, body, "khoa-1")
    assert first.status_code == 201, first.content
    counts = [queryset.count() for queryset in counted]
    events = AuditEvent.objects.exclude(action="view").count()

    repeat = post(client, url, body, "khoa-1")
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    other = post(client, url, other_body, "khoa-1")
    assert (other.status_code, other.json()) == (422, {
        "code": "idempotency_key_reused", "message": REUSED, "errors": {"idempotency_key": [REUSED]},
    })
    assert [queryset.count() for queryset in counted] == counts
    assert AuditEvent.objects.exclude(action="view").count() == events
    assert IdempotencyKey.objects.filter(key="khoa-1").count() == 1
    return first.json()


def student_body(**changes):
    return {
        "unit": "T-A-1", "full_name": "Hà Thị Lan", "date_of_birth": "2013-04-02", "gender": "female",
        "school_name": "Trường THCS Lam Sơn", "school_level": "lower_secondary", "grade": 7, "average_score": "9.20",
        "academic_rank": "very_good", "poor_household": True, **changes,
    }


def test_a_student(client, people):
    client.force_login(people["nominator_a"])
    first = check_idempotent(
        client, "/api/v1/students/", student_body(), student_body(full_name="Hà Thị Lành"),
        counted=[Student.objects.all()],
    )
    assert list(Student.objects.values_list("full_name", flat=True)) == ["Hà Thị Lan"]
    assert first["code"] == Student.objects.get().code


def test_a_nomination(client, people, units, program, student_a):
    other = make_student(units.school_a, full_name="Hà Văn Tùng", national_id="038313000999")
    client.force_login(people["nominator_a"])
    check_idempotent(
        client, "/api/v1/nominations/", {"program": "NCUM-2026", "student": student_a.code},
        {"program": "NCUM-2026", "student": other.code}, counted=[Nomination.objects.all()],
    )
    assert list(Nomination.objects.values_list("student", flat=True)) == [student_a.pk]


def test_an_allocation_run(client, people, units, funds, program, six):
    # Another program of the same unit (a key's scope): the same key for it is another request.
    other = awards.program_create(
        unit=units.province, code="khac-2026", name="Học bổng khác", school_year="2026-2027", award_amount=1_000_000,
        rubric=RUBRIC, funds={funds[0]: 1_000_000},
    )
    client.force_login(people["committee"])
    first = check_idempotent(
        client, "/api/v1/allocation-runs/", {"program": "NCUM-2026"}, {"program": other.code},
        counted=[AllocationRun.objects.all(), Award.objects.all()],
    )
    # The repeat decided nothing again: the first run's proposals stand, none superseded.
    assert list(AllocationRun.objects.values_list("pk", flat=True)) == [first["id"]]
    assert set(Award.objects.values_list("status", flat=True)) == {"proposed"}


def test_a_grant_commits_the_money_once(client, people, program, six):
    awards.allocation_run(program=program)
    nomination = Nomination.objects.get(student=six["F"])  # not funded by the run
    client.force_login(people["committee"])
    body = {"nomination": nomination.pk, "fund": "NCUM", "reason": "Hoàn cảnh đặc biệt khó khăn."}
    first = check_idempotent(
        client, "/api/v1/awards/grant/", body, {**body, "reason": "Lý do khác."}, counted=[Award.objects.all()],
    )
    granted = Award.objects.get(pk=first["id"])
    assert (granted.status, granted.nomination_id) == ("approved", nomination.pk)
    assert Award.objects.filter(nomination=nomination).count() == 1


def test_a_key_is_scoped_to_its_channel_and_unit(client, people, units, program, student_a):
    # The same key from the admin's channel is another key: the API's repeat does not find it.
    awards.nomination_create(program=program, student=student_a, idempotency_key="khoa-1")
    other = make_student(units.school_a, full_name="Hà Văn Tùng", national_id="038313000999")
    client.force_login(people["nominator_a"])
    response = post(client, "/api/v1/nominations/", {"program": "NCUM-2026", "student": other.code}, "khoa-1")
    assert response.status_code == 201, response.content
    assert sorted(IdempotencyKey.objects.filter(key="khoa-1").values_list("scope", flat=True)) == [
        f"admin:{units.school_a.pk}", f"api:{units.school_a.pk}",
    ]

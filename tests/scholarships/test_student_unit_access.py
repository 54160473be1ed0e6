"""The student services check the unit themselves, whoever calls them (admin, API, import, command):
a nominator of one commune cannot file, change or import another commune's children. And an
anonymised child's idempotency keys keep no hash of what the request carried."""

import pytest
from django.core.exceptions import PermissionDenied

from fundmgr.audit.models import AuditEvent
from fundmgr.idempotency.models import IdempotencyKey
from fundmgr.idempotency.services import IdempotencyKeyReused
from scholarships.models import Student
from scholarships.services import student_anonymise, student_update, students_import

from .conftest import make_student
from .test_services import GOOD_FILE

pytestmark = pytest.mark.django_db


def _student_rows() -> int:
    return AuditEvent.objects.filter(model_label="scholarships.student").count()


def test_a_nominator_cannot_file_a_student_in_another_commune(units, people):
    with pytest.raises(PermissionDenied):
        make_student(units.commune_b, created_by=people["nominator_a"])

    assert Student.objects.count() == 0
    assert _student_rows() == 0


def test_a_nominator_files_in_her_commune_and_the_branches_below_it(units, people):
    make_student(units.commune_a, created_by=people["nominator_a"])
    make_student(units.school_a, created_by=people["nominator_a"], national_id="038313000124")

    assert Student.objects.filter(created_by=people["nominator_a"]).count() == 2


def test_an_auditor_who_reads_students_cannot_file_one(units, people):
    with pytest.raises(PermissionDenied):
        make_student(units.commune_a, created_by=people["auditor_a"])
    assert Student.objects.count() == 0


def test_a_nominator_cannot_change_another_communes_student(student_b, people):
    with pytest.raises(PermissionDenied):
        student_update(student=student_b, by=people["nominator_a"], grade=9)

    student_b.refresh_from_db()
    assert student_b.grade == 7
    assert not AuditEvent.objects.filter(model_label="scholarships.student", action="change").exists()


def test_a_nominator_cannot_import_a_file_into_another_commune(units, people):
    with pytest.raises(PermissionDenied):
        students_import(unit=units.commune_b, content=GOOD_FILE, created_by=people["nominator_a"])
    assert Student.objects.count() == 0


def test_anonymising_a_student_forgets_the_hash_of_the_request_that_filed_them(units, people):
    student = make_student(
        units.commune_a, created_by=people["nominator_a"], channel="api", idempotency_key="ho-so-42",
    )
    row = IdempotencyKey.objects.get(key="ho-so-42")
    assert row.fingerprint and row.object_id == student.pk

    student_anonymise(student=student, by=people["nominator_a"], reason="Phụ huynh yêu cầu xóa")

    row.refresh_from_db()
    assert row.fingerprint == ""
    # The same request again is refused, never answered with the anonymised record.
    with pytest.raises(IdempotencyKeyReused):
        make_student(units.commune_a, created_by=people["nominator_a"], channel="api", idempotency_key="ho-so-42")
    assert Student.objects.count() == 1

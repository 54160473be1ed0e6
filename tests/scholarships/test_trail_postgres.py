"""On PostgreSQL, a write to a student record that skips the services still leaves a masked
audit row: the trigger watches `scholarships_*` tables and masks the same personal columns."""

import pytest
from django.db import connection

from fundmgr.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_raw_update_of_a_student_leaves_a_masked_trigger_row(student_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scholarships_student SET full_name = 'Lò Thị Hoa', guardian_phone = '+84987654321', grade = 8 "
            "WHERE id = %s",
            [student_a.pk],
        )

    event = AuditEvent.objects.filter(source=AuditEvent.Source.DB_TRIGGER, action="change").get(
        model_label="scholarships.student", object_id=str(student_a.pk)
    )
    assert (event.before["full_name"], event.after["full_name"]) == ("L.T.M.", "L.T.H.")
    assert (event.before["guardian_phone"], event.after["guardian_phone"]) == ("+84*****678", "+84*****321")
    assert (event.before["grade"], event.after["grade"]) == (7, 8)
    for column in ("national_id", "address", "date_of_birth", "circumstances_note"):
        assert event.after[column] == "***", column
    assert event.actor is None and event.actor_label.startswith("db:")


def test_the_services_create_is_paired_with_its_trigger_row(student_a):
    rows = AuditEvent.objects.filter(model_label="scholarships.student", object_id=str(student_a.pk), action="create")
    assert sorted(rows.values_list("source", flat=True)) == ["db-trigger", "service"]
    service, trigger = rows.get(source="service"), rows.get(source="db-trigger")
    assert service.transaction_id == trigger.transaction_id
    assert trigger.after["full_name"] == "L.T.M." and trigger.after["circumstances_note"] == "***"

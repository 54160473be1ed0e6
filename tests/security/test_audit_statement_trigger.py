"""PostgreSQL: the statement-level audit trigger writes what the row trigger wrote, row for row.

Migration audit/0005 replaced the row trigger (`audit_capture()` once per row) with statement
triggers (`audit_capture_statement()` once per statement, over its transition tables). Here each
watched table also gets the row function of migration 0003, installed under another name as a
row trigger with the same arguments, so every statement leaves both sets of rows: the row
trigger's first (AFTER ROW triggers fire before AFTER STATEMENT ones), then the statement's.
They must be equal in every column but the id and the time, and in the same order.
"""

import datetime
import importlib

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test import RequestFactory
from django.utils import timezone

from donations.models import Donor, Pledge, PledgeInstallment
from donations.services import pledge_create
from fundmgr.audit import context
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_tag_transaction
from fundmgr.audit.triggers import STATEMENT_TRIGGERS, audited_tables
from fundmgr.core.bulk import rows_update
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership
from scholarships.models import Student
from tests.campaigns.factories import campaign_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

COMPARED = [
    "actor_id", "actor_label", "ip", "action", "model_label", "object_id", "before", "after", "source",
    "request_id", "transaction_id", "unit_id",
]


@pytest.fixture
def row_trigger_beside():
    """Attach the row function of migration 0003 (as `audit_capture_reference()`) to a table."""
    frozen = importlib.import_module("fundmgr.audit.migrations.0003_audit_event_unit").CAPTURE_WITH_UNIT
    with connection.cursor() as cursor:
        cursor.execute(frozen.replace("FUNCTION audit_capture()", "FUNCTION audit_capture_reference()"))

    def attach(table):
        (watched,) = [found for found in audited_tables(connection) if found.table == table]
        arguments = ", ".join("'" + argument.replace("'", "''") + "'" for argument in watched.trigger_arguments())
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TRIGGER audit_reference_row AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION audit_capture_reference({arguments})"
            )

    return attach


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def both_rows(start, expected):
    """The row trigger's rows and the statement trigger's rows after `start`: equal, `expected` each."""
    rows = list(AuditEvent.objects.filter(pk__gt=start, source=AuditEvent.Source.DB_TRIGGER).order_by("pk"))
    assert len(rows) == 2 * expected
    by_row, by_statement = rows[:expected], rows[expected:]
    assert [{name: getattr(row, name) for name in COMPARED} for row in by_statement] == [
        {name: getattr(row, name) for name in COMPARED} for row in by_row
    ]
    times = [row.occurred_at for row in by_statement]
    assert times == sorted(times)
    return by_statement


def test_each_table_has_one_statement_trigger_per_event_and_no_row_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, t.tgtype & 1 = 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'donations_donor' AND t.tgname LIKE 'audit_capture%' ORDER BY t.tgname"
        )
        # tgtype bit 0: FOR EACH ROW.
        assert cursor.fetchall() == sorted((name, False) for name, _, _ in STATEMENT_TRIGGERS)


def test_many_donors_inserted_updated_and_deleted_at_once(units, make_user, row_trigger_beside):
    row_trigger_beside("donations_donor")
    treasurer = make_user("thuquy-sk")
    request = RequestFactory().post("/admin/", REMOTE_ADDR="192.0.2.7")
    request.user = treasurer
    with context.bind(request=request), transaction.atomic():
        audit_tag_transaction()
        start = last_pk()
        donors = Donor.objects.bulk_create([
            Donor(name="Nguyễn Văn An", phone="+84912345678", email="an@example.vn", address="Số 1 phố Huế",
                  tax_code="0101234567", unit=units.commune_a),
            Donor(name="Công ty Sao Mai", kind=Donor.Kind.BUSINESS, unit=units.commune_b),  # empty strings stay
            Donor(name="Trần Thị Bình", phone="12345", email="no-at-sign", unit=units.commune_a),
        ])
        created = both_rows(start, 3)
    assert [row.object_id for row in created] == [str(donor.pk) for donor in donors]  # the statement's order
    assert [row.action for row in created] == ["create"] * 3
    assert [row.unit_id for row in created] == [units.commune_a.pk, units.commune_b.pk, units.commune_a.pk]
    assert (created[0].actor, created[0].actor_label, created[0].ip) == (treasurer, "thuquy-sk", "192.0.2.7")
    assert created[0].before is None
    assert {key: created[0].after[key] for key in ("name", "phone", "email", "address", "tax_code")} == {
        "name": "Nguyễn Văn An", "phone": "+84*****678", "email": "a***@example.vn", "address": "***", "tax_code": "***",
    }
    assert (created[1].after["phone"], created[1].after["email"], created[1].after["address"]) == ("", "", "")
    assert (created[2].after["phone"], created[2].after["email"]) == ("*****", "***")

    # One VALUES UPDATE of three rows, one of which changes nothing: two rows, as the row trigger.
    start = last_pk()
    donors[0].phone, donors[1].phone = "+84987654321", "0912000111"
    rows_update(donors, ["phone"])
    changed = both_rows(start, 2)
    assert [(row.object_id, row.before["phone"], row.after["phone"]) for row in changed] == [
        (str(donors[0].pk), "+84*****678", "+84*****321"), (str(donors[1].pk), "", "091*****111"),
    ]

    # A queryset update that moves one donor to another unit: the unit as it is now.
    start = last_pk()
    Donor.objects.filter(pk__in=[donor.pk for donor in donors]).update(unit=units.commune_b)
    moved = both_rows(start, 2)  # the second donor was in commune_b already
    assert {row.unit_id for row in moved} == {units.commune_b.pk}

    # A statement that changes primary keys: old and new rows are paired by position, not by key.
    start = last_pk()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE donations_donor SET id = id + 1000000, address = 'Số 2' WHERE id = ANY(%s)",
            [[donors[0].pk, donors[2].pk]],
        )
    renumbered = both_rows(start, 2)
    assert sorted((row.before["id"], row.after["id"]) for row in renumbered) == [
        (donors[0].pk, donors[0].pk + 1_000_000), (donors[2].pk, donors[2].pk + 1_000_000),
    ]
    assert {row.object_id for row in renumbered} == {str(donors[0].pk + 1_000_000), str(donors[2].pk + 1_000_000)}

    start = last_pk()
    assert Donor.objects.filter(name__in=["Nguyễn Văn An", "Công ty Sao Mai", "Trần Thị Bình"]).delete()[0] == 3
    deleted = both_rows(start, 3)
    assert [row.action for row in deleted] == ["delete"] * 3
    assert all(row.after is None and row.unit_id == units.commune_b.pk for row in deleted)

    # A statement that touches no row writes nothing.
    start = last_pk()
    Donor.objects.filter(pk=-1).update(phone="")
    assert not AuditEvent.objects.filter(pk__gt=start).exists()


def test_installments_find_their_unit_through_the_lookup(units, make_user, row_trigger_beside):
    row_trigger_beside("donations_pledgeinstallment")
    fund = Fund.objects.create(code="QKH-SK", name="Quỹ Khuyến học xã A", unit=units.commune_a)
    campaign = campaign_make(
        unit=units.commune_a, funds=[fund], name="Tết khuyến học 2026", slug="tet-sk-2026", prefix="TSK26",
        goal=100_000_000, starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    start = last_pk()
    pledge, _created = pledge_create(
        campaign=campaign, donor_name="Lê Văn Cường", donor_kind="individual", amount=3_000_000, installments=3,
        channel=Pledge.Channel.ADMIN, created_by=make_user("thuquy-tg", role=Membership.Role.TREASURER, unit=units.commune_a),
    )
    installments = list(pledge.installments.order_by("pk"))
    assert len(installments) == 3
    created = both_rows_of(start, "donations.pledgeinstallment", 3)
    assert [row.object_id for row in created] == [str(installment.pk) for installment in installments]
    assert {row.unit_id for row in created} == {units.commune_a.pk}

    start = last_pk()
    PledgeInstallment.objects.filter(pledge=pledge).update(amount=F("amount") + 1)
    assert {row.unit_id for row in both_rows(start, 3)} == {units.commune_a.pk}

    start = last_pk()
    PledgeInstallment.objects.filter(pledge=pledge).delete()
    assert {(row.action, row.unit_id) for row in both_rows(start, 3)} == {("delete", units.commune_a.pk)}


def both_rows_of(start, model_label, expected):
    """As `both_rows`, for one model's rows of a service that writes several tables."""
    rows = list(
        AuditEvent.objects.filter(pk__gt=start, source=AuditEvent.Source.DB_TRIGGER, model_label=model_label)
        .order_by("pk")
    )
    assert len(rows) == 2 * expected
    by_row, by_statement = rows[:expected], rows[expected:]
    assert [{name: getattr(row, name) for name in COMPARED} for row in by_statement] == [
        {name: getattr(row, name) for name in COMPARED} for row in by_row
    ]
    return by_statement


def test_students_masked_columns_null_and_empty_alike(units, row_trigger_beside):
    row_trigger_beside("scholarships_student")
    common = {
        "gender": "female", "school_name": "Trường THCS Lam Sơn", "school_level": "lower_secondary", "grade": 7,
        "average_score": "9.10", "academic_rank": "very_good", "last_activity_on": datetime.date(2026, 1, 5),
    }
    start = last_pk()
    students = Student.objects.bulk_create([
        Student(unit=units.commune_a, full_name="  Lò   Thị Mai ", date_of_birth=datetime.date(2013, 5, 9),
                guardian_name="Lò Văn Sáng", guardian_phone="0912 345 678", address="Bản Khó",
                national_id="038313000123", circumstances_note="Bố mất năm 2022.", **common),
        Student(unit=units.commune_b, full_name="Hà Văn Tú", date_of_birth=None, **common),
    ])
    created = both_rows(start, 2)
    assert [row.object_id for row in created] == [str(student.pk) for student in students]
    first, second = (row.after for row in created)
    assert (first["full_name"], first["guardian_name"], first["guardian_phone"], first["date_of_birth"]) == (
        "L.T.M.", "L.V.S.", "091*****678", "***",
    )
    assert (second["full_name"], second["date_of_birth"], second["address"]) == ("H.V.T.", None, "")

    start = last_pk()
    Student.objects.filter(pk__in=[student.pk for student in students]).update(date_of_birth=None, grade=8)
    changed = both_rows(start, 2)
    assert [(row.before["date_of_birth"], row.after["date_of_birth"]) for row in changed] == [("***", None), (None, None)]


@pytest.mark.parametrize("kind", ["phone", "email", "name", "redact", None])
def test_the_inlined_mask_gives_what_the_mask_of_migration_0002_gave(kind):
    frozen = importlib.import_module("fundmgr.audit.migrations.0005_postgresql_audit_statement_triggers").MASK_0002
    values = [
        None, "", " ", "   ", "\t", "+84912345678", "0912 345 678", "123456", "1234567", "nguyenvana@gmail.com",
        "@gmail.com", "a@b", "no-at-sign", "Nguyễn Văn An", "  Đỗ   Thị  Mai ", "Lê", "\tLò\nThị\u00a0Mai \t",
        "Nguye\u0302\u0303n An", "x", "Số 1 phố Huế",
    ]
    with connection.cursor() as cursor:
        cursor.execute(frozen.replace("FUNCTION audit_mask(", "FUNCTION audit_mask_0002("))
        cursor.execute(
            "SELECT value, audit_mask(value, %s), audit_mask_0002(value, %s) FROM unnest(%s::text[]) AS value",
            [kind, kind, values],
        )
        results = cursor.fetchall()
    assert len(results) == len(values)
    assert [(value, new) for value, new, _old in results] == [(value, old) for value, _new, old in results]

"""The audit trail: service rows, the request context, immutability, the admin, and (on
PostgreSQL) the trigger that records changes made behind the services' back."""

import datetime

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from donations.models import Donor, Payment
from fundmgr.audit import context
from fundmgr.audit.middleware import AuditContextMiddleware
from fundmgr.audit.models import AuditEvent, AuditTrailError
from fundmgr.audit.services import audit_record, audit_tag_transaction, snapshot
from fundmgr.audit.triggers import TRIGGER_NAME, install_triggers
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def donor(units):
    return Donor.objects.create(
        name="Nguyễn Văn An", name_normalized="nguyen van an", email="nguyenvana@gmail.com",
        phone="+84912345678", address="Số 1 phố Huế, Hà Nội", tax_code="0101234567", unit=units.province,
    )


@pytest.fixture
def payment(units, donor):
    fund = Fund.objects.create(code="QKH-S", name="Quỹ Khuyến học", unit=units.province)
    # No journal entry: the column is nullable, and this test is about the row, not the ledger.
    return Payment.objects.create(
        donor=donor, fund=fund, unit=units.province, amount=1_000_000,
        method=Payment.Method.BANK_TRANSFER, received_on=datetime.date(2026, 2, 1),
    )


def request_as(user, *, ip="203.0.113.7"):
    request = RequestFactory().post("/admin/", REMOTE_ADDR=ip)
    request.user = user
    return request


# --- audit_record ---------------------------------------------------------------------------

def test_audit_record_stamps_actor_ip_and_request_id_from_the_context(make_user, donor):
    treasurer = make_user("thuquy")
    request = request_as(treasurer)
    with context.bind(request=request):
        event = audit_record(action=AuditEvent.Action.CHANGE, instance=donor, before={"phone": "+84900000111"})

    event.refresh_from_db()
    assert event.actor == treasurer
    assert event.actor_label == "thuquy"
    assert event.ip == "203.0.113.7"
    assert event.request_id == request.audit_request_id and len(event.request_id) == 32
    assert event.model_label == "donations.donor"
    assert event.object_id == str(donor.pk)
    assert event.source == AuditEvent.Source.SERVICE
    assert event.occurred_at.tzinfo is not None and event.occurred_at.utcoffset() == datetime.timedelta(0)


def test_audit_record_masks_personal_fields_before_and_after(donor):
    event = audit_record(
        action=AuditEvent.Action.CHANGE, instance=donor,
        before={"phone": "+84900000111", "email": "old@yahoo.com", "name": "Nguyễn Văn An"},
    )
    event.refresh_from_db()
    assert event.before == {"phone": "+84*****111", "email": "o***@yahoo.com", "name": "Nguyễn Văn An"}
    assert event.after["phone"] == "+84*****678"
    assert event.after["email"] == "n***@gmail.com"
    assert event.after["address"] == "***"
    assert event.after["tax_code"] == "***"
    assert event.after["unit_id"] == donor.unit_id  # not personal: kept
    # Nothing of the real values is stored anywhere in the row.
    assert "912345678" not in str(AuditEvent.objects.filter(pk=event.pk).values().get())


def test_audit_record_without_request_is_the_system_or_an_explicit_actor(make_user):
    event = audit_record(action=AuditEvent.Action.EXPORT, model_label="ledger.export", object_id="2026-Q1")
    assert (event.actor, event.actor_label, event.ip, event.request_id) == (None, "system", None, "")

    auditor = make_user("kiemtra")
    event = audit_record(action=AuditEvent.Action.EXPORT, model_label="ledger.export", object_id="2026-Q1", actor=auditor)
    assert (event.actor, event.actor_label) == (auditor, "kiemtra")

    with context.bind(label="command:verify_ledger"):
        event = audit_record(action=AuditEvent.Action.VIEW, model_label="ledger.journalentry")
    assert (event.actor, event.actor_label) == (None, "command:verify_ledger")


def test_audit_record_refuses_unknown_actions_and_missing_targets():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(action="rename", model_label="donations.donor")
    with pytest.raises(ValueError, match="instance or a model_label"):
        audit_record(action=AuditEvent.Action.VIEW)
    assert not AuditEvent.objects.exists()


def test_rows_written_together_come_at_the_end_of_the_block_in_their_order_or_not_at_all(donor, django_assert_num_queries):
    from fundmgr.audit.services import audit_create_unsaved, audit_rows_together, audit_save

    before = AuditEvent.objects.count()
    with transaction.atomic():
        with django_assert_num_queries(1):  # the three rows, one INSERT at the end
            with audit_rows_together():
                audit_record(action=AuditEvent.Action.VIEW, instance=donor)
                with audit_rows_together():  # nested: written with the outermost block
                    audit_save([audit_create_unsaved(donor, ["name"])])
                audit_record(action=AuditEvent.Action.CHANGE, instance=donor, before={"name": "A"}, after={"name": "B"})
    assert AuditEvent.objects.count() == before + 3
    rows = list(AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE).order_by("pk").values_list("action", flat=True))
    assert rows[-3:] == ["view", "create", "change"]

    # A block that raises writes nothing (its transaction rolls back whatever it wrote).
    count = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), audit_rows_together():
        audit_record(action=AuditEvent.Action.VIEW, instance=donor)
        raise RuntimeError("the use case failed")
    assert AuditEvent.objects.count() == count
    # Outside a block, each row is written at once again.
    audit_record(action=AuditEvent.Action.VIEW, instance=donor)
    assert AuditEvent.objects.count() == count + 1


def test_snapshot_is_json_safe(payment):
    data = snapshot(payment)
    assert data["amount"] == 1_000_000
    assert data["received_on"] == "2026-02-01"
    assert data["journal_entry_id"] is None


# --- the middleware -------------------------------------------------------------------------

def test_middleware_binds_the_request_for_the_services_and_tags_the_response(make_user, donor):
    treasurer = make_user("thuquy")
    written = []

    def view(request):
        written.append(audit_record(action=AuditEvent.Action.VIEW, instance=donor))
        return HttpResponse("ok")

    request = request_as(treasurer, ip="198.51.100.20")
    response = AuditContextMiddleware(view)(request)

    (event,) = written
    assert (event.actor, event.ip) == (treasurer, "198.51.100.20")
    assert response["X-Request-ID"] == event.request_id
    assert context.current().user is None  # unbound again after the request


def test_the_context_resolves_no_user_until_a_row_is_written(django_assert_num_queries):
    class LazyUser:
        def __getattr__(self, name):
            raise AssertionError("the user was loaded")

    request = RequestFactory().get("/")
    request.user = LazyUser()
    with django_assert_num_queries(0):
        AuditContextMiddleware(lambda request: HttpResponse("ok"))(request)


# --- append-only ----------------------------------------------------------------------------

def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(donor):
    event = audit_record(action=AuditEvent.Action.CREATE, instance=donor)
    event.actor_label = "someone else"
    with pytest.raises(AuditTrailError):
        event.save()
    with pytest.raises(AuditTrailError):
        event.delete()
    with pytest.raises(AuditTrailError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    with pytest.raises(AuditTrailError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "system"


# --- the admin ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "who, status",
    [("superuser", 200), ("auditor", 200), ("treasurer", 403), ("nominator", 403)],
)
def test_the_audit_trail_is_shown_to_auditors_and_superusers_only(client, units, make_user, who, status):
    roles = {"auditor": Role.AUDITOR, "treasurer": Role.TREASURER, "nominator": Role.NOMINATOR}
    user = make_user(who, superuser=who == "superuser", role=roles.get(who), unit=units.commune_a)
    # A row of the users' own commune: the role alone decides here (scope: test_audit_scope.py).
    commune_donor = Donor.objects.create(name="Trần Thị Bình", name_normalized="tran thi binh", unit=units.commune_a)
    event = audit_record(action=AuditEvent.Action.CREATE, instance=commune_donor)
    client.force_login(user)

    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == status
    assert client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == status


def test_the_admin_is_read_only_even_for_superusers(client, make_user, donor):
    client.force_login(make_user("root", superuser=True))
    event = audit_record(action=AuditEvent.Action.CREATE, instance=donor)

    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"actor_label": "x"})
    assert response.status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:audit_auditevent_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "system"


def test_the_changelist_filters_by_action_model_actor_and_date(client, make_user, donor):
    auditor = make_user("root", superuser=True)
    audit_record(action=AuditEvent.Action.CREATE, instance=donor, actor=auditor)
    audit_record(action=AuditEvent.Action.EXPORT, model_label="ledger.export")
    client.force_login(auditor)
    url = reverse("admin:audit_auditevent_changelist")
    today = timezone.localdate()

    def count(**params):
        # Only the service's rows: on PostgreSQL the trigger adds its own for the donor's insert.
        response = client.get(url, {"source__exact": "service", **params})
        assert response.status_code == 200
        return len(response.context["cl"].result_list)

    assert count(action__exact="export") == 1
    assert count(model_label="donations.donor") == 1
    assert count(actor__id__exact=auditor.pk) == 1
    assert count(source__exact="service") == 2
    assert count(occurred_at__year=today.year, occurred_at__month=today.month, occurred_at__day=today.day) == 2
    assert count(occurred_at__year=today.year - 1) == 0


# --- PostgreSQL: the trigger ----------------------------------------------------------------

@pytest.mark.postgres
def test_a_raw_bulk_update_of_payments_still_leaves_an_audit_row(payment):
    before = AuditEvent.objects.filter(source=AuditEvent.Source.DB_TRIGGER).count()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE donations_payment SET amount = amount + 500000 WHERE id = %s", [payment.pk])

    event = AuditEvent.objects.filter(source=AuditEvent.Source.DB_TRIGGER).order_by("-pk").first()
    assert AuditEvent.objects.filter(source=AuditEvent.Source.DB_TRIGGER).count() == before + 1
    assert (event.action, event.model_label, event.object_id) == ("change", "donations.payment", str(payment.pk))
    assert (event.before["amount"], event.after["amount"]) == (1_000_000, 1_500_000)
    assert event.actor is None and event.actor_label.startswith("db:")
    assert event.transaction_id is not None
    assert event.unit_id == payment.unit_id  # read from the row: its auditors see the change


@pytest.mark.postgres
def test_the_trigger_records_inserts_and_deletes_and_masks_personal_columns(donor):
    created = AuditEvent.objects.get(source=AuditEvent.Source.DB_TRIGGER, model_label="donations.donor", action="create")
    assert created.after["phone"] == "+84*****678"
    assert created.after["email"] == "n***@gmail.com"
    assert created.after["address"] == "***"
    assert created.after["name"] == "Nguyễn Văn An"
    assert created.unit_id == donor.unit_id

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM donations_donor WHERE id = %s", [donor.pk])
    deleted = AuditEvent.objects.get(source=AuditEvent.Source.DB_TRIGGER, model_label="donations.donor", action="delete")
    assert deleted.after is None and deleted.before["phone"] == "+84*****678"
    assert deleted.unit_id == donor.unit_id  # from the row as it was


@pytest.mark.postgres
def test_a_tagged_transaction_names_the_actor_in_trigger_rows(make_user, payment):
    treasurer = make_user("thuquy")
    with context.bind(request=request_as(treasurer, ip="192.0.2.44")), transaction.atomic():
        audit_tag_transaction()
        Payment.objects.filter(pk=payment.pk).update(amount=2_000_000)

    event = AuditEvent.objects.filter(source=AuditEvent.Source.DB_TRIGGER, action="change").latest("pk")
    assert (event.actor, event.actor_label, event.ip) == (treasurer, "thuquy", "192.0.2.44")


@pytest.mark.postgres
def test_audit_rows_cannot_be_changed_or_deleted_with_raw_sql(donor):
    event = audit_record(action=AuditEvent.Action.CREATE, instance=donor)
    for statement in ("UPDATE audit_auditevent SET actor_label = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises((InternalError, IntegrityError, DatabaseError), match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "system"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "value, kind",
    [
        ("+84912345678", "phone"), ("0912345678", "phone"), ("12345", "phone"), ("", "phone"),
        ("nguyenvana@gmail.com", "email"), ("@gmail.com", "email"), ("no-at-sign", "email"),
        ("Nguyễn Văn An", "name"), ("  Đỗ   Thị  Mai ", "name"), ("Lê", "name"),
        ("Số 1 phố Huế", "redact"),
    ],
)
def test_the_sql_masking_agrees_with_the_python_masking(value, kind):
    from fundmgr.audit.masking import mask_value

    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_mask(%s, %s)", [value, kind])
        (masked,) = cursor.fetchone()
    assert masked == mask_value(value, kind)


@pytest.mark.postgres
def test_installing_triggers_is_idempotent_follows_the_setting_and_skips_missing_tables(settings):
    def watched():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
                [TRIGGER_NAME],
            )
            return sorted(name for (name,) in cursor.fetchall())

    first = [table.table for table in install_triggers()]
    assert install_triggers() and watched() == sorted(first)
    assert {"donations_payment", "donations_donor", "ledger_fund"} <= set(first)

    settings.AUDITED_TABLES = ["donations_payment", "scholarships_not_there_yet", "no_such_*"]
    assert [table.table for table in install_triggers()] == ["donations_payment"]
    assert watched() == ["donations_payment"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_bypass_filter_shows_trigger_rows_that_no_service_explains(client, make_user, units, donor):
    auditor = make_user("root", superuser=True)
    with transaction.atomic():  # a service: its change and its audit row in one transaction
        Donor.objects.filter(pk=donor.pk).update(phone="+84900000222")
        audit_record(action=AuditEvent.Action.CHANGE, instance=Donor.objects.get(pk=donor.pk), actor=auditor)
    with connection.cursor() as cursor:  # someone at a SQL prompt
        cursor.execute("UPDATE donations_donor SET email = 'ke-gian@example.com' WHERE id = %s", [donor.pk])

    service_row = AuditEvent.objects.get(source=AuditEvent.Source.SERVICE)
    paired = AuditEvent.objects.get(
        source=AuditEvent.Source.DB_TRIGGER, before__phone="+84*****678", after__phone="+84*****222"
    )
    assert paired.transaction_id == service_row.transaction_id is not None

    client.force_login(auditor)
    response = client.get(reverse("admin:audit_auditevent_changelist"), {"bypassed": "yes"})
    shown = {row.pk for row in response.context["cl"].result_list}
    behind_the_back = AuditEvent.objects.get(source=AuditEvent.Source.DB_TRIGGER, after__email="k***@example.com")
    assert behind_the_back.pk in shown
    assert paired.pk not in shown and service_row.pk not in shown


def test_the_audit_changelist_costs_the_same_queries_whatever_the_rows(client, make_user, units, donor, django_assert_num_queries):
    auditor = make_user("kiemtra", role=Role.AUDITOR, unit=units.province)
    for number in range(30):
        audit_record(action=AuditEvent.Action.VIEW, instance=donor, actor=auditor if number % 2 else None)
    client.force_login(auditor)
    # 1 session, 2 user, 3 the user's memberships (cached on the user for every permission
    # question), 4 the unit filter's units, 5 the actor filter's users, 6 the row count (no
    # second count of all rows: show_full_result_count is off), 7-8 Django's user and group
    # permissions (the sidebar's auth app), 9 the page of rows with their actors and units,
    # 10-11 the date hierarchy's range and days, 12 the model filter's labels.
    with django_assert_num_queries(12):
        response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200

"""Confirming a pledge: who may, what is written, and where a pledge starts confirmed.

A pledge typed into the public form starts unconfirmed and counts in public only by the money
received on it (`donations.progress`); one that the association records itself (admin, API,
CSV import) is confirmed at creation by its author; `pledge_confirm` confirms the others.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from donations.models import Pledge
from donations.services import pledge_cancel, pledge_confirm, pledge_create, pledges_import
from fundmgr.audit.models import AuditEvent
from fundmgr.orgs.models import Membership

pytestmark = pytest.mark.django_db


def make_pledge(campaign, *, channel=Pledge.Channel.FORM, created_by=None, name="Nguyễn Văn An", phone="0912345678"):
    pledge, _created = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", phone=phone,
                                     amount=2_000_000, channel=channel, created_by=created_by)
    return pledge


def member(django_user_model, username, unit, role):
    user = django_user_model.objects.create_user(username=username, password="x" * 12, is_staff=True)
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def service_rows(model_label="donations.pledge"):
    return list(AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE, model_label=model_label)
                .order_by("pk").values_list("action", "object_id", "actor__username", "before", "after"))


# --- where a pledge starts ------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", [Pledge.Channel.ADMIN, Pledge.Channel.API])
def test_a_pledge_the_association_records_is_confirmed_at_creation_by_its_author(campaign, treasurer, channel):
    before = timezone.now()
    pledge = make_pledge(campaign, channel=channel, created_by=treasurer)
    assert pledge.confirmed_by == treasurer
    assert before <= pledge.confirmed_at <= timezone.now()
    pledge.refresh_from_db()
    assert (pledge.confirmed_by, pledge.is_confirmed) == (treasurer, True)


def test_an_imported_pledge_is_confirmed_by_the_treasurer_who_imported_it(campaign, treasurer):
    result = pledges_import(campaign=campaign, content="Họ tên;Điện thoại;Số tiền\nAn;0912345678;1.000.000\n".encode(),
                            created_by=treasurer)
    (pledge,) = result.pledges
    assert pledge.channel == Pledge.Channel.IMPORT
    assert pledge.confirmed_by == treasurer and pledge.confirmed_at is not None


def test_a_pledge_from_the_public_form_starts_unconfirmed(campaign):
    pledge = make_pledge(campaign)
    pledge.refresh_from_db()
    assert (pledge.channel, pledge.confirmed_at, pledge.confirmed_by, pledge.is_confirmed) == (
        Pledge.Channel.FORM, None, None, False)


# --- pledge_confirm -------------------------------------------------------------------------------------

def test_a_treasurer_of_the_unit_confirms_with_an_audit_row(campaign, treasurer):
    pledge = make_pledge(campaign)
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    before = timezone.now()
    confirmed = pledge_confirm(pledge=pledge, by=treasurer)
    pledge.refresh_from_db()
    assert (pledge.confirmed_by, confirmed.confirmed_by) == (treasurer, treasurer)
    assert before <= pledge.confirmed_at <= timezone.now()
    # On PostgreSQL the trigger adds a row of its own for the same UPDATE: count the service's.
    (event,) = AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE, pk__gt=start)
    assert (event.action, event.model_label, event.object_id, event.actor, event.unit_id) == (
        AuditEvent.Action.TRANSITION, "donations.pledge", str(pledge.pk), treasurer, campaign.unit_id)
    assert event.before == {"confirmed_at": None, "confirmed_by_id": None}
    assert event.after["confirmed_by_id"] == treasurer.pk and event.after["confirmed_at"].startswith(str(before.year))


def test_a_treasurer_of_a_parent_unit_may_confirm(campaign, unit, django_user_model):
    province_treasurer = member(django_user_model, "tinh", unit, Membership.Role.TREASURER)
    assert pledge_confirm(pledge=make_pledge(campaign), by=province_treasurer).confirmed_by == province_treasurer


@pytest.mark.parametrize("who", ["other unit's treasurer", "auditor", "nobody"])
def test_anyone_else_is_refused_and_nothing_is_written(campaign, unit, other_unit, django_user_model, who):
    pledge = make_pledge(campaign)
    by = {
        "other unit's treasurer": lambda: member(django_user_model, "nghean", other_unit, Membership.Role.TREASURER),
        "auditor": lambda: member(django_user_model, "kiemtra", unit, Membership.Role.AUDITOR),
        "nobody": lambda: None,
    }[who]()
    rows = service_rows()
    with pytest.raises(PermissionDenied):
        pledge_confirm(pledge=pledge, by=by)
    pledge.refresh_from_db()
    assert (pledge.confirmed_at, pledge.confirmed_by) == (None, None)
    assert service_rows() == rows


def test_a_confirmed_or_cancelled_pledge_is_not_confirmed_again(campaign, treasurer):
    confirmed = make_pledge(campaign, channel=Pledge.Channel.ADMIN, created_by=treasurer)
    cancelled = make_pledge(campaign, name="Lê Hủy", phone="0987654321")
    pledge_cancel(pledge=cancelled, reason="Ghi nhầm", by=treasurer)
    rows = service_rows()
    with pytest.raises(ValidationError) as error:
        pledge_confirm(pledge=confirmed, by=treasurer)
    assert error.value.messages == [f"Cam kết {confirmed.reference} đã được xác nhận trước đó."]
    with pytest.raises(ValidationError) as error:
        pledge_confirm(pledge=cancelled, by=treasurer)
    assert error.value.messages == [f"Cam kết {cancelled.reference} đã hủy hoặc đã xóa nợ: không xác nhận."]
    cancelled.refresh_from_db()
    assert cancelled.confirmed_at is None
    assert service_rows() == rows


# --- the admin ------------------------------------------------------------------------------------------

def test_the_admin_lists_unconfirmed_pledges_and_confirms_them_with_the_action(client, campaign, treasurer):
    waiting = make_pledge(campaign, name="Chờ Xác Nhận")
    make_pledge(campaign, channel=Pledge.Channel.ADMIN, created_by=treasurer, name="Đã Ghi", phone="0987654321")
    client.force_login(treasurer)
    changelist = reverse("admin:donations_pledge_changelist")

    response = client.get(changelist + "?confirmed=no")
    assert response.status_code == 200
    assert [pledge.reference for pledge in response.context["cl"].result_list] == [waiting.reference]
    assert "Xác nhận cam kết" in response.content.decode()  # the action, offered

    response = client.post(changelist, {"action": "confirm_action", "_selected_action": [str(waiting.pk)]},
                           follow=True)
    assert [str(message) for message in response.context["messages"]] == ["Đã xác nhận 1 cam kết."]
    waiting.refresh_from_db()
    assert waiting.confirmed_by == treasurer
    assert list(client.get(changelist + "?confirmed=no").context["cl"].result_list) == []


def test_the_admin_action_refuses_a_pledge_of_another_unit(client, campaign, other_unit, django_user_model):
    pledge = make_pledge(campaign)
    stranger = member(django_user_model, "nghean", other_unit, Membership.Role.TREASURER)
    client.force_login(stranger)
    response = client.post(reverse("admin:donations_pledge_changelist"),
                           {"action": "confirm_action", "_selected_action": [str(pledge.pk)]})
    # The other unit's pledge is not even in the treasurer's list: nothing selected, nothing done.
    assert response.status_code in (200, 302)
    pledge.refresh_from_db()
    assert pledge.confirmed_at is None


# --- the API --------------------------------------------------------------------------------------------

def test_the_api_shows_when_a_pledge_was_confirmed_and_filters_on_it(client, campaign, treasurer):
    waiting = make_pledge(campaign)
    recorded = make_pledge(campaign, channel=Pledge.Channel.ADMIN, created_by=treasurer, name="Đã Ghi",
                           phone="0987654321")
    client.force_login(treasurer)
    rows = client.get("/api/v1/pledges/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    confirmed_at = {row["reference"]: row["confirmed_at"] for row in rows}
    assert confirmed_at[waiting.reference] is None and confirmed_at[recorded.reference] is not None
    for value, expected in (("false", waiting), ("true", recorded)):
        rows = client.get("/api/v1/pledges/", {"confirmed": value}).json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        assert [row["reference"] for row in rows] == [expected.reference]


# --- the migration --------------------------------------------------------------------------------------

BEFORE = [("donations", "0007_pledge_typed_contacts_payment_overpayment")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_confirms_existing_pledges_except_those_from_the_public_form(django_user_model):
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        user = apps.get_model("auth", "User").objects.create(username="thuquy")
        unit = apps.get_model("orgs", "OrgUnit").objects.create(name="Tỉnh", code="T", kind="province", path="0001")
        fund = apps.get_model("ledger", "Fund").objects.create(code="F", name="Quỹ", unit=unit)
        today = datetime.date(2026, 1, 10)
        campaign = apps.get_model("campaigns", "Campaign").objects.create(
            name="Tết", slug="tet", unit=unit, lunar_year=2026, reference_prefix="TKH26", starts_on=today,
            ends_on=today, goal=1, default_fund=fund, bank_bin="970436", bank_name="VCB", bank_account_number="1",
            bank_account_name="HOI",
        )
        donor = apps.get_model("donations", "Donor").objects.create(name="An", name_normalized="an", unit=unit)
        Pledge_ = apps.get_model("donations", "Pledge")
        for reference, channel, created_by in (("TKH26-FORM", "form", None), ("TKH26-ADMIN", "admin", user),
                                               ("TKH26-API", "api", user), ("TKH26-IMPORT", "import", None)):
            Pledge_.objects.create(reference=reference, donor=donor, campaign=campaign, fund=fund, amount=1,
                                   channel=channel, created_by=created_by)
        created_at = dict(Pledge_.objects.values_list("reference", "created_at"))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    rows = {reference: (confirmed_at, username) for reference, confirmed_at, username in
            Pledge.objects.values_list("reference", "confirmed_at", "confirmed_by__username")}
    assert rows == {
        "TKH26-FORM": (None, None),  # typed by a visitor: a treasurer still has to confirm it
        "TKH26-ADMIN": (created_at["TKH26-ADMIN"], "thuquy"),
        "TKH26-API": (created_at["TKH26-API"], "thuquy"),
        "TKH26-IMPORT": (created_at["TKH26-IMPORT"], None),  # imported by the command line: nobody named
    }

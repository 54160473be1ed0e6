"""Audit rows carry the unit of the record they are about, and auditors read only their units' rows.

The tree (tests/security/conftest.py):  province ─┬─ commune_a ── branch_a
                                                  └─ commune_b
- service rows: the unit from the instance by its model's one rule (a `unit` foreign key, or the
  declared `audit_unit_path`), or the explicit `unit=`; no query when the instance holds `unit_id`;
- trigger rows (PostgreSQL): the same unit, read from the row or looked up along the same path;
- the admin: an auditor sees their units and below; rows with no unit only a superuser or an
  auditor of a root unit; a row out of scope is "not found"; the list costs the same queries
  whatever the number of rows.
"""

import datetime
import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import BankStatementImport, BankStatementLine, Donor, Payment, Pledge, PledgeInstallment
from donations.services import donor_data_export_record, payment_record, pledge_cancel, pledge_create
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_record
from fundmgr.audit.triggers import audited_tables, install_triggers
from fundmgr.audit.units import unit_id_of, unit_path
from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.ledger.services import fund_save
from fundmgr.orgs.models import Membership
from receipts.models import Receipt, ReceiptDelivery
from tests.campaigns.factories import campaign_make

pytestmark = pytest.mark.django_db
Role = Membership.Role
SERVICE, TRIGGER = AuditEvent.Source.SERVICE, AuditEvent.Source.DB_TRIGGER
CHANGELIST = "admin:audit_auditevent_changelist"


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def fund(units):
    return Fund.objects.create(code="QKH-A", name="Quỹ Khuyến học xã A", unit=units.commune_a)


@pytest.fixture
def campaign(units, fund):
    return campaign_make(
        unit=units.commune_a, funds=[fund], name="Tết khuyến học xã A 2026", slug="tet-xa-a-2026", prefix="TKA26",
        goal=200_000_000, starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )


@pytest.fixture
def treasurer(make_user, units):
    return make_user("thuquy-a", role=Role.TREASURER, unit=units.commune_a)


@pytest.fixture
def pledge(campaign, treasurer):
    pledge, _created = pledge_create(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", phone="+84912345678",
        amount=3_000_000, installments=3, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    return pledge


def service_rows(after_pk=0):
    """(model label, action, unit id) of the service's rows written after `after_pk`, in order."""
    return list(
        AuditEvent.objects.filter(source=SERVICE, pk__gt=after_pk).order_by("pk")
        .values_list("model_label", "action", "unit_id")
    )


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- service rows -----------------------------------------------------------------------------

def test_a_pledge_and_its_payment_write_rows_of_the_campaigns_unit(units, pledge, treasurer):
    a = units.commune_a.pk
    assert service_rows() == [("donations.donor", "create", a), ("donations.pledge", "create", a)]

    start = last_pk()
    payment = payment_record(
        donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
        received_on=timezone.localdate(), unit=units.commune_a, recorded_by=treasurer,
    )

    # The pledge's transition comes first: `payment_record` takes the ledger's chain head and the
    # receipt counter last, just before commit (docs/performance.md).
    assert service_rows(start) == [
        ("donations.pledge", "transition", a),  # the pledge has no unit: its campaign's, by its path
        ("ledger.journalentry", "create", a),
        ("donations.payment", "create", a),
        ("receipts.receipt", "create", a),
    ]
    assert payment.receipt.unit_id == a


def test_the_pledge_follows_its_campaign_not_the_unit_that_received_the_money(units, pledge, make_user):
    """A payment received by the province for a commune's pledge: each row has its own record's unit.

    Recorded by a province treasurer: the commune's own treasurer may not write into the
    province's unit (issue #10; this test used to let them)."""
    province_treasurer = make_user("thuquy-tinh", role=Role.TREASURER, unit=units.province)
    start = last_pk()
    payment_record(
        donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
        received_on=timezone.localdate(), unit=units.province, recorded_by=province_treasurer,
    )
    rows = {(label, action): unit for label, action, unit in service_rows(start)}
    assert rows == {
        ("ledger.journalentry", "create"): units.province.pk,
        ("donations.payment", "create"): units.province.pk,
        ("donations.pledge", "transition"): units.commune_a.pk,
        ("receipts.receipt", "create"): units.province.pk,
    }


def test_a_closed_pledge_a_funds_change_and_a_donor_export_carry_their_units(units, pledge, treasurer):
    start = last_pk()
    pledge_cancel(pledge=pledge, reason="Ghi nhầm", by=treasurer)
    fund = Fund(code="NCUM-B", name="Quỹ Nâng cánh ước mơ phường B", unit=units.commune_b)
    fund_save(fund=fund, by=treasurer)
    donor_data_export_record(donor=pledge.donor, by=treasurer)

    assert service_rows(start) == [
        ("donations.pledge", "transition", units.commune_a.pk),
        ("ledger.fund", "create", units.commune_b.pk),
        ("donations.donor", "export", units.commune_a.pk),
    ]


def test_an_export_names_its_unit_explicitly_and_none_makes_a_row_system_wide(units, pledge):
    export = audit_record(
        action=AuditEvent.Action.EXPORT, model_label="ledger.export", object_id="2026-Q1", unit=units.commune_b,
    )
    unnamed = audit_record(action=AuditEvent.Action.EXPORT, model_label="ledger.export", object_id="2026-Q2")
    # An explicit unit wins over the instance's own; None says "system-wide" even with an instance.
    moved = audit_record(action=AuditEvent.Action.VIEW, instance=pledge.donor, unit=units.province)
    system_wide = audit_record(action=AuditEvent.Action.VIEW, instance=pledge.donor, unit=None)

    assert [AuditEvent.objects.get(pk=event.pk).unit_id for event in (export, unnamed, moved, system_wide)] == [
        units.commune_b.pk, None, units.province.pk, None,
    ]


def test_a_unit_id_instead_of_a_unit_is_refused_and_writes_nothing(units, pledge):
    before = AuditEvent.objects.count()
    with pytest.raises(TypeError, match="OrgUnit or None"):
        audit_record(action=AuditEvent.Action.EXPORT, model_label="ledger.export", unit=units.commune_a.pk)
    assert AuditEvent.objects.count() == before


def test_resolving_costs_no_query_for_a_unit_column_or_a_loaded_path_and_one_otherwise(
    units, pledge, django_assert_num_queries
):
    a = units.commune_a.pk
    payment = Payment.objects.create(
        donor=pledge.donor, fund=pledge.fund, unit=units.commune_b, amount=500_000,
        method=Payment.Method.CASH, received_on=timezone.localdate(),
    )
    loaded_pledge = Pledge.objects.select_related("campaign").get(pk=pledge.pk)
    loaded_installment = PledgeInstallment.objects.select_related("pledge__campaign").filter(pledge=pledge).first()
    fresh_pledge = Pledge.objects.get(pk=pledge.pk)
    fresh_installment = PledgeInstallment.objects.filter(pledge=pledge).first()
    half_loaded_installment = PledgeInstallment.objects.select_related("pledge").filter(pledge=pledge).first()

    with django_assert_num_queries(0):
        assert unit_id_of(payment) == units.commune_b.pk
        assert unit_id_of(Payment(unit_id=units.province.pk)) == units.province.pk  # not saved: the id is enough
        assert unit_id_of(loaded_pledge) == a
        assert unit_id_of(loaded_installment) == a
    with django_assert_num_queries(1):  # SELECT unit_id FROM campaign WHERE id = pledge.campaign_id
        assert unit_id_of(fresh_pledge) == a
    with django_assert_num_queries(1):  # SELECT campaign.unit_id FROM pledge JOIN campaign WHERE pledge.id = ...
        assert unit_id_of(fresh_installment) == a
    with django_assert_num_queries(1):  # the pledge is loaded: from its campaign_id, one step
        assert unit_id_of(half_loaded_installment) == a
    # A service row for an instance that holds unit_id: the INSERT of the row, nothing else.
    with django_assert_num_queries(1):
        audit_record(action=AuditEvent.Action.VIEW, instance=payment)


def test_every_audited_model_declares_the_way_to_its_unit():
    """The one rule per model, for the models this project's services and triggers audit.

    (The `scholarships_*` tables belong to the app being built alongside; its models declare their
    own rule as they land, and a model without one writes system-wide rows.)
    """
    paths = {
        model._meta.label_lower: "__".join(field.name for field in unit_path(model))
        for model in (
            Donor, Pledge, PledgeInstallment, Payment, BankStatementImport, BankStatementLine, Fund, Campaign,
            Receipt, ReceiptDelivery, JournalEntry, Membership,
        )
    }
    assert paths == {
        "donations.donor": "unit", "donations.pledge": "campaign__unit",
        "donations.pledgeinstallment": "pledge__campaign__unit", "donations.payment": "unit",
        "donations.bankstatementimport": "unit", "donations.bankstatementline": "statement__unit",
        "ledger.fund": "unit", "campaigns.campaign": "unit", "receipts.receipt": "unit",
        "receipts.receiptdelivery": "receipt__unit", "ledger.journalentry": "unit", "orgs.membership": "unit",
    }


@pytest.mark.parametrize(
    "model, declared, message",
    [
        (Payment, "donor__unit", "has a `unit` foreign key"),  # a second rule beside its unit column
        (Pledge, "campaign__default_fund", "not at an OrgUnit"),
        (Pledge, "campaign__name", "not a foreign key"),
        (Pledge, "campaign__nowhere", "has no field"),
    ],
)
def test_a_wrong_declared_path_fails_loudly(monkeypatch, model, declared, message):
    monkeypatch.setattr(model, "audit_unit_path", declared, raising=False)
    with pytest.raises(ImproperlyConfigured, match=message):
        unit_path.__wrapped__(model)  # past the cache, which holds the real declaration


# --- trigger rows (PostgreSQL) ------------------------------------------------------------------

def trigger_row(model_label, object_id, after_pk, action="change"):
    return AuditEvent.objects.get(
        source=TRIGGER, model_label=model_label, object_id=str(object_id), pk__gt=after_pk, action=action
    )


@pytest.mark.postgres
def test_the_trigger_is_told_where_each_tables_unit_is():
    by_table = {table.table: table for table in audited_tables(connection)}

    assert (by_table["donations_payment"].unit_column, by_table["donations_payment"].unit_query) == ("unit_id", "")
    assert (by_table["donations_pledge"].unit_column, by_table["donations_pledge"].unit_query) == (
        "campaign_id", 'SELECT t1."unit_id" FROM "campaigns_campaign" t1 WHERE t1."id" = $1::bigint'
    )
    installment = by_table["donations_pledgeinstallment"]
    assert (installment.unit_column, installment.unit_query) == (
        "pledge_id",
        'SELECT t2."unit_id" FROM "donations_pledge" t1 JOIN "campaigns_campaign" t2 ON t2."id" = t1."campaign_id" '
        'WHERE t1."id" = $1::bigint',
    )
    assert installment.trigger_arguments()[:4] == [
        "donations.pledgeinstallment", "id", "unit_column:pledge_id", "unit_query:" + installment.unit_query,
    ]
    # The donor's masking rules still follow the unit arguments.
    assert by_table["donations_donor"].trigger_arguments()[2:4] == ["unit_column:unit_id", "address=redact"]


@pytest.mark.postgres
def test_a_raw_update_of_a_payment_leaves_a_trigger_row_with_the_payments_unit(units, pledge):
    payment = Payment.objects.create(
        donor=pledge.donor, fund=pledge.fund, unit=units.commune_b, amount=500_000,
        method=Payment.Method.CASH, received_on=timezone.localdate(),
    )
    start = last_pk()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE donations_payment SET amount = 600000 WHERE id = %s", [payment.pk])

    event = trigger_row("donations.payment", payment.pk, start)
    assert (event.action, event.unit_id) == ("change", units.commune_b.pk)
    assert (event.before["amount"], event.after["amount"]) == (500_000, 600_000)
    assert AuditEvent.objects.filter(pk__gt=start).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_raw_updates_of_a_pledge_and_its_installment_leave_trigger_rows_of_the_campaigns_unit(units, pledge):
    installment = pledge.installments.order_by("number").first()
    start = last_pk()
    # Someone at a SQL prompt, each statement committed on its own.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE donations_pledge SET amount = 4000000 WHERE id = %s", [pledge.pk])
        cursor.execute("UPDATE donations_pledgeinstallment SET amount = 2000000 WHERE id = %s", [installment.pk])

    pledge_row = trigger_row("donations.pledge", pledge.pk, start)
    installment_row = trigger_row("donations.pledgeinstallment", installment.pk, start)
    assert (pledge_row.action, pledge_row.unit_id, pledge_row.after["amount"]) == ("change", units.commune_a.pk, 4_000_000)
    assert (installment_row.action, installment_row.unit_id, installment_row.after["amount"]) == (
        "change", units.commune_a.pk, 2_000_000,
    )
    assert pledge_row.transaction_id != installment_row.transaction_id  # two commits
    assert AuditEvent.objects.filter(pk__gt=start).count() == 2


@pytest.mark.postgres
def test_trigger_and_service_rows_of_one_change_name_the_same_unit(units, pledge, treasurer):
    start = last_pk()
    pledge_cancel(pledge=pledge, reason="Ghi nhầm", by=treasurer)

    service = AuditEvent.objects.get(source=SERVICE, pk__gt=start)
    trigger = trigger_row("donations.pledge", pledge.pk, start)
    assert service.unit_id == trigger.unit_id == units.commune_a.pk
    assert service.transaction_id == trigger.transaction_id


@pytest.mark.postgres
def test_a_row_whose_parent_is_gone_and_a_table_without_a_rule_get_no_unit(units, settings):
    """The lookup finding nothing leaves the unit empty, as does a watched table with no rule."""
    settings.AUDITED_TABLES = ["donations_pledgeinstallment", "orgs_orgunit"]
    install_triggers()  # rolled back with the test's transaction, DDL included
    start = last_pk()
    with connection.cursor() as cursor:
        # An installment of a pledge that does not exist: the foreign key is checked at commit,
        # the trigger runs now and finds no pledge.
        cursor.execute(
            "INSERT INTO donations_pledgeinstallment (pledge_id, number, due_on, amount) "
            "VALUES (987654, 1, '2026-03-01', 1000) RETURNING id"
        )
        (orphan_id,) = cursor.fetchone()
        # Gone before the test's constraint check at teardown.
        cursor.execute("DELETE FROM donations_pledgeinstallment WHERE id = %s", [orphan_id])
        cursor.execute("UPDATE orgs_orgunit SET address = 'Số 2 Lê Lợi' WHERE id = %s", [units.commune_b.pk])

    assert trigger_row("donations.pledgeinstallment", orphan_id, start, action="create").unit_id is None
    assert trigger_row("donations.pledgeinstallment", orphan_id, start, action="delete").unit_id is None
    assert trigger_row("orgs.orgunit", units.commune_b.pk, start).unit_id is None
    assert AuditEvent.objects.filter(pk__gt=start).count() == 3


@pytest.mark.postgres
def test_triggers_with_old_arguments_and_the_old_function_keep_working_during_a_migrate(units, pledge, donor_table_trigger):
    """The two halves of one `migrate`: the new function with triggers not yet re-attached, and
    the old function (the reverse) with the new arguments. Neither fails; rows then have no unit."""
    old_arguments, restore_old_function = donor_table_trigger
    donor = pledge.donor
    start = last_pk()
    with connection.cursor() as cursor:
        old_arguments()
        cursor.execute("UPDATE donations_donor SET phone = '+84987654321' WHERE id = %s", [donor.pk])
        install_triggers()  # the new arguments ...
        restore_old_function()  # ... read by the function of migration 0002
        cursor.execute("UPDATE donations_donor SET phone = '+84911111111' WHERE id = %s", [donor.pk])

    first, second = AuditEvent.objects.filter(source=TRIGGER, pk__gt=start).order_by("pk")
    assert (first.unit_id, first.before["phone"], first.after["phone"]) == (None, "+84*****678", "+84*****321")
    assert (second.unit_id, second.before["phone"], second.after["phone"]) == (None, "+84*****321", "+84*****111")


@pytest.fixture
def donor_table_trigger():
    """Helpers that put the donor table's trigger and the trigger function back as before 0003."""
    migration = importlib.import_module("fundmgr.audit.migrations.0003_audit_event_unit")
    # Going back before 0003 passes through the reverse of 0005 first: the row triggers, which
    # these helpers replace, back on every table (rolled back with the test's transaction).
    with connection.cursor() as cursor:
        importlib.import_module("fundmgr.audit.migrations.0005_postgresql_audit_statement_triggers").to_row_triggers(cursor)

    def old_arguments():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit_capture_row ON donations_donor")
            cursor.execute(
                "CREATE TRIGGER audit_capture_row AFTER INSERT OR UPDATE OR DELETE ON donations_donor FOR EACH ROW "
                "EXECUTE FUNCTION audit_capture('donations.donor', 'id', 'address=redact', 'email=email', "
                "'phone=phone', 'tax_code=redact')"
            )

    def restore_old_function():
        with connection.cursor() as cursor:
            cursor.execute(migration.CAPTURE_WITHOUT_UNIT)

    return old_arguments, restore_old_function


# --- the admin ----------------------------------------------------------------------------------

@pytest.fixture
def trail(units):
    """One row per unit of the tree and one system-wide row, written with an explicit unit."""
    def row(name, unit):
        return audit_record(action=AuditEvent.Action.VIEW, model_label="tests.row", object_id=name, unit=unit)

    return {
        "province": row("province", units.province),
        "commune_a": row("commune_a", units.commune_a),
        "branch_a": row("branch_a", units.branch_a),
        "commune_b": row("commune_b", units.commune_b),
        "system": row("system", None),
    }


def shown(client, **params):
    response = client.get(reverse(CHANGELIST), {"model_label": "tests.row", **params})
    assert response.status_code == 200
    return {event.object_id for event in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "who, role_unit, expected",
    [
        ("commune_a", "commune_a", {"commune_a", "branch_a"}),
        ("branch_a", "branch_a", {"branch_a"}),
        ("commune_b", "commune_b", {"commune_b"}),
        ("province", "province", {"province", "commune_a", "branch_a", "commune_b", "system"}),
    ],
)
def test_an_auditor_sees_the_rows_of_their_units_and_below(client, units, make_user, trail, who, role_unit, expected):
    client.force_login(make_user(f"kiemtra-{who}", role=Role.AUDITOR, unit=getattr(units, role_unit)))
    assert shown(client) == expected


def test_a_superuser_sees_every_row(client, make_user, trail):
    client.force_login(make_user("root", superuser=True))
    assert shown(client) == {"province", "commune_a", "branch_a", "commune_b", "system"}


def test_other_roles_do_not_widen_an_auditors_scope(client, units, make_user, trail):
    """Treasurer of the province and auditor of commune A: the audit trail of commune A only."""
    user = make_user("hai-vai", role=Role.AUDITOR, unit=units.commune_a)
    Membership.objects.create(user=user, unit=units.province, role=Role.TREASURER)
    client.force_login(user)
    assert shown(client) == {"commune_a", "branch_a"}


def test_a_row_out_of_scope_is_not_found_and_nothing_of_it_is_shown(client, units, make_user, trail):
    client.force_login(make_user("kiemtra-a", role=Role.AUDITOR, unit=units.commune_a))

    own = client.get(reverse("admin:audit_auditevent_change", args=[trail["commune_a"].pk]))
    assert own.status_code == 200 and own.context["original"].pk == trail["commune_a"].pk
    for name in ("commune_b", "province", "system"):
        event = trail[name]
        response = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
        assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
        history = client.get(reverse("admin:audit_auditevent_history", args=[event.pk]))
        assert history.status_code == 302
        assert "tests.row" not in client.get(response["Location"]).content.decode()


def test_the_unit_filter_offers_the_auditors_units_and_shows_nothing_outside(client, units, make_user, trail):
    client.force_login(make_user("kiemtra-a", role=Role.AUDITOR, unit=units.commune_a))
    response = client.get(reverse(CHANGELIST))
    (unit_filter,) = [spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "unit"]
    assert [(value, str(name)) for value, name in unit_filter.lookup_choices] == [
        (str(units.commune_a.pk), "Hội Khuyến học xã A"), (str(units.branch_a.pk), "Chi hội A1"),
    ]

    assert shown(client, unit=units.branch_a.pk) == {"branch_a"}
    assert shown(client, unit=units.commune_b.pk) == set()  # a forged choice finds nothing
    assert shown(client, unit=units.province.pk) == set()


def test_the_changelist_shows_each_rows_unit(client, units, make_user, trail):
    client.force_login(make_user("kiemtra-tinh", role=Role.AUDITOR, unit=units.province))
    response = client.get(reverse(CHANGELIST), {"model_label": "tests.row"})
    assert "unit" in response.context["cl"].list_display
    body = response.content.decode()
    for unit in (units.province, units.commune_a, units.branch_a, units.commune_b):
        assert f'<td class="field-unit nowrap">{unit.name}</td>' in body
    assert '<td class="field-unit nowrap">-</td>' in body  # the system-wide row


def test_each_row_names_its_record_by_the_models_name_and_links_to_its_page(client, units, make_user, pledge, treasurer):
    """An auditor reads "Cam kết ủng hộ #12", not "donations.pledge" and "12" in two columns; the
    link opens the record's own admin page, which applies its own scope."""
    client.force_login(make_user("kiemtra-tinh", role=Role.AUDITOR, unit=units.province))
    audit_record(action=AuditEvent.Action.VIEW, model_label="tests.row", object_id="lone", unit=units.commune_a)

    response = client.get(reverse(CHANGELIST), {"model_label": "donations.pledge"})
    body = response.content.decode()
    link = reverse("admin:donations_pledge_change", args=[pledge.pk])
    assert f'<a href="{link}">Cam kết ủng hộ #{pledge.pk}</a>' in body
    assert ">donations.pledge<" not in body

    response = client.get(reverse(CHANGELIST), {"model_label": "tests.row"})
    assert '<td class="field-record">tests.row #lone</td>' in response.content.decode()  # no model: as stored, no link


def test_the_model_filter_offers_the_labels_of_the_readers_rows_by_name(client, units, make_user, pledge, trail):
    client.force_login(make_user("kiemtra-b", role=Role.AUDITOR, unit=units.commune_b))
    response = client.get(reverse(CHANGELIST))
    (model_filter,) = [spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "model_label"]
    # Commune B's auditor: the test row of commune B only; the pledge is commune A's.
    assert model_filter.lookup_choices == [("tests.row", "tests.row")]

    client.force_login(make_user("kiemtra-a", role=Role.AUDITOR, unit=units.commune_a))
    response = client.get(reverse(CHANGELIST))
    (model_filter,) = [spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "model_label"]
    choices = dict(model_filter.lookup_choices)
    assert (choices["donations.pledge"], choices["donations.donor"], choices["tests.row"]) == (
        "Cam kết ủng hộ", "Nhà hảo tâm", "tests.row"
    )
    assert [name for _label, name in model_filter.lookup_choices] == sorted(choices.values())


@pytest.mark.parametrize("count", [3, 30])
def test_the_scoped_changelist_costs_the_same_queries_whatever_the_rows(
    client, units, make_user, count, django_assert_num_queries
):
    auditor = make_user("kiemtra-a", role=Role.AUDITOR, unit=units.commune_a)
    for number in range(count):
        audit_record(
            action=AuditEvent.Action.VIEW, model_label="tests.row", object_id=str(number),
            unit=units.branch_a if number % 2 else units.commune_a, actor=auditor if number % 3 else None,
        )
    client.force_login(auditor)
    # 1 session, 2 user, 3 the user's memberships (cached on the user for every scope and
    # permission question), 4 the unit filter's units, 5 the actor filter's users, 6 the row
    # count, 7-8 Django's user and group permissions (the sidebar), 9 the page of rows with their
    # actors and units (one join each), 10-11 the date hierarchy's range and days, 12 the model
    # filter's labels.
    with django_assert_num_queries(12):
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == count

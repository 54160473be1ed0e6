"""Which services write which audit rows: one row per create, change and state transition of a
money record, in the service's own transaction, with the actor, the changed fields before and
after, and the donor's contacts masked. A refused call writes no audit row, and nothing else.

Only rows with source "service" are counted: on PostgreSQL the trigger adds its own rows for the
same changes (their transaction id pairs them, tested at the end).
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_close, campaign_open, campaign_save
from donations.models import BankStatementImport, BankStatementLine, Donor, Payment, Pledge
from donations.services import (
    donor_find_or_create,
    donor_merge,
    donor_update,
    payment_record,
    pledge_cancel,
    pledge_create,
    pledge_write_off,
    pledges_import,
)
from donations.services.bank_statement import bank_line_ignore, bank_line_match, statement_import
from fundmgr.audit import context
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.ledger.services import Line, entry_post, entry_reverse, fund_save
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant, membership_revoke
from tests.campaigns.factories import campaign_make
from tests.conftest import on_postgres

pytestmark = pytest.mark.django_db
Role = Membership.Role
SERVICE = AuditEvent.Source.SERVICE
PHONE, PHONE_MASKED = "+84912345678", "+84*****678"
EMAIL, EMAIL_MASKED = "nguyenvana@gmail.com", "n***@gmail.com"


# --- fixtures and helpers ---------------------------------------------------------------------

@pytest.fixture
def fund(units):
    return Fund.objects.create(code="QKH-S", name="Quỹ Khuyến học tỉnh", unit=units.province)


@pytest.fixture
def campaign(units, fund):
    return campaign_make(
        unit=units.province, funds=[fund], name="Tết khuyến học Bính Ngọ 2026", slug="tet-2026", prefix="TKH26",
        goal=1_000_000_000, starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )


@pytest.fixture
def treasurer(make_user, units):
    return make_user("thuquy", role=Role.TREASURER, unit=units.province)


@pytest.fixture
def pledge(campaign, treasurer):
    pledge, _created = pledge_create(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", phone=PHONE, email=EMAIL,
        amount=2_000_000, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    return pledge


def rows(after_pk=0):
    """The service's audit rows written after `after_pk`: (action, model, object id, actor username)."""
    return [
        (event.action, event.model_label, event.object_id, event.actor.username if event.actor else None)
        for event in AuditEvent.objects.filter(source=SERVICE, pk__gt=after_pk).select_related("actor").order_by("pk")
    ]


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def written():
    """Counts of everything a refused call must leave alone (audit rows of both sources too)."""
    return {
        model.__name__: model.objects.count()
        for model in (AuditEvent, Donor, Pledge, Payment, JournalEntry, Membership, BankStatementImport)
    } | {
        "statuses": sorted(Pledge.objects.values_list("pk", "status")),
        "lines": sorted(BankStatementLine.objects.values_list("pk", "status", "payment_id")),
        "campaigns": sorted(Campaign.objects.values_list("pk", "status")),
        "donors": sorted(Donor.objects.values_list("pk", "phone", "email", "merged_into_id")),
    }


def refused(call, error=ValidationError):
    """Run `call`, which must refuse, and show that it wrote nothing."""
    before = written()
    with pytest.raises(error):
        call()
    assert written() == before


def event_of(after_pk, model_label):
    return AuditEvent.objects.get(source=SERVICE, pk__gt=after_pk, model_label=model_label)


# --- donors -----------------------------------------------------------------------------------

def test_a_new_donor_is_one_create_row_with_its_contacts_masked(units, treasurer):
    donor = donor_find_or_create(
        unit=units.province, kind="individual", name="Nguyễn Văn An", phone="0912 345 678", email=EMAIL,
        tax_code="0100109106", address="Số 1 phố Huế", by=treasurer,
    )

    assert rows() == [("create", "donations.donor", str(donor.pk), "thuquy")]
    event = event_of(0, "donations.donor")
    assert event.before is None
    assert event.after == {
        "unit_id": units.province.pk, "kind": "individual", "name": "Nguyễn Văn An", "email": EMAIL_MASKED,
        "phone": PHONE_MASKED, "tax_code": "***", "address": "***", "honor_roll_consent": False,
        "email_consent": False,
    }


def test_a_found_donor_gets_a_change_row_only_for_what_it_gained(units):
    donor = donor_find_or_create(unit=units.province, kind="individual", name="Nguyễn Văn An", email=EMAIL)
    start = last_pk()

    found = donor_find_or_create(unit=units.province, kind="individual", name="Nguyễn Văn An", email=EMAIL, phone=PHONE)
    again = donor_find_or_create(unit=units.province, kind="individual", name="Nguyễn Văn An", email=EMAIL, phone=PHONE)

    assert found.pk == again.pk == donor.pk
    assert rows(start) == [("change", "donations.donor", str(donor.pk), None)]  # the second call changed nothing
    event = event_of(start, "donations.donor")
    assert (event.before, event.after, event.actor_label) == ({"phone": ""}, {"phone": PHONE_MASKED}, "system")


def test_a_refused_donor_writes_nothing(units):
    refused(lambda: donor_find_or_create(unit=units.province, kind="individual", name="An", phone="12"))


def test_donor_update_records_the_changed_fields_masked(pledge, treasurer):
    donor = pledge.donor
    start = last_pk()

    donor_update(donor=donor, by=treasurer, phone="0987 654 321", name="Nguyễn Văn Ân")
    donor_update(donor=donor, by=treasurer, phone="0987654321")  # the same number: no row

    assert rows(start) == [("change", "donations.donor", str(donor.pk), "thuquy")]
    event = event_of(start, "donations.donor")
    assert event.before == {"name": "Nguyễn Văn An", "phone": PHONE_MASKED}
    assert event.after == {"name": "Nguyễn Văn Ân", "phone": "+84*****321"}
    refused(lambda: donor_update(donor=donor, by=treasurer, email="not-an-address"))


def test_donor_merge_records_the_merged_record_and_what_the_kept_one_gained(campaign, pledge, treasurer):
    keep = donor_find_or_create(unit=campaign.unit, kind="individual", name="Nguyễn Văn An", email="an@example.vn")
    merge = pledge.donor
    start = last_pk()

    donor_merge(keep=keep, merge=merge, by=treasurer)

    assert rows(start) == [
        ("change", "donations.donor", str(keep.pk), "thuquy"),
        ("change", "donations.donor", str(merge.pk), "thuquy"),
    ]
    gained, merged = AuditEvent.objects.filter(source=SERVICE, pk__gt=start).order_by("pk")
    assert (gained.before, gained.after) == ({"phone": ""}, {"phone": PHONE_MASKED})
    assert merged.before == {"merged_into_id": None}
    assert merged.after == {"merged_into_id": keep.pk, "pledges_moved": [pledge.pk], "payments_moved": []}

    refused(lambda: donor_merge(keep=keep, merge=keep, by=treasurer))
    refused(lambda: donor_merge(keep=keep, merge=merge, by=treasurer))  # already merged


# --- pledges ----------------------------------------------------------------------------------

def test_pledge_create_writes_the_donor_and_the_pledge_and_nothing_on_a_replay(campaign, treasurer):
    arguments = dict(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", phone=PHONE, amount=3_000_000,
        installments=3, channel=Pledge.Channel.ADMIN, idempotency_key="k-1", created_by=treasurer,
    )
    pledge, created = pledge_create(**arguments)

    assert created
    assert rows() == [
        ("create", "donations.donor", str(pledge.donor_id), "thuquy"),
        ("create", "donations.pledge", str(pledge.pk), "thuquy"),
    ]
    assert event_of(0, "donations.donor").after["phone"] == PHONE_MASKED
    assert event_of(0, "donations.pledge").after == {
        "reference": pledge.reference, "donor_id": pledge.donor_id, "campaign_id": campaign.pk,
        "fund_id": campaign.default_fund_id, "amount": 3_000_000, "channel": "admin", "status": "pledged",
        "anonymous": False, "list_on_honor_roll": False, "installments": 3,
    }

    before = written()
    assert pledge_create(**arguments) == (pledge, False)
    assert written() == before
    refused(lambda: pledge_create(**{**arguments, "idempotency_key": "k-2", "amount": 0}))


def test_the_actor_is_the_keyword_else_the_request_user_else_the_system(campaign, treasurer, make_user):
    """The one rule of `audit_record`, whatever the service: explicit actor, request user, "system"."""
    secretary = make_user("thuky", role=Role.TREASURER, unit=campaign.unit)
    request = RequestFactory().post("/admin/", REMOTE_ADDR="203.0.113.7")
    request.user = secretary
    common = dict(campaign=campaign, donor_kind="individual", amount=1_000_000, channel=Pledge.Channel.ADMIN)
    with context.bind(request=request):
        by_keyword, _ = pledge_create(donor_name="A", email="a@example.vn", created_by=treasurer, **common)
        by_request, _ = pledge_create(donor_name="B", email="b@example.vn", **common)
    by_system, _ = pledge_create(donor_name="C", email="c@example.vn", **common)

    labels = dict(
        AuditEvent.objects.filter(source=SERVICE, model_label="donations.pledge")
        .values_list("object_id", "actor_label")
    )
    assert labels == {str(by_keyword.pk): "thuquy", str(by_request.pk): "thuky", str(by_system.pk): "system"}
    ips = set(AuditEvent.objects.filter(source=SERVICE, object_id__in=[str(by_keyword.pk), str(by_request.pk)],
                                        model_label="donations.pledge").values_list("ip", flat=True))
    assert ips == {"203.0.113.7"}


def test_pledges_import_writes_one_create_row_per_new_donor_and_pledge(campaign, treasurer):
    content = "Họ tên;Số tiền;Điện thoại\nNguyễn Văn An;1.000.000;0912345678\nCông ty Hòa Bình;5.000.000;\n".encode()

    result = pledges_import(campaign=campaign, content=content, created_by=treasurer)

    first, second = result.pledges
    assert rows() == [
        ("create", "donations.donor", str(first.donor_id), "thuquy"),
        ("create", "donations.pledge", str(first.pk), "thuquy"),
        ("create", "donations.donor", str(second.donor_id), "thuquy"),
        ("create", "donations.pledge", str(second.pk), "thuquy"),
    ]
    before = written()
    assert pledges_import(campaign=campaign, content=content, created_by=treasurer).existing == 2
    assert written() == before
    refused(lambda: pledges_import(campaign=campaign, content="Họ tên;Số tiền\nAn;abc\n".encode()))


def test_pledge_cancel_and_write_off_are_transitions_with_the_reason(campaign, pledge, treasurer):
    start = last_pk()
    pledge_cancel(pledge=pledge, reason="Ghi nhầm", by=treasurer)

    assert rows(start) == [("transition", "donations.pledge", str(pledge.pk), "thuquy")]
    event = event_of(start, "donations.pledge")
    assert event.before == {"status": "pledged", "closed_reason": "", "closed_by_id": None, "closed_at": None}
    closed_at = event.after.pop("closed_at")
    assert event.after == {"status": "cancelled", "closed_reason": "Ghi nhầm", "closed_by_id": treasurer.pk}
    assert closed_at.startswith(str(timezone.now().year))

    refused(lambda: pledge_cancel(pledge=pledge, reason="Lần nữa", by=treasurer))  # already closed
    other, _ = pledge_create(campaign=campaign, donor_name="Trần Bình", donor_kind="individual", amount=900_000,
                             channel=Pledge.Channel.ADMIN)
    refused(lambda: pledge_write_off(pledge=other, reason="", by=treasurer))
    start = last_pk()
    pledge_write_off(pledge=other, reason="Nhà hảo tâm chuyển đi", by=treasurer)
    assert rows(start) == [("transition", "donations.pledge", str(other.pk), "thuquy")]
    assert event_of(start, "donations.pledge").after["status"] == "written_off"


# --- payments and the bank statement ----------------------------------------------------------

def test_payment_record_writes_the_entry_the_payment_and_the_pledge_transition(pledge, treasurer, units):
    start = last_pk()
    payment = payment_record(
        donor=pledge.donor, pledge=pledge, amount=500_000, method=Payment.Method.CASH,
        received_on=timezone.localdate(), unit=units.province, recorded_by=treasurer,
    )

    entry, receipt = payment.journal_entry, payment.receipt
    assert rows(start) == [
        ("transition", "donations.pledge", str(pledge.pk), "thuquy"),  # before the chain head and the counter
        ("create", "ledger.journalentry", str(entry.pk), "thuquy"),
        ("create", "donations.payment", str(payment.pk), "thuquy"),
        ("create", "receipts.receipt", str(receipt.pk), "thuquy"),
    ]
    assert event_of(start, "ledger.journalentry").after == {"entry": entry.pk, "hash": entry.hash, "total": 500_000}
    assert event_of(start, "donations.payment").after == {
        "donor_id": pledge.donor_id, "pledge_id": pledge.pk, "fund_id": pledge.fund_id, "unit_id": units.province.pk,
        "amount": 500_000, "method": "cash", "received_on": timezone.localdate().isoformat(), "bank_reference": None,
        "journal_entry_id": entry.pk,
    }
    transition = event_of(start, "donations.pledge")
    assert (transition.before, transition.after) == ({"status": "pledged"}, {"status": "partially_paid"})
    # The receipt: one row, what it certifies (the payer's address masked).
    assert event_of(start, "receipts.receipt").after == {
        "unit_id": units.province.pk, "number": receipt.number, "payment_id": payment.pk,
        "receipt_date": timezone.localdate().isoformat(), "payer_name": "Nguyễn Văn An", "payer_address": "",
        "amount": 500_000, "fund_name": pledge.fund.name, "payment_method": "cash",
    }

    # A second payment that leaves the status as it is writes no pledge row.
    start = last_pk()
    payment_record(donor=pledge.donor, pledge=pledge, amount=100_000, method=Payment.Method.CASH,
                   received_on=timezone.localdate(), unit=units.province, recorded_by=treasurer)
    assert [row[1] for row in rows(start)] == ["ledger.journalentry", "donations.payment", "receipts.receipt"]

    refused(lambda: payment_record(
        donor=pledge.donor, pledge=pledge, amount=0, method=Payment.Method.CASH,
        received_on=timezone.localdate(), unit=units.province, recorded_by=treasurer,
    ))


def statement(*rows_):
    header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
    day = (timezone.localdate() - datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    return (header + "".join(",".join(f'"{cell}"' for cell in (day, *row)) + "\n" for row in rows_)).encode()


def test_a_statement_import_and_the_treasurers_match_and_ignore(units, pledge, treasurer):
    content = statement(("2.000.000", "chuyen tien", "FT1", "Người lạ"), ("35.000", "lai tien gui", "FT2", ""))
    start = last_pk()
    imported = statement_import(unit=units.province, file_name="sao-ke.csv", content=content, created_by=treasurer)

    # Neither line names a pledge, so the import records no payment: its own row only.
    assert rows(start) == [("create", "donations.bankstatementimport", str(imported.pk), "thuquy")]
    assert event_of(start, "donations.bankstatementimport").after["lines_credit"] == 2
    transfer, interest = BankStatementLine.objects.order_by("line_number")

    start = last_pk()
    bank_line_match(line=transfer, pledge=pledge, by=treasurer)
    transfer.refresh_from_db()
    assert rows(start) == [
        ("transition", "donations.pledge", str(pledge.pk), "thuquy"),
        ("create", "ledger.journalentry", str(transfer.payment.journal_entry_id), "thuquy"),
        ("create", "donations.payment", str(transfer.payment_id), "thuquy"),
        ("create", "receipts.receipt", str(transfer.payment.receipt.pk), "thuquy"),
        ("transition", "donations.bankstatementline", str(transfer.pk), "thuquy"),
    ]
    event = event_of(start, "donations.bankstatementline")
    assert event.before == {"status": "unmatched", "matched_by": "", "pledge_id": None, "payment_id": None}
    assert event.after == {"status": "manual", "matched_by": "manual", "pledge_id": pledge.pk,
                           "payment_id": transfer.payment_id}

    refused(lambda: bank_line_match(line=transfer, pledge=pledge, by=treasurer))  # already settled
    refused(lambda: bank_line_ignore(line=interest, reason=" ", by=treasurer))
    start = last_pk()
    bank_line_ignore(line=interest, reason="Lãi tiền gửi", by=treasurer)
    assert rows(start) == [("transition", "donations.bankstatementline", str(interest.pk), "thuquy")]
    event = event_of(start, "donations.bankstatementline")
    assert (event.before, event.after) == (
        {"status": "unmatched", "note": ""}, {"status": "ignored", "note": "Lãi tiền gửi"}
    )


# --- campaigns --------------------------------------------------------------------------------

def test_campaign_open_and_close_are_transitions(campaign, treasurer):
    campaign_close(campaign=campaign, by=treasurer)
    campaign_open(campaign=campaign, by=treasurer)

    assert rows() == [
        ("transition", "campaigns.campaign", str(campaign.pk), "thuquy"),
        ("transition", "campaigns.campaign", str(campaign.pk), "thuquy"),
    ]
    closing, opening = AuditEvent.objects.filter(source=SERVICE).order_by("pk")
    assert (closing.before, closing.after) == ({"status": "open"}, {"status": "closed"})
    assert (opening.before, opening.after) == ({"status": "closed"}, {"status": "open"})
    refused(lambda: campaign_open(campaign=campaign, by=treasurer))


def test_campaign_save_creates_and_changes_with_the_funds(campaign, fund, units, treasurer):
    other_fund = Fund.objects.create(code="NCUM", name="Quỹ Nâng cánh ước mơ", unit=units.province)
    new = Campaign(
        name="Học bổng 2026", slug="hoc-bong-2026", unit=units.province, lunar_year=2026, reference_prefix="HB26",
        starts_on=datetime.date(2026, 6, 1), ends_on=datetime.date(2026, 8, 31), goal=500_000_000,
        default_fund=fund, bank_bin="970436", bank_name="Vietcombank", bank_account_number="0011",
        bank_account_name="HOI KHUYEN HOC",
    )
    campaign_save(campaign=new, funds=[fund], by=treasurer)
    assert rows() == [("create", "campaigns.campaign", str(new.pk), "thuquy")]
    created = event_of(0, "campaigns.campaign")
    assert (created.after["status"], created.after["goal"], created.after["funds"]) == ("draft", 500_000_000, [fund.pk])

    start = last_pk()
    new.goal = 600_000_000
    new.status = Campaign.Status.OPEN  # not saved here: only campaign_open opens
    campaign_save(campaign=new, funds=[fund, other_fund], by=treasurer)
    new.refresh_from_db()
    assert new.status == Campaign.Status.DRAFT
    assert rows(start) == [("change", "campaigns.campaign", str(new.pk), "thuquy")]
    changed = event_of(start, "campaigns.campaign")
    assert changed.before == {"goal": 500_000_000, "funds": [fund.pk]}
    assert changed.after == {"goal": 600_000_000, "funds": sorted([fund.pk, other_fund.pk])}

    before = written()
    campaign_save(campaign=new, funds=[fund, other_fund], by=treasurer)  # nothing changed: no row
    assert written() == before


def test_the_campaign_admin_form_saves_through_the_service(client, campaign, treasurer):
    client.force_login(treasurer)
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    data = {
        "name": campaign.name, "slug": campaign.slug, "unit": campaign.unit_id, "lunar_year": campaign.lunar_year,
        "reference_prefix": campaign.reference_prefix, "description": "", "ceremony_date": "",
        "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
        "goal": 2_000_000_000, "funds": [campaign.default_fund_id], "default_fund": campaign.default_fund_id,
        "bank_bin": campaign.bank_bin, "bank_name": campaign.bank_name,
        "bank_account_number": campaign.bank_account_number, "bank_account_name": campaign.bank_account_name,
    }
    response = client.post(url, data, REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert rows() == [("change", "campaigns.campaign", str(campaign.pk), "thuquy")]
    event = event_of(0, "campaigns.campaign")
    assert (event.before, event.after, event.ip) == ({"goal": 1_000_000_000}, {"goal": 2_000_000_000}, "198.51.100.4")
    assert event.request_id


# --- funds ------------------------------------------------------------------------------------

def test_fund_save_creates_and_changes_with_the_restricted_units(units, treasurer):
    fund = Fund(
        code="NCUM", name="Quỹ học bổng Nâng cánh ước mơ", unit=units.province, restriction=Fund.Restriction.UNITS,
    )
    fund_save(fund=fund, restricted_units=[units.commune_a], by=treasurer)
    assert rows() == [("create", "ledger.fund", str(fund.pk), "thuquy")]
    assert event_of(0, "ledger.fund").after == {
        "code": "NCUM", "name": "Quỹ học bổng Nâng cánh ước mơ", "unit_id": units.province.pk,
        "restriction": "units", "restricted_purpose": "", "restricted_circumstances": [], "is_endowment": False,
        "is_active": True, "restricted_units": [units.commune_a.pk],
    }

    start = last_pk()
    fund.name = "Quỹ Nâng cánh ước mơ"
    fund.is_active = False
    fund_save(fund=fund, restricted_units=[units.commune_a, units.branch_a], by=treasurer)
    assert rows(start) == [("change", "ledger.fund", str(fund.pk), "thuquy")]
    changed = event_of(start, "ledger.fund")
    assert changed.before == {
        "name": "Quỹ học bổng Nâng cánh ước mơ", "is_active": True, "restricted_units": [units.commune_a.pk],
    }
    assert changed.after == {
        "name": "Quỹ Nâng cánh ước mơ", "is_active": False,
        "restricted_units": sorted([units.commune_a.pk, units.branch_a.pk]),
    }

    before = written()
    fund_save(fund=fund, restricted_units=[units.commune_a, units.branch_a], by=treasurer)  # nothing changed: no row
    assert written() == before


def test_the_fund_admin_form_saves_through_the_service(client, fund, treasurer, units):
    client.force_login(treasurer)
    data = {
        "code": fund.code, "name": "Quỹ Khuyến học tỉnh (sửa tên)", "unit": units.province.pk,
        "restriction": "unrestricted", "restricted_purpose": "", "restricted_circumstances": "[]",
        "is_active": "on",
    }
    response = client.post(f"/admin/ledger/fund/{fund.pk}/change/", data, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert rows() == [("change", "ledger.fund", str(fund.pk), "thuquy")]
    event = event_of(0, "ledger.fund")
    assert (event.before, event.after, event.ip) == (
        {"name": "Quỹ Khuyến học tỉnh"}, {"name": "Quỹ Khuyến học tỉnh (sửa tên)"}, "198.51.100.7"
    )

    start = last_pk()
    data = {**data, "code": "MOI", "name": "Quỹ mới", "is_endowment": "on"}
    response = client.post("/admin/ledger/fund/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    new = Fund.objects.get(code="MOI")
    assert rows(start) == [("create", "ledger.fund", str(new.pk), "thuquy")]
    assert event_of(start, "ledger.fund").after["is_endowment"] is True


# --- memberships ------------------------------------------------------------------------------

def test_membership_grant_and_revoke(units, make_user, treasurer):
    admin = make_user("quantri", role=Role.ADMIN, unit=units.province)
    volunteer = make_user("tinhnguyen")

    membership = membership_grant(user=volunteer, unit=units.commune_a, role=Role.NOMINATOR, granted_by=admin)
    membership_grant(user=volunteer, unit=units.commune_a, role=Role.NOMINATOR, granted_by=admin)  # idempotent
    assert rows() == [("create", "orgs.membership", str(membership.pk), "quantri")]
    assert event_of(0, "orgs.membership").after == {
        "user_id": volunteer.pk, "unit_id": units.commune_a.pk, "role": "nominator"
    }
    refused(lambda: membership_grant(user=volunteer, unit=units.province, role=Role.AUDITOR, granted_by=treasurer),
            PermissionDenied)
    refused(lambda: membership_revoke(membership=membership, revoked_by=treasurer), PermissionDenied)

    start, membership_pk = last_pk(), membership.pk
    membership_revoke(membership=membership, revoked_by=admin)
    assert rows(start) == [("delete", "orgs.membership", str(membership_pk), "quantri")]
    event = AuditEvent.objects.get(source=SERVICE, action="delete")
    assert (event.before, event.after) == (
        {"user_id": volunteer.pk, "unit_id": units.commune_a.pk, "role": "nominator"}, None
    )


# --- the ledger -------------------------------------------------------------------------------

def test_entry_post_and_entry_reverse_write_one_row_per_entry(units, fund, treasurer):
    entry = entry_post(
        unit=units.province, date=timezone.localdate(), memo="Ủng hộ", created_by=treasurer,
        lines=[Line(accounts.BANK, fund, debit=1_000_000), Line(accounts.DONATION_INCOME, fund, credit=1_000_000)],
    )
    reversal = entry_reverse(entry=entry, reason="Ghi nhầm", created_by=treasurer)

    assert rows() == [
        ("create", "ledger.journalentry", str(entry.pk), "thuquy"),
        ("transition", "ledger.journalentry", str(entry.pk), "thuquy"),
    ]
    posted, reversed_ = AuditEvent.objects.filter(source=SERVICE).order_by("pk")
    assert (posted.before, posted.after) == (None, {"entry": entry.pk, "hash": entry.hash, "total": 1_000_000})
    assert reversed_.before == {"reversed_by": None}
    assert reversed_.after == {
        "reversed_by": reversal.pk, "entry": reversal.pk, "hash": reversal.hash, "total": 1_000_000,
        "reason": "Ghi nhầm",
    }
    refused(lambda: entry_reverse(entry=entry, reason="Lần nữa", created_by=treasurer))
    refused(lambda: entry_post(
        unit=units.province, date=timezone.localdate(), memo="Lệch", created_by=treasurer,
        lines=[Line(accounts.BANK, fund, debit=1_000), Line(accounts.DONATION_INCOME, fund, credit=999)],
    ))


# --- the same transaction -----------------------------------------------------------------------

class Abandoned(Exception):
    pass


def test_a_rolled_back_caller_leaves_no_audit_row(campaign, treasurer, units):
    """The audit row is part of the service's transaction: the caller's rollback takes it too."""
    before = written()
    with pytest.raises(Abandoned), transaction.atomic():
        pledge, _ = pledge_create(campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual",
                                  phone=PHONE, amount=1_000_000, channel=Pledge.Channel.ADMIN, created_by=treasurer)
        payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
                       received_on=timezone.localdate(), unit=units.province, recorded_by=treasurer)
        assert len(rows()) == 6  # donor, pledge, entry, payment, pledge transition, receipt: written so far
        raise Abandoned
    assert written() == before
    assert rows() == []


@pytest.mark.postgres
def test_on_postgresql_the_service_rows_share_the_transaction_id_of_the_trigger_rows(pledge, treasurer):
    assert on_postgres()
    start = last_pk()
    pledge_cancel(pledge=pledge, reason="Ghi nhầm", by=treasurer)

    service = AuditEvent.objects.get(source=SERVICE, pk__gt=start)
    trigger = AuditEvent.objects.get(source=AuditEvent.Source.DB_TRIGGER, pk__gt=start, model_label="donations.pledge")
    assert service.transaction_id is not None
    assert trigger.transaction_id == service.transaction_id

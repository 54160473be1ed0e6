"""Trust on the money-in path (issue #10, points 1 to 3): each test failed on main 43edef0.

1. An anonymous pledge never changes an existing donor; a look-alike donor is only suggested.
2. Every write service refuses a record outside the actor's units, whatever the caller.
3. Money-creating writes are idempotent by a key scoped to channel and unit; a reused key with
   another body is refused and reveals nothing.
"""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from donations.models import Donor, Payment, Pledge
from donations.services import payment_record, pledge_create, pledge_donor_confirm
from fundmgr.idempotency.models import IdempotencyKey
from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.ledger.services import fund_transfer
from fundmgr.orgs.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def public_pledge(campaign, **overrides):
    arguments = dict(
        campaign=campaign, donor_name="Nguyễn Văn Đức", donor_kind="individual", email="", phone="",
        tax_code="", address="", amount=2_000_000, channel=Pledge.Channel.FORM, list_on_honor_roll=False,
    )
    arguments.update(overrides)
    return pledge_create(**arguments)[0]


@pytest.fixture
def known_donor(unit):
    """A donor the treasurer recorded: a phone, no e-mail, no consents."""
    return Donor.objects.create(
        unit=unit, kind="individual", name="Nguyễn Văn Đức", name_normalized="nguyen van duc", phone="+84912345678",
    )



@pytest.fixture
def ward_treasurer(django_user_model, ward):
    user = django_user_model.objects.create_user(username="thuquy_phuong", password="x" * 12, is_staff=True)
    Membership.objects.create(user=user, unit=ward, role=Membership.Role.TREASURER)
    return user


@pytest.fixture
def ward_fund(ward):
    return Fund.objects.create(code="QKH-HT", name="Quỹ Khuyến học phường Hạc Thành", unit=ward)


# --- 1. contact injection ----------------------------------------------------------------------------


def test_a_public_pledge_with_a_known_phone_never_changes_that_donor(campaign, known_donor):
    pledge = public_pledge(campaign, donor_name="Kẻ Lạ", phone="0912 345 678", email="stranger@evil.example",
                           address="Nơi khác", list_on_honor_roll=True, email_consent=True)

    known_donor.refresh_from_db()
    assert (known_donor.email, known_donor.address, known_donor.honor_roll_consent, known_donor.email_consent) == (
        "", "", False, False)
    assert pledge.donor_id != known_donor.pk
    assert (pledge.donor.name, pledge.donor.email) == ("Kẻ Lạ", "stranger@evil.example")
    # The name differs: not even a suggestion.
    assert pledge.suggested_donor_id is None


def test_a_shared_phone_keeps_the_new_persons_name_and_only_suggests_a_same_named_donor(campaign, known_donor):
    other = public_pledge(campaign, donor_name="Trần Thị Mai", phone="0912345678")
    same = public_pledge(campaign, donor_name="NGUYEN VAN DUC", phone="0912345678", email="duc.moi@example.vn")

    assert (other.donor.name, other.contact_name, other.suggested_donor_id) == ("Trần Thị Mai", "Trần Thị Mai", None)
    assert same.suggested_donor_id == known_donor.pk and same.donor_id != known_donor.pk
    assert (same.contact_name, same.contact_phone, same.contact_email) == ("NGUYEN VAN DUC", "+84912345678",
                                                                          "duc.moi@example.vn")
    assert Donor.objects.count() == 3


def test_receipts_go_only_to_the_address_the_donor_record_holds(campaign, known_donor, treasurer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    pledge = public_pledge(campaign, donor_name="Nguyễn Văn Đức", phone="0912345678", email="stranger@evil.example")
    pledge_donor_confirm(pledge=pledge, by=treasurer)
    pledge.refresh_from_db()
    known_donor.refresh_from_db()
    assert pledge.donor_id == known_donor.pk and pledge.suggested_donor_id is None
    # Confirming the match did not hand the donor the typed e-mail.
    assert known_donor.email == ""
    mail.outbox.clear()
    payment_record(donor=known_donor, pledge=pledge, amount=2_000_000, method=Payment.Method.CASH,
                   received_on=TODAY(), unit=campaign.unit, recorded_by=treasurer)
    assert [message.to for message in mail.outbox if "stranger@evil.example" in message.to] == []


def test_only_a_treasurer_of_the_unit_confirms_a_suggestion(campaign, known_donor, ward_treasurer):
    pledge = public_pledge(campaign, phone="0912345678")
    with pytest.raises(PermissionDenied):
        pledge_donor_confirm(pledge=pledge, by=ward_treasurer)
    pledge.refresh_from_db()
    assert pledge.suggested_donor_id == known_donor.pk and pledge.donor_id != known_donor.pk


# --- 2. cross-unit posting ------------------------------------------------------------------------------


def test_the_api_refuses_a_ward_treasurer_a_payment_into_the_province_fund(ward_treasurer, ward, fund, ward_fund):
    donor = Donor.objects.create(unit=ward, kind="individual", name="Lê Văn Hùng", name_normalized="le van hung")
    client = APIClient()
    client.force_authenticate(ward_treasurer)
    body = {"donor": donor.pk, "fund": fund.code, "amount": 1_000_000, "method": "cash",
            "received_on": TODAY().isoformat()}

    response = client.post("/api/v1/payments/", body, format="json")
    assert response.status_code == 403
    assert (Payment.objects.count(), JournalEntry.objects.count()) == (0, 0)

    # Into the province's unit, with the ward's own fund: refused as well. A unit whose money the
    # caller may not see is not found, as one that does not exist (`unit_for_money`, as the pledge
    # POST's campaign and the statement upload's unit).
    province = OrgUnit.objects.get(code="TH")
    response = client.post("/api/v1/payments/", {**body, "fund": ward_fund.code, "unit": province.code}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, {"unit": ["Không tìm thấy đơn vị."]})
    made_up = client.post("/api/v1/payments/", {**body, "fund": ward_fund.code, "unit": "KHONG-CO"}, format="json")
    assert made_up.json() == response.json()
    assert Payment.objects.count() == 0
    # Its own fund and unit: recorded.
    response = client.post("/api/v1/payments/", {**body, "fund": ward_fund.code}, format="json")
    assert response.status_code == 201, response.json()


def test_write_services_refuse_records_outside_the_actors_units(campaign, ward_treasurer, ward_fund, fund, treasurer):
    pledge = pledge_create(campaign=campaign, donor_name="Công ty An Phát", donor_kind="business", amount=5_000_000,
                           channel=Pledge.Channel.ADMIN, created_by=treasurer)[0]
    entries = JournalEntry.objects.count()
    with pytest.raises(PermissionDenied):
        pledge_create(campaign=campaign, donor_name="A", donor_kind="individual", amount=5_000_000,
                      channel=Pledge.Channel.API, created_by=ward_treasurer)
    with pytest.raises(PermissionDenied):
        payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
                       received_on=TODAY(), unit=ward_fund.unit, recorded_by=ward_treasurer)
    with pytest.raises(PermissionDenied):
        fund_transfer(from_fund=fund, to_fund=ward_fund, amount=1_000, date=TODAY(), memo="x", unit=ward_fund.unit,
                      created_by=ward_treasurer)
    assert Pledge.objects.count() == 1 and Payment.objects.count() == 0
    assert JournalEntry.objects.count() == entries


# --- 3. counted twice ------------------------------------------------------------------------------


def test_one_idempotency_key_gives_one_payment_and_another_body_is_a_422(campaign, treasurer):
    pledge = pledge_create(campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", amount=900_000,
                           channel=Pledge.Channel.ADMIN, created_by=treasurer)[0]
    client = APIClient()
    client.force_authenticate(treasurer)
    body = {"pledge": pledge.reference, "amount": 300_000, "method": "cash", "received_on": TODAY().isoformat()}

    first = client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Payment.objects.count() == 1

    other = client.post("/api/v1/payments/", {**body, "amount": 600_000}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert other.status_code == 422
    assert other.json()["errors"] == {"idempotency_key": ["Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."]}
    assert Payment.objects.count() == 1


def test_keys_are_scoped_to_channel_and_unit(campaign, treasurer, ward_treasurer, ward_fund, ward):
    pledge = pledge_create(campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", amount=900_000,
                           channel=Pledge.Channel.ADMIN, created_by=treasurer)[0]
    payment_record(donor=pledge.donor, pledge=pledge, amount=300_000, method=Payment.Method.CASH, received_on=TODAY(),
                   unit=campaign.unit, recorded_by=treasurer, channel="api", idempotency_key="k")
    ward_donor = Donor.objects.create(unit=ward, kind="individual", name="B", name_normalized="b")
    # The same key in the ward's scope is a key of its own: a new payment, not the province's.
    payment = payment_record(donor=ward_donor, fund=ward_fund, amount=100_000, method=Payment.Method.CASH,
                             received_on=TODAY(), unit=ward, recorded_by=ward_treasurer, channel="api",
                             idempotency_key="k")
    assert payment.replayed is False and payment.donor == ward_donor
    assert sorted(IdempotencyKey.objects.values_list("scope", flat=True)) == sorted([f"api:{ward.pk}", f"api:{campaign.unit.pk}"])


def test_the_admin_payment_form_sent_twice_records_one_payment_and_one_receipt(client, campaign, treasurer):
    from receipts.models import Receipt

    treasurer.is_superuser = False
    client.force_login(treasurer)
    pledge = pledge_create(campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", amount=900_000,
                           channel=Pledge.Channel.ADMIN, created_by=treasurer)[0]
    body = {
        "action": "record_payment_action", "_selected_action": [pledge.pk], "apply": "1",
        "amount": "300.000", "method": "cash", "received_on": TODAY().isoformat(), "bank_reference": "",
        "in_kind_description": "", "overpayment_reason": "", "idempotency_key": "form-key-1",
    }
    for _attempt in range(2):
        response = client.post("/admin/donations/pledge/", body)
        assert response.status_code in (200, 302)
    assert (Payment.objects.count(), Receipt.objects.count()) == (1, 1)


def test_a_transfer_between_funds_is_idempotent(fund, second_fund, unit, treasurer):
    from donations.models import Donor as DonorModel

    donor = DonorModel.objects.create(unit=unit, kind="individual", name="C", name_normalized="c")
    payment_record(donor=donor, fund=fund, amount=5_000_000, method=Payment.Method.BANK_TRANSFER,
                   bank_reference="FT-1", received_on=TODAY() - datetime.timedelta(days=1), unit=unit,
                   recorded_by=treasurer)
    arguments = dict(from_fund=fund, to_fund=second_fund, amount=1_000_000, date=TODAY(), memo="Điều chuyển",
                     unit=unit, created_by=treasurer, idempotency_key="t-1")
    first, again = fund_transfer(**arguments), fund_transfer(**arguments)
    assert first.pk == again.pk
    with pytest.raises(ValidationError):
        fund_transfer(**{**arguments, "amount": 2_000_000})

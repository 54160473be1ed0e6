"""One rule, one place, for every entry point of money in: names, dates, amounts, and the rate
limit of the pledge page.

Each hole is tried through the service and through the entry points that reach it cheaply (the
API, the CSV import command, the public form, the admin); every refusal carries the same message
and writes nothing.
"""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from donations.models import Donor, Payment, Pledge, PledgeInstallment
from donations.services import payment_record, pledge_create
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger.models import JournalEntry
from receipts.models import Receipt
from tests.campaigns import factories

pytestmark = pytest.mark.django_db

NAME_REQUIRED = "Vui lòng nhập họ tên hoặc tên đơn vị."
MINIMUM = "Số tiền ủng hộ tối thiểu là 10.000\u00a0₫."
MAXIMUM = "Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."
TOO_EARLY = "Ngày nhận không được trước ngày 01/01/1996."
INVISIBLE_NAMES = {
    "zero-width-spaces": "\u200b\u200b\u200b",
    "joiners": "\u200c\u200d\u2060",
    "byte-order-marks-and-spaces": "\ufeff \ufeff",
    "controls": "\x00\x07\x1b",
    "hangul-fillers": "\u3164\u3164",
}


@pytest.fixture
def api(treasurer):
    client = APIClient()
    client.force_authenticate(treasurer)
    return client


def pledge_kwargs(campaign, **overrides):
    values = {"campaign": campaign, "donor_name": "Nguyễn Văn An", "donor_kind": "individual", "phone": "0912345678",
              "amount": 1_000_000, "channel": Pledge.Channel.ADMIN}
    values.update(overrides)
    return values


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def assert_no_pledge_written():
    assert (Pledge.objects.count(), Donor.objects.count(), PledgeInstallment.objects.count()) == (0, 0, 0)
    assert not AuditEvent.objects.filter(model_label__in=["donations.pledge", "donations.donor"]).exists()


def import_command(tmp_path, campaign, rows: str):
    path = tmp_path / "cam-ket.csv"
    path.write_text("Họ tên,Điện thoại,Số tiền\n" + rows, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_pledges", str(path), "--campaign", campaign.slug)
    return str(raised.value)


# --- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(INVISIBLE_NAMES.values()), ids=list(INVISIBLE_NAMES))
def test_the_service_refuses_a_donor_name_of_invisible_characters(campaign, name):
    assert refusal(lambda: pledge_create(**pledge_kwargs(campaign, donor_name=name))) == {"donor_name": [NAME_REQUIRED]}
    assert_no_pledge_written()


def test_invisible_characters_are_stripped_from_a_donor_name(campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign, donor_name="\u200bNguyễn\u200d Văn\u2060 An\ufeff"))
    assert pledge.donor.name == "Nguyễn Văn An"
    assert pledge.donor.name_normalized == "nguyen van an"


def test_the_api_refuses_a_donor_name_of_zero_width_spaces(api, campaign):
    response = api.post("/api/v1/pledges/", {"campaign": campaign.slug, "donor_name": "\u200b\u200b",
                                             "phone": "0912345678", "amount": 1_000_000}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, {"donor_name": [NAME_REQUIRED]})
    assert_no_pledge_written()


def test_the_import_refuses_a_donor_name_of_zero_width_spaces(tmp_path, campaign):
    message = import_command(tmp_path, campaign, "\u200b\u2060,0912345678,1.000.000\n")
    assert f"Dòng 2: {NAME_REQUIRED}" in message
    assert_no_pledge_written()


def test_the_form_refuses_a_donor_name_of_zero_width_spaces(client, campaign, settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    response = client.post(reverse("public:pledge-form", args=[campaign.slug]),
                           factories.valid_form_data(campaign, donor_name="\u200b\u200c\u200d"))
    assert response.status_code == 400
    assert response.context["form"].errors["donor_name"] == ["Vui lòng nhập họ tên của bạn hoặc tên đơn vị."]
    assert_no_pledge_written()


def donor_change(client, donor, name):
    return client.post(reverse("admin:donations_donor_change", args=[donor.pk]), {
        "kind": "individual", "name": name, "email": "", "phone": "0912345678", "tax_code": "", "address": "",
        **{f"{prefix}-{key}": value for prefix in ("pledges", "payments")
           for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    })


def test_the_admin_renames_a_donor_without_invisible_characters(client, treasurer, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    client.force_login(treasurer)
    assert donor_change(client, pledge.donor, "Nguyễn\u200b Văn\u2060 Ân").status_code == 302
    pledge.donor.refresh_from_db()
    assert pledge.donor.name == "Nguyễn Văn Ân"


def test_the_admin_refuses_to_rename_a_donor_to_zero_width_spaces(client, treasurer, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    donor = pledge.donor
    client.force_login(treasurer)
    response = donor_change(client, donor, "\u200b\u2060\ufeff")
    assert response.status_code == 200
    assert NAME_REQUIRED in html.unescape(response.content.decode())
    donor.refresh_from_db()
    assert donor.name == "Nguyễn Văn An"


# --- the date money was received -----------------------------------------------------------------

def pay(pledge, received_on):
    return payment_record(donor=pledge.donor, pledge=pledge, amount=100_000, method="cash", received_on=received_on,
                          unit=pledge.campaign.unit)


def assert_no_payment_written():
    assert (Payment.objects.count(), Receipt.objects.count()) == (0, 0)
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("received_on", [datetime.date(1, 1, 1), datetime.date(1900, 1, 1), datetime.date(1995, 12, 31)])
def test_the_service_refuses_a_payment_received_before_1996(campaign, received_on):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    assert refusal(lambda: pay(pledge, received_on)) == {"received_on": [TOO_EARLY]}
    assert_no_payment_written()
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PLEDGED


def test_the_first_day_of_1996_and_today_are_accepted(campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    pay(pledge, datetime.date(1996, 1, 1))
    pay(pledge, timezone.localdate())
    assert sorted(Receipt.objects.values_list("number", flat=True))[0].startswith("PT-1996-")


def test_the_api_refuses_a_payment_received_on_0001_01_01(api, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    response = api.post("/api/v1/payments/", {"pledge": pledge.reference, "amount": 100_000, "method": "cash",
                                              "received_on": "0001-01-01"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, {"received_on": [TOO_EARLY]})
    assert_no_payment_written()


def test_the_refusal_is_in_english_for_an_english_client(api, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    response = api.post("/api/v1/payments/", {"pledge": pledge.reference, "amount": 100_000, "method": "cash",
                                              "received_on": "1900-01-01"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"] == {"received_on": ["The date of receipt cannot be before 01/01/1996."]}


# --- amounts: one minimum pledge, one maximum ------------------------------------------------------

@pytest.mark.parametrize("amount", [1, 9_999])
def test_the_service_refuses_a_pledge_below_10000_dong(campaign, amount):
    assert refusal(lambda: pledge_create(**pledge_kwargs(campaign, amount=amount))) == {"amount": [MINIMUM]}
    assert_no_pledge_written()


def test_the_service_takes_10000_dong_and_the_maximum(campaign):
    small, _created = pledge_create(**pledge_kwargs(campaign, amount=10_000))
    large, _created = pledge_create(**pledge_kwargs(campaign, amount=10**12, phone="0912345679"))
    assert (small.amount, large.amount) == (10_000, 10**12)
    assert refusal(lambda: pledge_create(**pledge_kwargs(campaign, amount=10**12 + 1))) == {"amount": [MAXIMUM]}


def test_the_api_refuses_a_1_dong_pledge(api, campaign):
    response = api.post("/api/v1/pledges/", {"campaign": campaign.slug, "donor_name": "Nguyễn Văn An",
                                             "phone": "0912345678", "amount": 1}, format="json")
    assert (response.status_code, response.json()["errors"]) == (400, {"amount": [MINIMUM]})
    assert_no_pledge_written()


def test_the_import_command_refuses_a_1_dong_pledge(tmp_path, campaign):
    message = import_command(tmp_path, campaign, "Nguyễn Văn An,0912345678,1\n")
    assert f"Dòng 2: {MINIMUM}" in message
    assert_no_pledge_written()


def test_the_import_command_refuses_an_amount_over_the_maximum_with_the_same_message(tmp_path, campaign):
    message = import_command(tmp_path, campaign, "Nguyễn Văn An,0912345678,1.000.000.000.000.000\n")
    assert MAXIMUM in message
    assert_no_pledge_written()


def test_the_admin_refuses_a_1_dong_pledge(client, treasurer, campaign):
    client.force_login(treasurer)
    response = client.post(reverse("admin:donations_pledge_add"), {
        "campaign": campaign.pk, "donor_kind": "individual", "donor_name": "Nguyễn Văn An", "phone": "0912345678",
        "amount": "1", "installments": "1",
    })
    assert response.status_code == 200
    assert MINIMUM in html.unescape(response.content.decode())
    assert_no_pledge_written()


def test_the_form_shows_the_same_minimum(client, campaign, settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    response = client.post(reverse("public:pledge-form", args=[campaign.slug]),
                           factories.valid_form_data(campaign, amount="1"))
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [MINIMUM]
    assert_no_pledge_written()


# --- the pledge page /p/<reference>/ -----------------------------------------------------------------

def test_guessing_pledge_references_is_slowed_by_a_rate_limit_per_address(client, campaign, settings, rate_limit_clock):
    settings.PLEDGE_DETAIL_RATE_LIMIT_PER_IP = "3/m"
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    for guess in ("TKH26-AAAAA", "TKH26-BBBBB"):
        assert client.get(f"/p/{guess}/").status_code == 404
    assert client.get(f"/p/{pledge.reference}/").status_code == 200

    response = client.get(f"/p/{pledge.reference}/")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    text = html.unescape(response.content.decode())
    assert "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Hãy thử lại sau 60 giây." in text
    assert "You sent too many requests in a short time. Please try again in 60 seconds." in text
    assert pledge.reference not in text
    # Another address is not held back by the first one's limit.
    assert client.get(f"/p/{pledge.reference}/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_pledge_page_allows_a_donor_to_come_back_a_few_times(client, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    for _visit in range(10):
        assert client.get(f"/p/{pledge.reference}/").status_code == 200

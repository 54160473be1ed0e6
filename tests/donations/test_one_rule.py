"""One rule, one home, the same at every door (issue #11).

Where two entry points had answered differently (the public form refused a foreign phone that the
API and the import took; the form and the service had two messages for a bad e-mail or tax code
and for an amount of 0), each door is tried here with the same input: the same refusal, the same
message, nothing written. Then the amounts that had four or three copies (what is due on an
installment, what was paid) and the ledger accounts of a payment method, against their one home.
"""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from donations import selectors
from donations.models import Payment, Pledge
from donations.services import donor_fields_clean, payment_record, pledge_create
from fundmgr.core.contacts import phone_normalize
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from scholarships.models import Disbursement
from tests.campaigns import factories
from tests.donations.test_input_rules import (
    assert_no_pledge_written,
    donor_change,
    import_command,
    pledge_kwargs,
    refusal,
)

pytestmark = pytest.mark.django_db

PHONE = "Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."
PHONE_EN = "This phone number is not valid. Enter a Vietnamese number, for example 0912 345 678."
EMAIL = "Địa chỉ e-mail chưa đúng, ví dụ: ten@example.com."
TAX_CHECKSUM = "Mã số thuế sai chữ số kiểm tra. Vui lòng xem lại."
TAX_SHAPE = "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0100112437-001)."
NOT_POSITIVE = "Số tiền phải lớn hơn 0 đồng."
US_PHONE = "+1 202 555 0125"  # a valid number, but not a Vietnamese one


@pytest.fixture
def api(treasurer):
    client = APIClient()
    client.force_authenticate(treasurer)
    return client


def api_pledge(api, campaign, **fields):
    body = {"campaign": campaign.slug, "donor_name": "Nguyễn Văn An", "phone": "0912345678", "amount": 1_000_000}
    return api.post("/api/v1/pledges/", {**body, **fields}, format="json")


def form_post(client, campaign, settings, **fields):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    return client.post(reverse("public:pledge-form", args=[campaign.slug]), factories.valid_form_data(campaign, **fields))


def admin_pledge_add(client, campaign, **fields):
    body = {"campaign": campaign.pk, "donor_kind": "individual", "donor_name": "Nguyễn Văn An",
            "phone": "0912345678", "amount": "1.000.000", "installments": "1"}
    return client.post(reverse("admin:donations_pledge_add"), {**body, **fields})


# --- the phone: Vietnamese numbers only, at every door ----------------------------------------------

def test_the_kernel_accepts_vietnamese_mobiles_and_landlines_in_any_spelling():
    assert phone_normalize("0912 345 678") == phone_normalize("+84 912345678") == "+84912345678"
    assert phone_normalize("024 3825 3253") == "+842438253253"  # a Hà Nội landline


def test_the_service_refuses_a_foreign_phone(campaign):
    assert refusal(lambda: pledge_create(**pledge_kwargs(campaign, phone=US_PHONE))) == {"phone": [PHONE]}
    assert_no_pledge_written()


def test_the_api_refuses_a_foreign_phone_as_the_form_does(api, client, campaign, settings):
    response = api_pledge(api, campaign, phone=US_PHONE)
    assert (response.status_code, response.json()["errors"]) == (400, {"phone": [PHONE]})
    form = form_post(client, campaign, settings, phone=US_PHONE)
    assert form.status_code == 400
    assert form.context["form"].errors["phone"] == [PHONE]
    assert_no_pledge_written()


def test_the_api_refuses_a_foreign_phone_in_english_for_an_english_client(api, campaign):
    response = api.post(
        "/api/v1/pledges/",
        {"campaign": campaign.slug, "donor_name": "Nguyễn Văn An", "phone": US_PHONE, "amount": 1_000_000},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["errors"] == {"phone": [PHONE_EN]}


def test_the_import_refuses_a_foreign_phone(tmp_path, campaign):
    message = import_command(tmp_path, campaign, f"Nguyễn Văn An,{US_PHONE},1.000.000\n")
    assert f"Dòng 2: {PHONE}" in message
    assert_no_pledge_written()


def test_the_admin_refuses_a_foreign_phone_on_a_new_pledge(client, treasurer, campaign):
    client.force_login(treasurer)
    response = admin_pledge_add(client, campaign, phone=US_PHONE)
    assert response.status_code == 200
    assert PHONE in html.unescape(response.content.decode())
    assert_no_pledge_written()


def test_the_admin_refuses_to_change_a_donor_phone_to_a_foreign_one(client, treasurer, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    client.force_login(treasurer)
    response = client.post(reverse("admin:donations_donor_change", args=[pledge.donor.pk]), {
        "kind": "individual", "name": "Nguyễn Văn An", "email": "", "phone": US_PHONE, "tax_code": "", "address": "",
        **{f"{prefix}-{key}": value for prefix in ("pledges", "payments")
           for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    })
    assert response.status_code == 200
    assert PHONE in html.unescape(response.content.decode())
    pledge.donor.refresh_from_db()
    assert pledge.donor.phone == "+84912345678"


# --- e-mail and tax code: one check, one message each -----------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "binh@", EMAIL),
    ("tax_code", "0100112438", TAX_CHECKSUM),  # the check digit changed
    ("tax_code", "01001124", TAX_SHAPE),
])
def test_the_api_the_service_and_the_form_give_one_message(api, client, campaign, settings, field, value, message):
    assert refusal(lambda: pledge_create(**pledge_kwargs(campaign, **{field: value}))) == {field: [message]}
    response = api_pledge(api, campaign, **{field: value})
    assert (response.status_code, response.json()["errors"]) == (400, {field: [message]})
    form = form_post(client, campaign, settings, **{field: value})
    assert form.context["form"].errors[field] == [message]
    assert_no_pledge_written()


def test_the_admin_shows_the_kernel_message_for_a_bad_email(client, treasurer, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign, email="an@example.com"))
    client.force_login(treasurer)
    response = client.post(reverse("admin:donations_donor_change", args=[pledge.donor.pk]), {
        "kind": "individual", "name": "Nguyễn Văn An", "email": "an@", "phone": "0912345678", "tax_code": "",
        "address": "",
        **{f"{prefix}-{key}": value for prefix in ("pledges", "payments")
           for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    })
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert EMAIL in page
    pledge.donor.refresh_from_db()
    assert pledge.donor.email == "an@example.com"


def test_every_door_stores_a_contact_the_same_way(api, campaign):
    # The form keeps what donor_fields_clean returns; the API (and the import) go through it too.
    response = api_pledge(api, campaign, phone="+84 912 345 678", email=" An@Example.COM ", tax_code="0100112437-001")
    assert response.status_code == 201
    pledge = Pledge.objects.get()
    expected = donor_fields_clean(kind="individual", name="Nguyễn Văn An", email=" An@Example.COM ",
                                  phone="0912 345 678", tax_code="0100112437001", address="")
    assert (pledge.donor.phone, pledge.donor.email, pledge.donor.tax_code) == (
        expected["phone"], expected["email"], expected["tax_code"]) == ("+84912345678", "an@example.com", "0100112437001")


def test_the_admin_renames_with_a_valid_phone_still(client, treasurer, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    client.force_login(treasurer)
    assert donor_change(client, pledge.donor, "Nguyễn Văn Ân").status_code == 302


# --- amounts: one message for "not positive", whether typed or sent as a number -----------------------

def test_zero_dong_has_one_message_through_the_api_and_the_form(api, client, campaign, settings):
    response = api_pledge(api, campaign, amount=0)
    assert (response.status_code, response.json()["errors"]) == (400, {"amount": [NOT_POSITIVE]})
    form = form_post(client, campaign, settings, amount="0")
    assert form.context["form"].errors["amount"] == [NOT_POSITIVE]
    assert_no_pledge_written()


# --- what is due on an installment: one rule, in Python and in SQL ------------------------------------

def installments_of(pledge):
    return list(pledge.installments.order_by("number"))


def test_the_amount_due_next_follows_the_installments_in_order(campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign, amount=1_000_000, installments=3))
    installments = installments_of(pledge)
    assert [item.amount for item in installments] == [333_333, 333_333, 333_334]
    due = [selectors.pledge_amount_due_next(pledge, installments, paid) for paid in (0, 100_000, 333_333, 700_000, 1_000_000)]
    assert due == [333_333, 233_333, 333_333, 333_334 - 33_334, 0]
    assert selectors.pledge_amount_due_next(pledge, [], 400_000) == 600_000


def test_the_pledge_page_asks_for_the_amount_the_rule_gives(client, campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign, amount=1_000_000, installments=3))
    factories.payment_make(pledge, amount=100_000)
    response = client.get(f"/p/{pledge.reference}/")
    assert response.context["paid"] == selectors.pledge_paid(pledge) == 100_000
    assert response.context["due"] == selectors.pledge_amount_due_next(pledge, installments_of(pledge), 100_000) == 233_333


@pytest.mark.parametrize("paid", [0, 1, 333_332, 333_333, 333_334, 666_666, 666_667, 999_999, 1_000_000])
@pytest.mark.parametrize("days_later", [20, 40, 70, 100])
def test_the_sql_overdue_test_is_the_python_rule_on_the_last_installment_due(campaign, paid, days_later):
    pledge, _created = pledge_create(**pledge_kwargs(campaign, amount=1_000_000, installments=3))
    if paid:
        factories.payment_make(pledge, amount=paid)
    today = timezone.localdate() + datetime.timedelta(days=days_later)
    installments = installments_of(pledge)
    passed = [item for item in installments if item.due_on < today]
    python_overdue = bool(passed) and selectors.installment_amount_due(installments, passed[-1], paid) > 0
    sql_overdue = selectors.pledges_overdue(Pledge.objects.filter(pk=pledge.pk), today=today).exists()
    assert sql_overdue == python_overdue


# --- what was paid: one sum -----------------------------------------------------------------------

def cash(pledge, amount):
    return payment_record(donor=pledge.donor, pledge=pledge, amount=amount, method="cash",
                          received_on=timezone.localdate(), unit=pledge.campaign.unit)


def test_the_paid_sum_of_one_pledge_is_the_list_annotation(campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    assert selectors.pledge_paid(pledge) == 0
    cash(pledge, 300_000)
    cash(pledge, 200_000)
    listed = selectors.pledge_paid_amounts(Pledge.objects.filter(pk=pledge.pk)).get().paid_amount
    assert selectors.pledge_paid(pledge) == listed == 500_000
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PARTIALLY_PAID  # the payment service counted with the same sum


def test_the_payments_read_of_the_paid_sum_is_the_selectors_and_sees_a_removal_request(campaign, treasurer):
    # `payment_record` reads the sum and the removal request in one plain-SQL statement.
    from donations.services import honor_roll_removal_request, receipt_void

    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    assert selectors.pledge_paid_and_removal_requested(pledge) == (0, False)
    cash(pledge, 300_000)
    voided = cash(pledge, 200_000)
    assert selectors.pledge_paid_and_removal_requested(pledge) == (selectors.pledge_paid(pledge), False) == (500_000, False)
    receipt_void(receipt=voided.receipt, reason="Ghi nhầm", voided_by=treasurer)
    honor_roll_removal_request(pledge=pledge)
    assert selectors.pledge_paid_and_removal_requested(pledge) == (selectors.pledge_paid(pledge), True) == (300_000, True)


# --- the ledger account of a method: one mapping, money in and out ----------------------------------

def test_every_payment_and_disbursement_method_has_its_account_in_the_ledger():
    assert set(Payment.Method.values) <= set(accounts.METHOD_ACCOUNTS)
    assert set(Payment.Method.values) <= set(accounts.DONATION_INCOME_ACCOUNTS)
    assert set(Disbursement.Method.values) <= set(accounts.METHOD_ACCOUNTS)
    assert (accounts.METHOD_ACCOUNTS["cash"], accounts.METHOD_ACCOUNTS["bank_transfer"]) == ("111", "112")


def test_a_cash_payment_posts_cash_against_donation_income(campaign):
    pledge, _created = pledge_create(**pledge_kwargs(campaign))
    payment = cash(pledge, 300_000)
    lines = JournalLine.objects.filter(entry=payment.journal_entry).order_by("pk")
    assert [(line.account.code, line.debit, line.credit) for line in lines] == [
        ("111", 300_000, 0), ("511", 0, 300_000),
    ]

"""The donations API: scoped reads with fixed query counts, writes through the services."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from donations.models import Payment, Pledge, PledgeInstallment
from donations.services import payment_record, pledge_create
from fundmgr.orgs.models import Membership

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def api(treasurer):
    client = APIClient()
    client.force_authenticate(treasurer)
    return client


def populate(campaign, count, start=0):
    for index in range(start, start + count):
        pledge, _ = pledge_create(campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
                                  phone=f"09{index:08d}", amount=1_000_000, installments=2, channel=Pledge.Channel.ADMIN)
        PledgeInstallment.objects.filter(pledge=pledge, number=1).update(due_on=DAY - datetime.timedelta(days=30))
        payment_record(donor=pledge.donor, pledge=pledge, amount=100_000, method="cash", received_on=DAY, unit=campaign.unit)


# Each list: the user's memberships (once), the count, the page of rows (related rows joined,
# sums as subqueries); pledges also prefetch their installments in one query. Payments page by
# cursor: no count.
@pytest.mark.parametrize(("url", "queries"), [
    ("/api/v1/donors/", 3),
    ("/api/v1/pledges/", 4),
    ("/api/v1/pledges/?overdue=true&campaign=tet-khuyen-hoc-2026", 4),
    ("/api/v1/payments/", 2),
])
def test_lists_run_a_fixed_number_of_queries(api, treasurer, campaign, url, queries, django_assert_num_queries):
    populate(campaign, 2)
    with django_assert_num_queries(queries):
        small = api.get(url)
    populate(campaign, 20, start=2)
    api.force_authenticate(type(treasurer).objects.get(pk=treasurer.pk))  # as a new request: a fresh user
    with django_assert_num_queries(queries):
        large = api.get(url)
    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) > len(small.json()["results"]) > 0


def test_pledge_fields(api, campaign):
    populate(campaign, 1)
    (row,) = api.get("/api/v1/pledges/").json()["results"]
    assert (row["amount"], row["paid_amount"], row["outstanding_amount"], row["status"], row["campaign"], row["fund"]) == (
        1_000_000, 100_000, 900_000, "partially_paid", "tet-khuyen-hoc-2026", "QKH-TH"
    )
    assert [i["amount"] for i in row["installments"]] == [500_000, 500_000]


def test_create_pledge_is_idempotent_by_header(api, campaign, treasurer):
    body = {"campaign": campaign.slug, "donor_name": "Công ty CP Sữa Việt", "donor_kind": "business",
            "tax_code": "0100109106", "amount": 30_000_000, "installments": 3, "fund": "NCUM"}
    first = api.post("/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.post("/api/v1/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    pledge = Pledge.objects.get()
    assert (pledge.channel, pledge.created_by, pledge.fund.code, pledge.installments.count()) == ("api", treasurer, "NCUM", 3)


def test_create_pledge_refusal_is_a_400_with_the_service_messages(api, campaign):
    response = api.post("/api/v1/pledges/", {"campaign": campaign.slug, "donor_name": "A", "amount": 0,
                                             "installments": 13}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Dữ liệu gửi lên không hợp lệ.", "errors": {
        "amount": ["Số tiền phải lớn hơn 0 đồng."], "installments": ["Số đợt nộp phải từ 1 đến 12."]}}
    assert Pledge.objects.count() == 0


def test_record_payment(api, campaign):
    pledge, _ = pledge_create(campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", amount=500_000,
                              channel=Pledge.Channel.ADMIN)
    response = api.post("/api/v1/payments/", {"pledge": pledge.reference.lower(), "amount": 500_000,
                                              "method": "bank_transfer", "received_on": DAY.isoformat(),
                                              "bank_reference": "FT26"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["pledge"], response.json()["journal_entry"] is not None) == (pledge.reference, True)
    pledge.refresh_from_db()
    assert pledge.status == "fulfilled"
    again = api.post("/api/v1/payments/", {"pledge": pledge.reference, "amount": 500_000, "method": "bank_transfer",
                                           "received_on": DAY.isoformat(), "bank_reference": "FT26"}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"] == {"bank_reference": ["Giao dịch ngân hàng FT26 đã được ghi nhận."]}
    assert Payment.objects.count() == 1


def test_auditor_reads_but_cannot_write(campaign, unit, django_user_model):
    auditor = django_user_model.objects.create_user(username="kiemtra", password="x" * 12)
    Membership.objects.create(user=auditor, unit=unit, role=Membership.Role.AUDITOR)
    client = APIClient()
    client.force_authenticate(auditor)
    populate(campaign, 1)
    assert client.get("/api/v1/pledges/").json()["count"] == 1
    response = client.post("/api/v1/pledges/", {"campaign": campaign.slug, "donor_name": "A", "amount": 5}, format="json")
    assert response.status_code == 403
    assert Pledge.objects.count() == 1


def test_other_units_see_nothing(campaign, other_unit, django_user_model):
    stranger = django_user_model.objects.create_user(username="nghean", password="x" * 12)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)
    client = APIClient()
    client.force_authenticate(stranger)
    populate(campaign, 1)
    assert client.get("/api/v1/pledges/").json()["count"] == 0
    assert client.get("/api/v1/donors/").json()["count"] == 0
    response = client.post("/api/v1/pledges/", {"campaign": campaign.slug, "donor_name": "A", "amount": 5}, format="json")
    assert response.status_code == 400 and response.json()["errors"] == {"campaign": ["Không tìm thấy chiến dịch."]}


def test_anonymous_is_refused():
    response = APIClient().get("/api/v1/pledges/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"

"""Receipts in the API: the scoped register, a real PDF, voiding through `receipt_void` (a repeat
of its Idempotency-Key answers the voided receipt; a receipt voided before is otherwise a 409)."""

import io

import pytest
from pypdf import PdfReader

from donations.models import Payment
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger.models import JournalEntry
from receipts.models import Receipt, ReceiptDelivery

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import client_for, fresh, pledges_paid

pytestmark = pytest.mark.django_db

URL = "/api/v1/receipts/"


def test_the_register_lists_the_users_units_receipts(api, campaign, other_campaign):
    pledges_paid(campaign, 2, paid=1_250_000)
    pledges_paid(other_campaign, 1, start=10)
    body = api.get(URL).json()
    assert set(body) == {"next", "previous", "results"}
    rows = body["results"]
    assert [row["unit"] for row in rows] == ["TH", "TH"]
    row = rows[0]
    assert (row["amount"], row["amount_display"], row["state"], row["payment_method"]) == (
        1_250_000, "1.250.000\u00a0₫", "issued", "bank_transfer"
    )
    assert row["number"].startswith("PT-") and row["receipt_date"].count("-") == 2
    other = Receipt.objects.get(unit__code="NA")
    assert api.get(f"{URL}{other.pk}/").status_code == 404
    assert api.get(f"{URL}{other.pk}/pdf/").status_code == 404


def test_receipt_filters(api, campaign):
    pledges_paid(campaign, 1, paid=300_000)
    pledges_paid(campaign, 1, start=1, paid=2_000_000)
    receipt = Receipt.objects.get(amount=300_000)
    assert [r["amount"] for r in api.get(URL, {"amount_min": 1_000_000}).json()["results"]] == [2_000_000]
    assert [r["amount"] for r in api.get(URL, {"amount_max": 1_000_000}).json()["results"]] == [300_000]
    assert [r["id"] for r in api.get(URL, {"q": receipt.number}).json()["results"]] == [receipt.pk]
    assert [r["id"] for r in api.get(URL, {"q": "nha hao tam 0"}).json()["results"]] == [receipt.pk]
    assert len(api.get(URL, {"fund": "QKH-TH", "campaign": campaign.slug}).json()["results"]) == 2
    assert api.get(URL, {"state": "voided"}).json()["results"] == []
    assert [r["amount"] for r in api.get(URL, {"ordering": "amount"}).json()["results"]] == [300_000, 2_000_000]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_is_a_real_receipt(api, campaign):
    pledges_paid(campaign, 1, paid=1_000_000)
    receipt = Receipt.objects.get()
    response = api.get(f"{URL}{receipt.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF-")
    text = _pdf_text(content)
    assert receipt.number in text and "PHIẾU THU" in text.upper()
    assert "Một triệu đồng" in text


def test_void_with_a_reason_voids_the_payment_and_reverses_its_entry(api, treasurer, campaign):
    pledges_paid(campaign, 1, paid=1_000_000)
    receipt = Receipt.objects.get()
    refused = api.post(f"{URL}{receipt.pk}/void/", {"reason": "   "}, format="json")
    assert refused.status_code == 400
    entries = JournalEntry.objects.count()
    response = api.post(f"{URL}{receipt.pk}/void/", {"reason": "Ghi nhầm số tiền"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["void_reason"], body["voided_by"], body["number"]) == (
        "voided", "Ghi nhầm số tiền", "thuquy", receipt.number
    )
    payment = Payment.objects.get()
    assert payment.is_voided and JournalEntry.objects.count() == entries + 1
    reversal = JournalEntry.objects.latest("pk")
    assert (reversal.reverses_id, body["void_entry"]) == (payment.journal_entry_id, reversal.pk)
    # Voided before, and no key of that void: a 409 in the one format, never a second reversal.
    again = api.post(f"{URL}{receipt.pk}/void/", {"reason": "Lần nữa"}, format="json")
    assert (again.status_code, again.json()) == (409, {
        "code": "already_voided", "message": f"Phiếu thu {receipt.number} đã bị hủy trước đó.", "errors": {},
    })
    assert JournalEntry.objects.count() == entries + 1
    # The voided receipt stays in the register, with its number, and its PDF is stamped.
    assert api.get(URL, {"state": "voided"}).json()["results"][0]["number"] == receipt.number
    pdf = api.get(f"{URL}{receipt.pk}/pdf/")
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert "ĐÃ HỦY" in _pdf_text(content).upper()


def test_a_repeated_void_key_answers_the_voided_receipt_and_writes_nothing(api, campaign):
    pledges_paid(campaign, 2, paid=1_000_000)
    receipt, other = Receipt.objects.order_by("pk")
    first = api.post(f"{URL}{receipt.pk}/void/", {"reason": "Ghi nhầm"}, format="json", HTTP_IDEMPOTENCY_KEY="huy-1")
    assert first.status_code == 200, first.json()
    entries, events = JournalEntry.objects.count(), AuditEvent.objects.count()
    deliveries = ReceiptDelivery.objects.count()

    repeat = api.post(f"{URL}{receipt.pk}/void/", {"reason": "Ghi nhầm"}, format="json", HTTP_IDEMPOTENCY_KEY="huy-1")
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    # The same key with another reason, or for another receipt: a 422 that reveals nothing.
    for url, reason in ((f"{URL}{receipt.pk}/void/", "Lý do khác"), (f"{URL}{other.pk}/void/", "Ghi nhầm")):
        refused = api.post(url, {"reason": reason}, format="json", HTTP_IDEMPOTENCY_KEY="huy-1")
        assert refused.status_code == 422
        assert refused.json() == {
            "code": "idempotency_key_reused", "message": "Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác.",
            "errors": {"idempotency_key": ["Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."]},
        }
    assert (JournalEntry.objects.count(), AuditEvent.objects.count(), ReceiptDelivery.objects.count()) == (
        entries, events, deliveries
    )
    assert list(Receipt.objects.order_by("pk").values_list("state", flat=True)) == ["voided", "issued"]
    assert Payment.objects.filter(voided_at__isnull=False).count() == 1


def test_only_a_treasurer_of_the_unit_voids(auditor, stranger, campaign):
    pledges_paid(campaign, 1)
    receipt = Receipt.objects.get()
    assert client_for(auditor).post(f"{URL}{receipt.pk}/void/", {"reason": "x"}, format="json").status_code == 403
    assert client_for(stranger).post(f"{URL}{receipt.pk}/void/", {"reason": "x"}, format="json").status_code == 404
    assert client_for().post(f"{URL}{receipt.pk}/void/", {"reason": "x"}, format="json").status_code in (401, 403)
    receipt.refresh_from_db()
    assert receipt.state == "issued" and not Payment.objects.get().is_voided


def test_anonymous_reads_no_receipt(campaign):
    pledges_paid(campaign, 1)
    receipt = Receipt.objects.get()
    assert client_for().get(URL).status_code in (401, 403)
    assert client_for().get(f"{URL}{receipt.pk}/pdf/").status_code in (401, 403)


# Memberships and the page (unit and voider joined); a cursor page has no count.
def test_the_register_runs_the_same_queries_for_5_and_50_receipts(api, treasurer, campaign, django_assert_num_queries):
    pledges_paid(campaign, 5, paid=100_000)
    with django_assert_num_queries(2):
        small = api.get(URL, {"limit": 100})
    pledges_paid(campaign, 45, start=5, paid=100_000)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(2):
        large = api.get(URL, {"limit": 100})
    assert (len(small.json()["results"]), len(large.json()["results"])) == (5, 50)


def test_a_payments_receipt_is_found_by_the_payment_id(api, campaign):
    # The worked session of docs/api.md: record a payment, find its receipt, download the PDF.
    pledges_paid(campaign, 2, paid=500_000)
    payment = Payment.objects.order_by("pk").last()
    [row] = api.get(URL, {"payment": payment.pk}).json()["results"]
    assert row["id"] == payment.receipt.pk and row["payment"] == payment.pk
    assert api.get(f"{URL}{row['id']}/pdf/").content[:5] == b"%PDF-"

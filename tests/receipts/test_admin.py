"""The receipts admin: the register (fixed query count), the PDF, re-send, void, jobs that need a look."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.services import receipt_void
from fundmgr.audit.models import AuditEvent
from receipts.models import Receipt, ReceiptDelivery
from receipts.services import receipt_render

from .conftest import record_payment

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/receipts/receipt/"
DELIVERIES = "/admin/receipts/receiptdelivery/"


def receipts_of(province, fund, donor, count):
    return [record_payment(donor=donor, fund=fund, unit=province)[1] for _ in range(count)]


@pytest.mark.parametrize("count", [3, 30])
def test_the_register_runs_a_fixed_number_of_queries(client, province, fund, donor, treasurer, count, django_assert_num_queries):
    receipts = receipts_of(province, fund, donor, count)
    receipt_render(receipt_id=receipts[0].pk)
    receipt_void(receipt=receipts[-1], reason="Ghi trùng", voided_by=treasurer)
    client.force_login(treasurer)
    # session, user, the user's memberships (scope), units for the unit filter, the paginator's
    # count and the full count, the user's model permissions and group permissions (the admin's
    # navigation, for the other apps' admins), the page of receipts with unit, voiding user and
    # both job states, the date hierarchy's bounds and its days, the years for the year filter.
    with django_assert_num_queries(12):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    for receipt in receipts:
        assert receipt.number in page
    assert "Đã hủy" in page and "Ghi trùng" in page
    assert reverse("admin:receipts_receipt_pdf", args=[receipts[0].pk]) in page  # the download link


def test_filters_by_unit_year_and_state(client, province, commune, fund, donor, treasurer, today):
    province_receipt = record_payment(donor=donor, fund=fund, unit=province)[1]
    commune_receipt = record_payment(donor=donor, fund=fund, unit=commune)[1]
    receipt_void(receipt=commune_receipt, reason="Sai đơn vị", voided_by=treasurer)
    client.force_login(treasurer)
    for query, expected in (
        (f"?unit__id__exact={commune.pk}", [commune_receipt]),
        ("?state__exact=voided", [commune_receipt]),
        ("?state__exact=issued", [province_receipt]),
        (f"?year={today.year}", [province_receipt, commune_receipt]),
        (f"?year={today.year - 1}", []),
    ):
        response = client.get(CHANGELIST + query)
        assert response.status_code == 200, query
        assert {receipt.pk for receipt in response.context["cl"].result_list} == {r.pk for r in expected}, query


def test_an_auditor_sees_every_void_below_their_unit_and_cannot_act(client, province, commune, fund, donor, treasurer, auditor):
    voided = record_payment(donor=donor, fund=fund, unit=commune)[1]
    receipt_void(receipt=voided, reason="Nhập nhầm nhà hảo tâm", voided_by=treasurer)
    client.force_login(auditor)
    response = client.get(CHANGELIST + "?state__exact=voided")
    assert [receipt.pk for receipt in response.context["cl"].result_list] == [voided.pk]
    assert "Nhập nhầm nhà hảo tâm" in response.content.decode()
    assert response.context["action_form"] is None  # no re-send, no void, no delete
    assert client.get(reverse("admin:receipts_receipt_void", args=[voided.pk])).status_code == 403


def test_the_pdf_downloads_for_its_scope_only(client, province, commune, fund, donor, treasurer, commune_treasurer):
    receipt = record_payment(donor=donor, fund=fund, unit=province)[1]
    url = reverse("admin:receipts_receipt_pdf", args=[receipt.pk])
    client.force_login(treasurer)
    assert client.get(url).status_code == 404  # not rendered yet
    receipt_render(receipt_id=receipt.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{Receipt.objects.get(pk=receipt.pk).number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == Path(Receipt.objects.get(pk=receipt.pk).pdf.path).read_bytes()
    client.force_login(commune_treasurer)  # the province's receipt is outside the commune's scope
    assert client.get(url).status_code == 404


def test_nobody_adds_changes_or_deletes_a_receipt(client, province, fund, donor, django_user_model):
    receipt = record_payment(donor=donor, fund=fund, unit=province)[1]
    admin_user = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(admin_user)
    assert client.get(CHANGELIST + "add/").status_code == 403
    assert client.get(f"{CHANGELIST}{receipt.pk}/delete/").status_code == 403
    response = client.post(f"{CHANGELIST}{receipt.pk}/change/", {"payer_name": "Người khác"})
    assert response.status_code == 403
    page = client.get(f"{CHANGELIST}{receipt.pk}/change/")
    assert page.status_code == 200 and "Hủy phiếu thu" in page.content.decode()
    actions = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert set(actions) == {"", "resend_email", "void_receipts"}  # no delete_selected
    assert Receipt.objects.get(pk=receipt.pk).payer_name == "Nguyễn Thị Hồng Nhung"


def test_resend_puts_the_email_back_to_pending_and_queues_it(
    client, province, fund, donor, treasurer, queued, django_capture_on_commit_callbacks
):
    receipt = record_payment(donor=donor, fund=fund, unit=province)[1]
    ReceiptDelivery.objects.filter(receipt=receipt).update(status="done")
    client.force_login(treasurer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "resend_email", "_selected_action": [receipt.pk]})
    assert response.status_code == 302
    assert ReceiptDelivery.objects.get(receipt=receipt, channel="email").status == "pending"
    assert ReceiptDelivery.objects.get(receipt=receipt, channel="pdf").status == "done"
    assert queued == [("receipt_email_task", (receipt.pk,))]
    event = AuditEvent.objects.get(model_label="receipts.receiptdelivery")
    assert (event.action, event.actor, event.before, event.after) == (
        "transition", treasurer, {"status": "done"}, {"status": "pending", "resend": True}
    )


def test_the_void_action_asks_for_a_reason_then_voids(client, province, fund, donor, treasurer):
    receipts = receipts_of(province, fund, donor, 2)
    selection = {"action": "void_receipts", "_selected_action": [receipt.pk for receipt in receipts]}
    client.force_login(treasurer)

    form_page = client.post(CHANGELIST, selection)
    assert form_page.status_code == 200 and "Lý do hủy" in form_page.content.decode()
    refused = client.post(CHANGELIST, {**selection, "apply": "1", "reason": "   "})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert set(Receipt.objects.values_list("state", flat=True)) == {"issued"}

    done = client.post(CHANGELIST, {**selection, "apply": "1", "reason": "Nhập trùng hai lần"})
    assert done.status_code == 302
    assert list(Receipt.objects.order_by("sequence").values_list("state", "void_reason", "voided_by")) == [
        ("voided", "Nhập trùng hai lần", treasurer.pk), ("voided", "Nhập trùng hai lần", treasurer.pk),
    ]
    assert AuditEvent.objects.filter(model_label="receipts.receipt", action="transition").count() == 2


def test_voiding_one_receipt_from_its_page(client, province, commune, fund, donor, treasurer, commune_treasurer):
    receipt = record_payment(donor=donor, fund=fund, unit=province)[1]
    url = reverse("admin:receipts_receipt_void", args=[receipt.pk])
    client.force_login(commune_treasurer)
    assert client.get(url).status_code == 404  # outside the commune's scope
    client.force_login(treasurer)
    assert client.get(url).status_code == 200
    response = client.post(url, {"apply": "1", "reason": "Khoản thu của đơn vị khác"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:receipts_receipt_change", args=[receipt.pk])
    assert Receipt.objects.get(pk=receipt.pk).void_reason == "Khoản thu của đơn vị khác"
    # The receipt's page no longer offers it.
    assert "Hủy phiếu thu" not in client.get(reverse("admin:receipts_receipt_change", args=[receipt.pk])).content.decode()


def test_jobs_that_failed_or_hang_are_listed_and_can_be_retried(
    client, province, fund, donor, treasurer, queued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    failed, stuck, fine = receipts_of(province, fund, donor, 3)
    ReceiptDelivery.objects.filter(receipt=failed, channel="email").update(status="failed", last_error="SMTPException: 554")
    ReceiptDelivery.objects.filter(receipt=stuck, channel="pdf").update(
        status="running", updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    ReceiptDelivery.objects.filter(receipt=fine).update(status="done")
    client.force_login(treasurer)
    # session, user, memberships, paginator count, full count, model and group permissions, the page
    with django_assert_num_queries(8):
        response = client.get(DELIVERIES + "?problem=any")
    rows = {(delivery.receipt_id, delivery.channel) for delivery in response.context["cl"].result_list}
    assert rows == {(failed.pk, "email"), (stuck.pk, "pdf")}
    assert "SMTPException: 554" in response.content.decode()

    # The two listed, and the fine receipt's finished jobs, which are left alone.
    selected = [delivery.pk for delivery in response.context["cl"].result_list]
    selected += list(ReceiptDelivery.objects.filter(receipt=fine).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(DELIVERIES, {"action": "retry", "_selected_action": selected})
    assert sorted(queued) == [("receipt_email_task", (failed.pk,)), ("receipt_render_task", (stuck.pk,))]
    assert ReceiptDelivery.objects.get(receipt=failed, channel="email").status == "pending"
    assert set(ReceiptDelivery.objects.filter(receipt=fine).values_list("status", flat=True)) == {"done"}

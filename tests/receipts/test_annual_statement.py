"""The donor's annual statement: one e-mail per donor and year listing their receipts, sent once."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from donations.services import receipt_void
from fundmgr.audit.models import AuditEvent
from receipts import tasks
from receipts.models import DonorAnnualStatement
from receipts.services import annual_statements_request, donor_annual_statement_send

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def test_one_email_lists_the_receipts_of_the_year_and_is_sent_once(
    province, commune, fund, donor, treasurer, today, last_year_day
):
    _payment, first = record_payment(donor=donor, fund=fund, unit=province, amount=1_500_000)
    _payment, second = record_payment(donor=donor, fund=fund, unit=commune, amount=2_000_000)
    _payment, voided = record_payment(donor=donor, fund=fund, unit=province, amount=700_000)
    _payment, last_year = record_payment(donor=donor, fund=fund, unit=province, amount=9_000_000, received_on=last_year_day)
    receipt_void(receipt=voided, reason="Ghi trùng", voided_by=treasurer)

    assert donor_annual_statement_send(donor_id=donor.pk, year=today.year) is True
    tasks.donor_annual_statement_task(donor.pk, today.year)  # a second run sends nothing
    assert donor_annual_statement_send(donor_id=donor.pk, year=today.year) is False

    [message] = mail.outbox
    assert message.to == ["nhung@example.vn"]
    assert message.subject == f"Bảng kê phiếu thu năm {today.year} – Nguyễn Thị Hồng Nhung"
    assert message.extra_headers["Message-ID"] == f"<statement.{donor.pk}.{today.year}@khuyenhoc.local>"
    body = message.body
    for receipt in (first, second, voided):
        assert receipt.number in body
    assert last_year.number not in body
    assert "(đã hủy: Ghi trùng)" in body
    assert "Số phiếu thu còn hiệu lực: 2" in body
    assert "Tổng cộng: 3.500.000\u00a0₫ (Ba triệu năm trăm nghìn đồng chẵn)" in body
    statement = DonorAnnualStatement.objects.get()
    assert (statement.status, statement.attempts, statement.receipt_count, statement.total_amount, statement.recipient) == (
        "done", 1, 2, 3_500_000, "nhung@example.vn"
    )


def test_a_donor_without_an_address_or_without_receipts_is_skipped(province, fund, donor, donor_without_email, today):
    record_payment(donor=donor_without_email, fund=fund, unit=province)
    assert donor_annual_statement_send(donor_id=donor_without_email.pk, year=today.year) is False
    assert donor_annual_statement_send(donor_id=donor.pk, year=today.year) is False
    assert mail.outbox == []
    assert dict(DonorAnnualStatement.objects.values_list("donor__name", "last_error")) == {
        "Lê Văn Tám": "Nhà hảo tâm không có địa chỉ e-mail.",
        "Nguyễn Thị Hồng Nhung": "Không có phiếu thu nào trong năm.",
    }
    assert set(DonorAnnualStatement.objects.values_list("status", flat=True)) == {"skipped"}


# --- a treasurer asks for them ------------------------------------------------------------------

def test_a_treasurer_makes_and_sends_the_statements_of_a_year(
    province, fund, donor, donor_without_email, treasurer, today, django_capture_on_commit_callbacks
):
    record_payment(donor=donor, fund=fund, unit=province, amount=1_500_000)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = annual_statements_request(donors=[donor, donor_without_email], year=today.year, by=treasurer)

    assert result.queued == [donor.name]
    assert result.skipped == {"no_email": [donor_without_email.name]}
    [message] = mail.outbox
    assert message.subject == f"Bảng kê phiếu thu năm {today.year} – {donor.name}"
    assert AuditEvent.objects.filter(model_label="receipts.donorannualstatement", action="create", actor=treasurer).count() == 1

    # Asked again: the year's statement was sent; it is not sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = annual_statements_request(donors=[donor], year=today.year, by=treasurer)
    assert again.queued == [] and again.skipped == {"already_sent": [donor.name]}
    assert len(mail.outbox) == 1


def test_a_statement_skipped_for_want_of_receipts_is_made_when_asked_later(
    province, fund, donor, treasurer, today, django_capture_on_commit_callbacks
):
    assert donor_annual_statement_send(donor_id=donor.pk, year=today.year) is False  # nothing to list yet
    record_payment(donor=donor, fund=fund, unit=province, amount=2_000_000)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = annual_statements_request(donors=[donor], year=today.year, by=treasurer)
    assert result.queued == [donor.name]
    assert "Tổng cộng: 2.000.000\u00a0₫" in mail.outbox[0].body


@pytest.mark.parametrize("year", [1999, "next"])
def test_a_year_outside_the_books_is_refused(donor, treasurer, today, year):
    year = today.year + 1 if year == "next" else year
    with pytest.raises(ValidationError) as raised:
        annual_statements_request(donors=[donor], year=year, by=treasurer)
    assert raised.value.message_dict == {"year": [f"Năm phải từ 2000 đến {today.year}."]}
    assert not DonorAnnualStatement.objects.exists()


def test_only_a_treasurer_of_the_donors_unit_may_ask(donor, commune_treasurer, auditor, today):
    for user in (commune_treasurer, auditor):  # a unit below the donor's, and a reader
        with pytest.raises(PermissionDenied):
            annual_statements_request(donors=[donor], year=today.year, by=user)
    assert not DonorAnnualStatement.objects.exists()


def test_the_donor_admin_action_asks_for_the_year_then_sends(
    client, province, fund, donor, treasurer, today, django_capture_on_commit_callbacks
):
    record_payment(donor=donor, fund=fund, unit=province, amount=1_500_000)
    client.force_login(treasurer)
    form = client.post("/admin/donations/donor/", {"action": "annual_statement_action", "_selected_action": [donor.pk]})
    assert form.status_code == 200 and f'value="{today.year - 1}"' in form.content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/admin/donations/donor/", {
            "action": "annual_statement_action", "_selected_action": [donor.pk], "apply": "1", "year": str(today.year),
        }, follow=True)

    assert f"Đang gửi bảng kê năm {today.year} cho 1 nhà hảo tâm." in done.content.decode()
    assert [message.to for message in mail.outbox] == [["nhung@example.vn"]]

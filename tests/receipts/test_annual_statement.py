"""The donor's annual statement: one e-mail per donor and year listing their receipts, sent once."""

import pytest
from django.core import mail

from donations.services import receipt_void
from receipts import tasks
from receipts.models import DonorAnnualStatement
from receipts.services import donor_annual_statement_send

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

"""What a void does to a receipt's deliveries: the stored PDF is rendered again with the "ĐÃ HỦY"
stamp, the reason and the date; the donor gets one void notice; the receipt's own e-mail is never
sent once the receipt is voided, also when the void comes between the job's claim and its send.

A worked example: Nhung's 1.500.000 ₫ was recorded twice; her receipt was rendered and e-mailed.
The treasurer voids the second receipt: the PDF she can download, and the one attached to the
notice she receives, say it is void, why, and since when.
"""

import io
import subprocess
from pathlib import Path

import pypdf
import pytest
from django.core import mail
from django.utils import timezone

from donations.services import receipt_void
from receipts import services, tasks
from receipts.models import Receipt, ReceiptDelivery
from receipts.services import deliveries_requeue_stale, receipt_email, receipt_render
from tests.conftest import require_executable

from .conftest import record_payment

pytestmark = pytest.mark.django_db

REASON = "Ghi trùng giao dịch FT26329001"


def statuses(receipt) -> dict[str, str]:
    return dict(ReceiptDelivery.objects.filter(receipt=receipt).values_list("channel", "status"))


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def delivered(province, fund, donor, treasurer, django_capture_on_commit_callbacks):
    """A receipt whose PDF was rendered and e-mailed (eager, after commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
    assert statuses(receipt) == {"pdf": "done", "email": "done"}
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    return Receipt.objects.get(pk=receipt.pk)


def test_voiding_renders_the_stored_pdf_again_with_the_stamp_reason_and_date(
    delivered, treasurer, django_capture_on_commit_callbacks, artifacts_dir
):
    path = Path(delivered.pdf.path)
    original = path.read_bytes()
    assert "ĐÃ HỦY" not in pdf_text(original)

    with django_capture_on_commit_callbacks(execute=True):
        voided = receipt_void(receipt=delivered, reason=REASON, voided_by=treasurer)

    voided = Receipt.objects.get(pk=voided.pk)
    assert voided.number == delivered.number and voided.pdf.name == delivered.pdf.name  # same number, same file
    after = path.read_bytes()
    assert after != original
    text = pdf_text(after)
    voided_on = timezone.localtime(voided.voided_at).strftime("%d/%m/%Y")
    assert "ĐÃ HỦY" in text
    assert REASON in text
    assert voided_on in text
    assert f"PHIẾU THU ĐÃ HỦY {voided_on} – Lý do: {REASON}" in text
    assert statuses(voided) == {"pdf": "done", "email": "done", "void_notice": "done"}
    # For a person to look at: the PDF and page 1 as a PNG.
    (artifacts_dir / "receipt-voided-stored.pdf").write_bytes(after)
    subprocess.run(
        [require_executable("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
         str(artifacts_dir / "receipt-voided-stored.pdf"), str(artifacts_dir / "receipt-voided-stored")],
        check=True,
    )


def test_the_donor_gets_one_void_notice_with_the_voided_pdf_even_if_the_job_runs_twice(
    delivered, donor, treasurer, queued
):
    voided = receipt_void(receipt=delivered, reason=REASON, voided_by=treasurer)
    # Nothing is sent inside the void's transaction; the jobs wait for the commit.
    assert mail.outbox == []

    tasks.receipt_void_notice_task(voided.pk)
    tasks.receipt_void_notice_task(voided.pk)
    services.receipt_void_notice(receipt_id=voided.pk)

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [donor.email]
    assert notice.subject == f"Thông báo hủy phiếu thu {voided.number} – {voided.unit_name}"
    voided_on = timezone.localtime(Receipt.objects.get(pk=voided.pk).voided_at).strftime("%d/%m/%Y")
    assert f"phiếu thu số {voided.number}" in notice.body and f"đã bị HỦY ngày {voided_on}" in notice.body
    assert f"Lý do hủy: {REASON}" in notice.body
    assert notice.extra_headers["X-Receipt-Void-Notice"] == voided.number
    [(name, content, mimetype)] = notice.attachments
    assert (name, mimetype) == (f"{voided.number}-da-huy.pdf", "application/pdf")
    assert "ĐÃ HỦY" in pdf_text(content) and REASON in pdf_text(content)
    row = ReceiptDelivery.objects.get(receipt=voided, channel="void_notice")
    assert (row.status, row.attempts, row.recipient) == ("done", 1, donor.email)
    # The beat finds nothing left to do.
    assert deliveries_requeue_stale(older_than=timezone.timedelta(0)) == 0


def test_the_notice_goes_to_the_address_the_donor_record_holds_and_is_skipped_without_one(
    province, fund, donor, donor_without_email, treasurer, queued
):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    _payment, no_address = record_payment(donor=donor_without_email, fund=fund, unit=province)
    # The donor's address changed after the receipt was issued: the notice goes to the new one.
    type(donor).objects.filter(pk=donor.pk).update(email="nhung.moi@example.vn")
    for item in (receipt, no_address):
        receipt_void(receipt=item, reason=REASON, voided_by=treasurer)
        services.receipt_void_notice(receipt_id=item.pk)
    assert [message.to for message in mail.outbox] == [["nhung.moi@example.vn"]]
    row = ReceiptDelivery.objects.get(receipt=no_address, channel="void_notice")
    assert (row.status, row.last_error) == ("skipped", "Nhà hảo tâm không có địa chỉ e-mail.")


def test_voiding_before_the_receipt_email_job_runs_means_no_receipt_email(
    province, fund, donor, treasurer, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    assert queued == [("receipt_render_task", (receipt.pk,))]
    tasks.receipt_render_task(receipt.pk)  # the PDF is done; the e-mail job is queued, not yet run
    assert queued[-1] == ("receipt_email_task", (receipt.pk,))

    with django_capture_on_commit_callbacks(execute=True):
        receipt_void(receipt=receipt, reason=REASON, voided_by=treasurer)
    assert queued[-2:] == [("receipt_render_task", (receipt.pk,)), ("receipt_void_notice_task", (receipt.pk,))]
    tasks.receipt_email_task(receipt.pk)  # the queued e-mail job runs now
    tasks.receipt_render_task(receipt.pk)
    tasks.receipt_email_task(receipt.pk)

    assert mail.outbox == []
    email = ReceiptDelivery.objects.get(receipt=receipt, channel="email")
    assert (email.status, email.attempts, email.recipient) == ("skipped", 0, "")
    tasks.receipt_void_notice_task(receipt.pk)
    assert [message.extra_headers.get("X-Receipt-Void-Notice") for message in mail.outbox] == [receipt.number]


def test_a_void_between_the_email_claim_and_the_send_stops_the_receipt_email(
    province, fund, donor, treasurer, monkeypatch, queued
):
    """The e-mail job checked the receipt (issued) and claimed its row; the treasurer voids it
    before the message goes out: the message is not sent."""
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    receipt_render(receipt_id=receipt.pk)
    build = services._receipt_message

    def void_then_build(receipt_object, recipient):
        receipt_void(receipt=receipt_object, reason=REASON, voided_by=treasurer)
        return build(receipt_object, recipient)

    monkeypatch.setattr(services, "_receipt_message", void_then_build)
    assert receipt_email(receipt_id=receipt.pk) is False

    assert mail.outbox == []
    email = ReceiptDelivery.objects.get(receipt=receipt, channel="email")
    assert (email.status, email.claimed_at, email.last_error) == ("skipped", None, "Phiếu thu đã hủy: không gửi.")


def test_a_render_that_raced_the_void_stores_the_stamped_pdf(province, fund, donor, treasurer, monkeypatch, queued):
    """The render job drew the PDF of the issued receipt; the void commits before it stores it:
    what is stored is the voided one."""
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    draw = services.receipt_pdf_render
    calls = []

    def draw_then_void(document, **options):
        content = draw(document, **options)
        if not calls:
            receipt_void(receipt=receipt, reason=REASON, voided_by=treasurer)
        calls.append(document.voided)
        return content

    monkeypatch.setattr(services, "receipt_pdf_render", draw_then_void)
    assert receipt_render(receipt_id=receipt.pk) is True

    assert calls == [False, True]
    stored = Receipt.objects.get(pk=receipt.pk)
    assert "ĐÃ HỦY" in pdf_text(Path(stored.pdf.path).read_bytes())
    assert ReceiptDelivery.objects.get(receipt=receipt, channel="pdf").status == "done"

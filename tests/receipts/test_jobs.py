"""The render and e-mail jobs: idempotent, bounded retries, failed when exhausted, re-enqueued when stale.

Task bodies are called directly (or with `.apply()`, Celery's in-process run); what is queued
after commit is checked with `django_capture_on_commit_callbacks`. The real worker and broker
are in tests/faults/.
"""

import datetime
import logging
import smtplib
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from donations.services import receipt_void
from fundmgr.celery import app as celery_app
from fundmgr.core import outbox
from receipts import services, tasks
from receipts.models import Receipt, ReceiptDelivery
from receipts.services import (
    deliveries_requeue_stale,
    receipt_email,
    receipt_render,
)
from tests.conftest import free_port

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def pdf_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "receipts"
    return sorted(root.rglob("*.pdf")) if root.exists() else []


def delivery(receipt, channel) -> ReceiptDelivery:
    return ReceiptDelivery.objects.get(receipt=receipt, channel=channel)


@pytest.fixture
def receipt(province, fund, donor, treasurer):
    return record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)[1]


# --- idempotency ---------------------------------------------------------------------------------
def test_running_the_render_and_email_task_bodies_twice_writes_one_pdf_and_sends_one_email(receipt, queued):
    tasks.receipt_render_task(receipt.pk)
    tasks.receipt_render_task(receipt.pk)
    tasks.receipt_email_task(receipt.pk)
    tasks.receipt_email_task(receipt.pk)

    assert len(pdf_files()) == 1
    assert len(mail.outbox) == 1
    # Only the run that rendered the PDF queued the e-mail.
    assert queued == [("receipt_email_task", (receipt.pk,))]
    pdf, email = delivery(receipt, "pdf"), delivery(receipt, "email")
    assert (pdf.status, pdf.attempts, pdf.last_error) == ("done", 1, "")
    assert (email.status, email.attempts, email.recipient) == ("done", 1, "nhung@example.vn")
    assert pdf.done_at is not None and email.done_at is not None


def test_the_email_carries_the_pdf_and_a_fixed_message_id(receipt):
    assert receipt_email(receipt_id=receipt.pk) is True  # renders the PDF first when it is missing
    message = mail.outbox[0]
    receipt.refresh_from_db()
    assert message.to == ["nhung@example.vn"]
    assert message.subject == f"Phiếu thu {receipt.number} – Hội Khuyến học tỉnh Thanh Hóa"
    assert message.extra_headers["Message-ID"] == f"<receipt.{receipt.pk}.{receipt.verification_code}@khuyenhoc.local>"
    assert message.extra_headers["X-Receipt-Number"] == receipt.number
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{receipt.number}.pdf", "application/pdf")
    assert content == Path(receipt.pdf.path).read_bytes()
    assert "Kính gửi Nguyễn Thị Hồng Nhung," in message.body
    assert "1.500.000\u00a0₫ (Một triệu năm trăm nghìn đồng chẵn)" in message.body
    assert receipt.verification_code_display in message.body


def test_an_email_being_sent_by_another_run_is_not_sent_again(receipt):
    receipt_render(receipt_id=receipt.pk)
    ReceiptDelivery.objects.filter(receipt=receipt, channel="email").update(
        status="running", claimed_at=timezone.now()
    )
    assert receipt_email(receipt_id=receipt.pk) is False
    assert mail.outbox == []


def test_a_lost_claim_is_not_sent(receipt, monkeypatch):
    """The requeue job took a stale claim away (and another run claimed it): the old run must not send."""
    receipt_render(receipt_id=receipt.pk)
    original = services._receipt_message

    def message_then_lose_the_claim(receipt_object, recipient):
        ReceiptDelivery.objects.filter(receipt=receipt_object, channel="email").update(
            claimed_at=timezone.now() + datetime.timedelta(seconds=1)
        )
        return original(receipt_object, recipient)

    monkeypatch.setattr(services, "_receipt_message", message_then_lose_the_claim)
    assert receipt_email(receipt_id=receipt.pk) is False
    assert mail.outbox == []


def test_the_whole_chain_runs_after_commit(province, fund, donor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    # Eager mode (the embedded demo): render, then e-mail, in the caller.
    assert len(pdf_files()) == 1 and len(mail.outbox) == 1
    assert set(receipt.deliveries.values_list("status", flat=True)) == {"done"}


def test_no_email_address_or_a_voided_receipt_is_skipped(province, fund, donor, donor_without_email, treasurer):
    _payment, without_address = record_payment(donor=donor_without_email, fund=fund, unit=province)
    _payment, voided = record_payment(donor=donor, fund=fund, unit=province)
    receipt_void(receipt=voided, reason="Ghi trùng", voided_by=treasurer)
    for receipt_object in (without_address, voided):
        assert receipt_email(receipt_id=receipt_object.pk) is False
    assert mail.outbox == []
    assert (delivery(without_address, "email").status, delivery(without_address, "email").last_error) == (
        "skipped", "Nhà hảo tâm không có địa chỉ e-mail."
    )
    assert (delivery(voided, "email").status, delivery(voided, "email").last_error) == (
        "skipped", "Phiếu thu đã hủy: không gửi."
    )
    assert delivery(without_address, "pdf").status == "done"  # the PDF is made all the same


# --- failures and retries ------------------------------------------------------------------------
class BrokenSMTP:
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        type(self).calls += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def open(self):
        pass

    def close(self):
        pass


def test_a_failed_send_records_the_attempt_and_goes_back_to_pending(receipt, monkeypatch):
    receipt_render(receipt_id=receipt.pk)
    monkeypatch.setattr("django.core.mail.get_connection", lambda *args, **kwargs: BrokenSMTP())
    with pytest.raises(smtplib.SMTPServerDisconnected):
        receipt_email(receipt_id=receipt.pk)
    email = delivery(receipt, "email")
    assert (email.status, email.attempts, email.claimed_at) == ("pending", 1, None)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_a_message_that_cannot_be_built_gives_the_claim_back(receipt, monkeypatch):
    receipt_render(receipt_id=receipt.pk)

    def broken(receipt, recipient):
        raise OSError("PDF unreadable")

    monkeypatch.setattr(services, "_receipt_message", broken)
    with pytest.raises(OSError):
        receipt_email(receipt_id=receipt.pk)
    email = delivery(receipt, "email")
    # Pending again, so the task's retry sends it (a row left running would make the retry a no-op).
    assert (email.status, email.attempts, email.claimed_at, email.last_error) == ("pending", 1, None, "OSError: PDF unreadable")
    monkeypatch.undo()
    assert receipt_email(receipt_id=receipt.pk) is True
    assert len(mail.outbox) == 1


@pytest.fixture
def eager_failures_stay_in_the_result(celery_setting):
    # Celery runs an eager task's retries by applying it again; with propagation on, the first
    # retry's exception would escape instead of being retried.
    celery_setting("task_eager_propagates", False)


@pytest.mark.usefixtures("eager_failures_stay_in_the_result")
def test_when_retries_are_exhausted_the_delivery_is_marked_failed(receipt, monkeypatch):
    receipt_render(receipt_id=receipt.pk)
    BrokenSMTP.calls = 0
    monkeypatch.setattr("django.core.mail.get_connection", lambda *args, **kwargs: BrokenSMTP())
    result = tasks.receipt_email_task.apply(args=[receipt.pk], throw=False)
    assert result.failed()
    assert BrokenSMTP.calls == tasks.MAX_RETRIES + 1  # the first try and its bounded retries
    email = delivery(receipt, "email")
    assert (email.status, email.attempts) == ("failed", tasks.MAX_RETRIES + 1)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # A stray late message does not send a failed e-mail; only a person's retry does.
    monkeypatch.undo()
    assert receipt_email(receipt_id=receipt.pk) is False and mail.outbox == []


def test_the_retry_policy_is_bounded_with_back_off():
    for task in (tasks.receipt_render_task, tasks.receipt_email_task, tasks.donor_annual_statement_task):
        assert (task.max_retries, task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (
            tasks.MAX_RETRIES, 10, 600, True
        )
        assert task.acks_late is True and task.reject_on_worker_lost is True
        assert task.autoretry_for == (Exception,)


@pytest.mark.usefixtures("eager_failures_stay_in_the_result")
def test_a_render_that_fails_is_retried_then_marked_failed(receipt, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "receipt_pdf_render", broken)
    result = tasks.receipt_render_task.apply(args=[receipt.pk], throw=False)
    assert result.failed()
    pdf = delivery(receipt, "pdf")
    assert (pdf.status, pdf.attempts, pdf.last_error) == ("failed", tasks.MAX_RETRIES + 1, "OSError: No space left on device")
    assert pdf_files() == []


# --- stale jobs ---------------------------------------------------------------------------------
def age(receipt, channel, *, minutes, **fields):
    ReceiptDelivery.objects.filter(receipt=receipt, channel=channel).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=minutes), **fields
    )


def test_stale_pending_and_running_jobs_are_enqueued_again(
    province, fund, donor, queued, django_capture_on_commit_callbacks
):
    receipts = [record_payment(donor=donor, fund=fund, unit=province)[1] for _ in range(4)]
    fresh, stale_pending, stale_running, done = receipts
    age(stale_pending, "pdf", minutes=11)
    age(stale_running, "pdf", minutes=1, status="done")
    age(stale_running, "email", minutes=11, status="running", claimed_at=timezone.now() - datetime.timedelta(minutes=11))
    age(done, "pdf", minutes=30, status="done")
    age(done, "email", minutes=30, status="done")
    del queued[:]

    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_requeue_stale(older_than=datetime.timedelta(minutes=10)) == 2

    assert sorted(queued) == sorted([
        ("receipt_render_task", (stale_pending.pk,)), ("receipt_email_task", (stale_running.pk,)),
    ])
    interrupted = delivery(stale_running, "email")
    assert (interrupted.status, interrupted.claimed_at) == ("pending", None)
    assert interrupted.last_error.startswith("Bị gián đoạn")
    # Touched: not enqueued again before another `older_than` has passed.
    del queued[:]
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_requeue_stale(older_than=datetime.timedelta(minutes=10)) == 0
    assert queued == []
    assert delivery(fresh, "pdf").status == "pending"


def test_the_requeue_task_defaults_to_ten_minutes(receipt, queued, django_capture_on_commit_callbacks):
    age(receipt, "pdf", minutes=9)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.receipt_deliveries_requeue_task() == 0
        age(receipt, "pdf", minutes=11)
        assert tasks.receipt_deliveries_requeue_task() == 1
        assert tasks.receipt_deliveries_requeue_task(older_than_seconds=1) == 0  # just touched
    assert queued[-1] == ("receipt_render_task", (receipt.pk,))


def test_the_requeue_job_is_on_the_beat_schedule_every_five_minutes():
    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    migration = __import__("receipts.migrations.0003_requeue_schedule", fromlist=["create_schedule"])
    migration.create_schedule(apps, None)  # as the migration does (transactional tests empty the table)
    migration.create_schedule(apps, None)  # and again: it does not duplicate
    schedule = PeriodicTask.objects.get(task="receipts.tasks.receipt_deliveries_requeue_task")
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (5, "minutes", True)
    assert schedule.task in celery_app.tasks


# --- the broker is down -------------------------------------------------------------------------
@pytest.fixture
def dead_broker(publish_to):
    """Celery publishes to a port where nothing listens (and not eagerly)."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    publish_to(url)
    return url


def test_with_the_broker_down_recording_a_payment_succeeds_and_the_job_waits(
    province, fund, donor, dead_broker, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="receipts.services")
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    assert (timezone.now() - started).total_seconds() < 2  # no retry loop inside a request

    assert Receipt.objects.get(payment=payment) == receipt
    assert set(receipt.deliveries.values_list("status", flat=True)) == {"pending"}
    [record] = caplog.records
    assert record.getMessage().startswith(
        f"could not enqueue receipts.tasks.receipt_render_task({receipt.pk},); the requeue job will retry it"
        " (OperationalError: Error 111 connecting to 127.0.0.1:"
    )


def test_when_the_broker_is_back_the_requeue_job_finishes_the_work(
    province, fund, donor, django_capture_on_commit_callbacks, monkeypatch
):
    # Broker down at payment time: nothing was sent.
    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: 0)
    with django_capture_on_commit_callbacks(execute=True):
        _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    monkeypatch.undo()
    age(receipt, "pdf", minutes=11)
    # The broker is back (eager here; tests/faults runs a real worker and Redis): beat's job runs.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.receipt_deliveries_requeue_task.delay()
    assert set(receipt.deliveries.values_list("status", flat=True)) == {"done"}
    assert len(pdf_files()) == 1 and len(mail.outbox) == 1


def test_the_outbox_requeue_job_replaces_the_receipts_own_on_the_beat_schedule():
    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    old = __import__("receipts.migrations.0003_requeue_schedule", fromlist=["create_schedule"])
    new = __import__("receipts.migrations.0006_outbox_requeue_schedule", fromlist=["replace_schedule"])
    old.create_schedule(apps, None)  # as the migrations do (transactional tests empty the table)
    new.replace_schedule(apps, None)
    new.replace_schedule(apps, None)  # and again: it does not duplicate
    [schedule] = PeriodicTask.objects.filter(task__startswith="receipts.tasks.")
    assert schedule.task == "receipts.tasks.outbox_requeue_task" and schedule.task in celery_app.tasks
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (5, "minutes", True)
    new.restore_schedule(apps, None)
    [schedule] = PeriodicTask.objects.filter(task__startswith="receipts.tasks.")
    assert schedule.task == "receipts.tasks.receipt_deliveries_requeue_task"

"""The pledge confirmation e-mail: queued after commit, sent once, retried on SMTP errors.

It is a `PledgeEmail` of kind confirmation (the same mechanism as the reminders).
"""

import datetime
from smtplib import SMTPServerDisconnected

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from donations.models import PledgeEmail
from donations.tasks import MAX_RETRIES, pledge_confirmation_send, pledge_email_send_task
from tests.conftest import jobs_queued

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pledge = factories.pledge_make(campaign, amount=5_000_000, name="Trần Thị Hoa", email="hoa@example.com",
                                       installments=2)
    assert len(jobs_queued(callbacks)) == 1  # pledge_create queues the e-mail for after the commit, not before
    return pledge


def test_the_queued_task_sends_the_email_after_commit(campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pledge = factories.pledge_make(campaign, email="hoa@example.com")
    assert len(mailoutbox) == 1
    assert PledgeEmail.objects.get(pledge=pledge, kind="confirmation").sent_at is not None


def test_the_email_says_reference_amount_and_bank_details_in_vietnamese_then_english(pledge, mailoutbox):
    assert pledge_confirmation_send(pledge.pk) == "sent"
    [message] = mailoutbox
    assert message.to == ["hoa@example.com"]
    assert message.subject == f"Xác nhận cam kết ủng hộ {pledge.reference} – Tết khuyến học Xuân Bính Ngọ 2026"
    body = message.body
    assert body.startswith("Kính gửi Trần Thị Hoa,")
    for line in (
        f"Mã ủng hộ:        {pledge.reference}",
        "Số tiền:          5.000.000\u00a0₫",
        "Bằng chữ:         Năm triệu đồng",
        "  Số tài khoản:   0011004123456",
        f"  Nội dung:       UNG HO {pledge.reference}",
        "  Đợt 1: 2.500.000\u00a0₫, hạn ",
        "English",
        f"Reference:        {pledge.reference}",
        f"  Transfer memo:  UNG HO {pledge.reference}",
    ):
        assert line in body, line
    assert body.index("Kính gửi") < body.index("Dear Trần Thị Hoa")


def test_running_twice_sends_once(pledge, mailoutbox):
    assert pledge_confirmation_send(pledge.pk) == "sent"
    assert pledge_confirmation_send(pledge.pk) == "nothing to send"
    assert len(mailoutbox) == 1
    email = PledgeEmail.objects.get(pledge=pledge)
    assert (email.kind, email.status, email.attempts, email.recipient) == ("confirmation", "sent", 1, "hoa@example.com")


def test_while_another_worker_holds_a_fresh_lease_the_task_retries_later(pledge, mailoutbox):
    # pledge_create wrote the row (pending); another worker has just claimed it.
    PledgeEmail.objects.filter(pledge=pledge, kind="confirmation").update(
        status="sending", claimed_at=timezone.now(), attempts=1
    )
    with pytest.raises(Retry):
        pledge_confirmation_send(pledge.pk)
    assert mailoutbox == []


def test_a_lease_left_by_a_dead_worker_expires(pledge, mailoutbox):
    PledgeEmail.objects.filter(pledge=pledge, kind="confirmation").update(
        status="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=11), attempts=1,
    )
    assert pledge_confirmation_send(pledge.pk) == "sent"
    assert PledgeEmail.objects.get(pledge=pledge).attempts == 2


def test_an_smtp_error_gives_the_lease_back_and_a_retry_sends(pledge, mailoutbox, monkeypatch):
    def refuse(message, *args, **kwargs):
        raise SMTPServerDisconnected("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
        with pytest.raises(SMTPServerDisconnected):
            pledge_confirmation_send(pledge.pk)
    email = PledgeEmail.objects.get(pledge=pledge)
    assert (email.status, email.claimed_at, email.sent_at) == ("pending", None, None)
    assert email.last_error == "SMTPServerDisconnected: connection lost"
    assert pledge_confirmation_send(pledge.pk) == "sent"
    assert len(mailoutbox) == 1


def test_a_donor_without_email_gets_nothing(campaign, mailoutbox):
    pledge = factories.pledge_make(campaign, email="", phone="0912345678")
    assert pledge_confirmation_send(pledge.pk) == "nothing to send"
    assert mailoutbox == [] and not PledgeEmail.objects.exists()


class BrokenSMTP:
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        type(self).calls += 1
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    def open(self):
        pass

    def close(self):
        pass


@pytest.fixture
def eager_failures_stay_in_the_result(settings):
    # Celery runs an eager task's retries by applying it again; with propagation on, the first
    # retry's exception would escape instead of being retried.
    from fundmgr.celery import app

    previous = app.conf.get("CELERY_TASK_EAGER_PROPAGATES")
    app.conf["CELERY_TASK_EAGER_PROPAGATES"] = False
    yield
    app.conf["CELERY_TASK_EAGER_PROPAGATES"] = previous


@pytest.mark.usefixtures("eager_failures_stay_in_the_result")
def test_when_retries_are_exhausted_the_email_is_marked_failed_and_not_sent_later(pledge, mailoutbox, monkeypatch):
    BrokenSMTP.calls = 0
    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.get_connection", lambda *args, **kwargs: BrokenSMTP())
        result = pledge_confirmation_send.apply(args=[pledge.pk], throw=False)
    assert result.failed()
    assert BrokenSMTP.calls == MAX_RETRIES + 1  # the first try and its bounded retries
    email = PledgeEmail.objects.get(pledge=pledge)
    assert (email.status, email.attempts, email.sent_at) == ("failed", MAX_RETRIES + 1, None)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # A stray late message does not send a failed e-mail.
    assert pledge_confirmation_send(pledge.pk) == "nothing to send" and mailoutbox == []


def test_the_retry_policy_is_bounded_with_back_off():
    for task in (pledge_confirmation_send, pledge_email_send_task):
        assert (task.max_retries, task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (
            MAX_RETRIES, 10, 600, True
        )
        assert task.acks_late is True and task.reject_on_worker_lost is True


def test_an_unknown_email_row_is_not_retried(db):
    with pytest.raises(PledgeEmail.DoesNotExist):
        pledge_email_send_task(123456)

"""The pledge confirmation e-mail: queued after commit, sent once, retried on SMTP errors."""

import datetime
from smtplib import SMTPServerDisconnected

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from campaigns.models import PledgeNotice
from donations.tasks import pledge_confirmation_send

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pledge = factories.pledge_make(campaign, amount=5_000_000, name="Trần Thị Hoa", email="hoa@example.com",
                                       installments=2)
    assert len(callbacks) == 1  # pledge_create queues the e-mail for after the commit, not before
    return pledge


def test_the_queued_task_sends_the_email_after_commit(campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pledge = factories.pledge_make(campaign, email="hoa@example.com")
    assert len(mailoutbox) == 1
    assert PledgeNotice.objects.get(pledge=pledge).sent_at is not None


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
    notice = PledgeNotice.objects.get(pledge=pledge)
    assert (notice.attempts, notice.recipient) == (1, "hoa@example.com")


def test_while_another_worker_holds_a_fresh_lease_the_task_retries_later(pledge, mailoutbox):
    PledgeNotice.objects.create(pledge=pledge, claimed_at=timezone.now(), attempts=1)
    with pytest.raises(Retry):
        pledge_confirmation_send(pledge.pk)
    assert mailoutbox == []


def test_a_lease_left_by_a_dead_worker_expires(pledge, mailoutbox):
    PledgeNotice.objects.create(pledge=pledge, claimed_at=timezone.now() - datetime.timedelta(minutes=11), attempts=1)
    assert pledge_confirmation_send(pledge.pk) == "sent"
    assert PledgeNotice.objects.get(pledge=pledge).attempts == 2


def test_an_smtp_error_gives_the_lease_back_and_a_retry_sends(pledge, mailoutbox, monkeypatch):
    def refuse(message, *args, **kwargs):
        raise SMTPServerDisconnected("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
        with pytest.raises(SMTPServerDisconnected):
            pledge_confirmation_send(pledge.pk)
    notice = PledgeNotice.objects.get(pledge=pledge)
    assert (notice.claimed_at, notice.sent_at) == (None, None)
    assert pledge_confirmation_send(pledge.pk) == "sent"
    assert len(mailoutbox) == 1


def test_a_donor_without_email_gets_nothing(campaign, mailoutbox):
    pledge = factories.pledge_make(campaign, email="", phone="0912345678")
    assert pledge_confirmation_send(pledge.pk) == "nothing to send"
    assert mailoutbox == [] and not PledgeNotice.objects.exists()

"""Pledge reminders: which installments get one, once, and what the e-mail says.

Read as a worked example. The job runs on TODAY (1 March 2026) with reminders 3 days before an
installment is due and 7 days after (if still unpaid), each window reaching 3 days back for a
day the job missed. Installments are covered in order by the payments that are not voided.
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import Payment, Pledge, PledgeEmail
from donations.services import (
    payment_record,
    pledge_cancel,
    pledge_create,
    pledge_email_send,
    pledge_reminders_due,
    pledge_write_off,
    receipt_void,
)
from donations.tasks import pledge_email_send_task, pledge_reminders_task
from fundmgr.core.contacts import name_normalize

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
BEFORE, OVERDUE = "reminder_before", "reminder_overdue"


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.PLEDGE_REMINDER_DAYS_BEFORE = 3
    settings.PLEDGE_REMINDER_DAYS_AFTER = 7
    settings.PLEDGE_REMINDER_CATCH_UP_DAYS = 3


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def pledge_due(campaign, name, *due, amount=3_000_000, email=None, consent=True, phone=""):
    """A pledge of `name` whose installments (as many as `due` dates) fall due on those dates."""
    email = f"{name_normalize(name).split()[-1]}@example.com" if email is None else email
    pledge, _created = pledge_create(
        campaign=campaign, donor_name=name, donor_kind="individual", email=email, phone=phone, amount=amount,
        installments=len(due), channel=Pledge.Channel.ADMIN, email_consent=consent,
    )
    for installment, due_on in zip(pledge.installments.order_by("number"), due, strict=True):
        installment.due_on = due_on
        installment.save(update_fields=["due_on"])
    return pledge


def pay(pledge, amount, treasurer=None):
    return payment_record(
        donor=pledge.donor, pledge=pledge, amount=amount, method=Payment.Method.CASH,
        received_on=timezone.localdate(), unit=pledge.campaign.unit, recorded_by=treasurer,
    )


def reminders():
    return sorted(
        PledgeEmail.objects.exclude(kind="confirmation").values_list("pledge__donor__name", "installment__number", "kind")
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the job on TODAY; the sends queued after commit are left out (returned, not run)."""
    def run_once():
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = pledge_reminders_due(today=TODAY)
        return result, callbacks

    return run_once


# --- which installments ---------------------------------------------------------------------------

def test_due_soon_and_overdue_installments_get_one_reminder_each(campaign, run):
    pledge_due(campaign, "Nguyễn Văn An", days(3), days(33), days(64))  # the first one is due in 3 days
    pledge_due(campaign, "Trần Thị Bình", days(-7))  # overdue by 7 days, nothing paid
    pledge_due(campaign, "Lê Văn Cường", days(4))  # due in 4 days: not yet
    pledge_due(campaign, "Phạm Thị Dung", TODAY)  # due today: neither before nor 7 days after
    pledge_due(campaign, "Hoàng Văn Em", days(-6))  # overdue by 6 days: not yet
    pledge_due(campaign, "Vũ Thị Giang", days(-30), days(1))  # the first long overdue, the second due tomorrow

    result, callbacks = run()

    assert reminders() == [
        ("Nguyễn Văn An", 1, BEFORE),
        ("Trần Thị Bình", 1, OVERDUE),
        ("Vũ Thị Giang", 2, BEFORE),  # due tomorrow: caught up (the job may have missed two days)
    ]
    assert result.created == 3 and len(result.queued) == 3 and len(callbacks) == 1


def test_a_missed_day_is_caught_up_but_not_forever(campaign, run):
    pledge_due(campaign, "Nguyễn Văn An", days(-10))  # overdue by 10 days: the 7-day reminder, 3 days late
    pledge_due(campaign, "Trần Thị Bình", days(-11))  # overdue by 11: too late to send the 7-day reminder
    pledge_due(campaign, "Lê Văn Cường", days(1))  # due tomorrow: the 3-day reminder, 2 days late
    run()
    assert reminders() == [("Lê Văn Cường", 1, BEFORE), ("Nguyễn Văn An", 1, OVERDUE)]


def test_covered_installments_are_skipped(campaign, run, treasurer):
    # An paid his first installment (1.000.000 of 3.000.000): the first, overdue, is covered;
    # the second, due in 3 days, is not.
    an = pledge_due(campaign, "Nguyễn Văn An", days(-7), days(3), days(33))
    pay(an, 1_000_000)
    # Bình paid 1.500.000: her first installment (1.000.000) is covered, the second only half.
    binh = pledge_due(campaign, "Trần Thị Bình", days(-37), days(-7), days(23))
    pay(binh, 1_500_000)
    # Cường paid all of it early.
    cuong = pledge_due(campaign, "Lê Văn Cường", days(3))
    pay(cuong, 3_000_000)
    # Dung paid, but the receipt was voided: a voided payment covers nothing.
    dung = pledge_due(campaign, "Phạm Thị Dung", days(-7))
    receipt_void(receipt=pay(dung, 3_000_000).receipt, reason="Ghi nhầm", voided_by=treasurer)

    run()

    assert reminders() == [
        ("Nguyễn Văn An", 2, BEFORE),
        ("Phạm Thị Dung", 1, OVERDUE),
        ("Trần Thị Bình", 2, OVERDUE),
    ]


def test_no_consent_no_address_or_a_closed_pledge_gets_no_reminder(campaign, run, treasurer):
    pledge_due(campaign, "Nguyễn Văn An", days(3), consent=False)
    pledge_due(campaign, "Trần Thị Bình", days(3), email="", phone="0912345678")
    cancelled = pledge_due(campaign, "Lê Văn Cường", days(3))
    pledge_cancel(pledge=cancelled, reason="Đăng ký nhầm", by=treasurer)
    written_off = pledge_due(campaign, "Phạm Thị Dung", days(-7), days(23))
    pledge_write_off(pledge=written_off, reason="Doanh nghiệp giải thể", by=treasurer)

    result, callbacks = run()

    assert (result.created, result.queued, reminders()) == (0, [], [])


def test_running_twice_on_the_same_day_creates_and_sends_nothing_new(
    campaign, mailoutbox, django_capture_on_commit_callbacks
):
    pledge_due(campaign, "Nguyễn Văn An", days(3))
    pledge_due(campaign, "Trần Thị Bình", days(-7))
    mailoutbox.clear()  # the confirmations
    with django_capture_on_commit_callbacks(execute=True):
        first = pledge_reminders_due(today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        second = pledge_reminders_due(today=TODAY)

    assert (first.created, len(first.queued)) == (2, 2)
    assert (second.created, second.queued) == (0, [])  # both were sent: nothing pending to queue
    assert PledgeEmail.objects.exclude(kind="confirmation").count() == 2
    assert sorted(message.to[0] for message in mailoutbox) == ["an@example.com", "binh@example.com"]


def test_a_row_left_pending_is_queued_again_the_next_run(campaign, run):
    pledge_due(campaign, "Nguyễn Văn An", days(3))
    first, _callbacks = run()  # its message was lost: the row stays pending
    second, _callbacks = run()
    assert second.created == 0 and second.queued == first.queued


def test_the_outbox_requeues_a_pending_reminder_once_per_staleness_period(campaign, run, django_capture_on_commit_callbacks):
    """A pending row is touched when it is requeued: the next beat leaves it alone (before `updated_at`
    existed on these rows, every beat queued it again)."""
    from fundmgr.core import outbox

    pledge_due(campaign, "Nguyễn Văn An", days(3))
    run()  # its message was lost: the reminder (and the confirmation) stay pending
    PledgeEmail.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.requeue_stale() == 2
        assert outbox.requeue_stale() == 0


# --- sending --------------------------------------------------------------------------------------

def test_the_task_body_sends_exactly_one_email_per_row(campaign, run, mailoutbox):
    pledge_due(campaign, "Nguyễn Văn An", days(3), days(33), amount=5_000_000)
    pledge_due(campaign, "Trần Thị Bình", days(-7), amount=1_200_000)
    result, _callbacks = run()
    mailoutbox.clear()  # the confirmations

    for pk in result.queued:
        assert pledge_email_send_task(pk) == "sent"
        assert pledge_email_send_task(pk) == "nothing to send"

    assert len(mailoutbox) == 2
    rows = PledgeEmail.objects.exclude(kind="confirmation")
    assert sorted(rows.values_list("status", "attempts", "recipient")) == [
        ("sent", 1, "an@example.com"), ("sent", 1, "binh@example.com"),
    ]
    assert all(row.sent_at is not None for row in rows)


def test_the_reminder_before_says_what_to_pay_in_vietnamese_then_english(campaign, run, mailoutbox):
    pledge = pledge_due(campaign, "Nguyễn Văn An", days(3), days(33), amount=5_000_000)
    result, _callbacks = run()
    mailoutbox.clear()
    pledge_email_send(pledge_email_id=result.queued[0], today=TODAY)

    [message] = mailoutbox
    assert message.to == ["an@example.com"]
    assert message.subject == (
        f"Nhắc hạn nộp đợt 1 – cam kết {pledge.reference} – Tết khuyến học Xuân Bính Ngọ 2026"
    )
    body = message.body
    for line in (
        "Kính gửi Nguyễn Văn An,",
        "1/2 của cam kết sẽ đến hạn vào ngày 04/03/2026 (còn 3 ngày).",
        f"Mã ủng hộ:        {pledge.reference}",
        "Số tiền cần nộp:  2.500.000\u00a0₫",
        "Bằng chữ:         Hai triệu năm trăm nghìn đồng",
        "Tổng cam kết:     5.000.000\u00a0₫",
        "  Số tài khoản:   0011004123456",
        f"  Nội dung:       UNG HO {pledge.reference}",
        "English",
        "is due on 2026-03-04 (in 3 days).",
        "Amount due:       2.500.000\u00a0₫",
        f"  Transfer memo:  UNG HO {pledge.reference}",
    ):
        assert line in body, line
    assert body.index("Kính gửi") < body.index("Dear Nguyễn Văn An")
    assert message.extra_headers["Message-ID"].startswith(f"<pledge-email.{result.queued[0]}.{pledge.reference}@")


def test_the_overdue_reminder_asks_for_what_is_left_of_the_installment(campaign, run, mailoutbox):
    pledge = pledge_due(campaign, "Trần Thị Bình", days(-37), days(-7), days(23), amount=3_000_000)
    pay(pledge, 1_400_000)  # the first installment and 400.000 of the second
    result, _callbacks = run()
    mailoutbox.clear()
    pledge_email_send(pledge_email_id=result.queued[0], today=TODAY)

    [message] = mailoutbox
    assert message.subject == f"Đợt 2 đã quá hạn – cam kết {pledge.reference} – Tết khuyến học Xuân Bính Ngọ 2026"
    for line in (
        "2/3 của cam kết đã đến hạn ngày 22/02/2026 (7 ngày trước)",
        "Còn thiếu:        600.000\u00a0₫",
        "Bằng chữ:         Sáu trăm nghìn đồng",
        "was due on 2026-02-22 (7 days ago)",
        "Amount still due: 600.000\u00a0₫",
    ):
        assert line in message.body, line


def test_a_reminder_paid_before_it_is_sent_is_skipped(campaign, run, mailoutbox):
    pledge = pledge_due(campaign, "Nguyễn Văn An", days(3))
    result, _callbacks = run()
    pay(pledge, 3_000_000)  # the money arrived between the job and the send
    mailoutbox.clear()
    assert pledge_email_send_task(result.queued[0]) == "nothing to send"
    assert mailoutbox == []
    row = PledgeEmail.objects.get(pk=result.queued[0])
    assert (row.status, row.last_error) == ("skipped", "Cam kết không còn phải nộp (trạng thái fulfilled).")


# --- cost and schedule ----------------------------------------------------------------------------

@pytest.mark.parametrize("count", [3, 30])
def test_the_job_costs_the_same_queries_for_3_or_30_reminders(campaign, count, django_assert_num_queries,
                                                              django_capture_on_commit_callbacks):
    for number in range(count):
        pledge = pledge_due(campaign, f"Nhà hảo tâm {number}", days(3), days(-7), amount=2_000_000)
        if number % 3 == 0:
            pay(pledge, 500_000)  # partly paid: the overdue first installment still is not covered
    # 6 queries whatever the number of pledges: SAVEPOINT; the installments to remind with their
    # paid and cumulative sums (correlated subqueries); the rows that exist; one INSERT of the new
    # rows; the pending rows to queue; RELEASE SAVEPOINT.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(6):
        result = pledge_reminders_due(today=TODAY)
    assert result.created == 2 * count


def test_the_beat_schedule_runs_the_job_daily_at_8_in_vietnam(campaign, run):
    from django_celery_beat.models import PeriodicTask

    schedule = PeriodicTask.objects.select_related("crontab").get(task="donations.tasks.pledge_reminders_task")
    crontab = schedule.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == (
        "0", "8", "*", "*", "*"
    )
    assert str(crontab.timezone) == "Asia/Ho_Chi_Minh" and schedule.enabled
    assert pledge_reminders_task.name == schedule.task
    assert pledge_reminders_task() == 0  # nothing due on the real today in an empty database

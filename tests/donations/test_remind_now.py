"""A treasurer's "remind now": a reminder of the pledge's next uncovered installment, sent at once,
under the scheduled reminders' rules, at most once a day per installment, only in one's units."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from donations.models import PledgeEmail
from donations.services import pledge_cancel, pledge_remind_now
from fundmgr.audit.models import AuditEvent
from fundmgr.orgs.models import Membership

from .test_pledge_reminders import TODAY, days, pay, pledge_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the sends queued after commit (the eager task), as a worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_next_uncovered_installment_is_reminded_at_once(campaign, treasurer, mailoutbox, sent):
    pledge = pledge_due(campaign, "Trần Thị Bình", days(-37), days(-7), days(23), amount=3_000_000)
    pay(pledge, 1_400_000)  # the first installment and 400.000 of the second
    mailoutbox.clear()

    with sent():
        result = pledge_remind_now(pledges=[pledge], by=treasurer, today=TODAY)

    assert result.queued == [pledge.reference] and result.skipped == {}
    row = PledgeEmail.objects.get(kind="reminder_now")
    assert (row.installment.number, row.requested_on, row.requested_by, row.status) == (2, TODAY, treasurer, "sent")
    [message] = mailoutbox  # sent by the (eager) task after commit
    assert message.subject.startswith("Đợt 2 đã quá hạn")
    assert "Còn thiếu:        600.000\u00a0₫" in message.body
    assert AuditEvent.objects.filter(model_label="donations.pledgeemail", action="create", actor=treasurer).count() == 1


def test_pressing_twice_a_day_sends_one_and_the_next_day_another(campaign, treasurer, mailoutbox, sent):
    # The e-mail is written on the day it is sent: this test runs on the real today.
    today = timezone.localdate()
    pledge = pledge_due(campaign, "Nguyễn Văn An", today + datetime.timedelta(days=10))
    mailoutbox.clear()
    with sent():
        pledge_remind_now(pledges=[pledge], by=treasurer, today=today)

    with sent():
        again = pledge_remind_now(pledges=[pledge], by=treasurer, today=today)

    assert again.queued == [] and again.skipped == {"already_today": [pledge.reference]}
    assert len(mailoutbox) == 1
    assert "(còn 10 ngày)" in mailoutbox[0].body
    pledge_remind_now(pledges=[pledge], by=treasurer, today=today + datetime.timedelta(days=1))
    assert PledgeEmail.objects.filter(kind="reminder_now").count() == 2


def test_the_scheduled_rules_hold_no_consent_no_address_closed_or_paid(campaign, treasurer, mailoutbox):
    no_consent = pledge_due(campaign, "Lê Văn Cường", days(3), consent=False)
    no_address = pledge_due(campaign, "Phạm Thị Dung", days(3), email="", phone="0912345678")
    closed = pledge_due(campaign, "Hoàng Văn Em", days(3))
    pledge_cancel(pledge=closed, reason="Nhập nhầm", by=treasurer)
    paid = pledge_due(campaign, "Vũ Thị Giang", days(3))
    pay(paid, 3_000_000)
    mailoutbox.clear()

    result = pledge_remind_now(pledges=[no_consent, no_address, closed, paid], by=treasurer, today=TODAY)

    assert result.queued == []
    assert result.skipped == {
        "no_consent": [no_consent.reference], "no_email": [no_address.reference],
        "closed": [closed.reference, paid.reference],
    }
    assert mailoutbox == [] and not PledgeEmail.objects.filter(kind="reminder_now").exists()


def test_a_treasurer_of_another_unit_is_refused_and_nothing_is_written(campaign, django_user_model, other_unit):
    pledge = pledge_due(campaign, "Nguyễn Văn An", days(3))
    stranger = django_user_model.objects.create_user(username="thuquy_na", password="x" * 12, is_staff=True)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)

    with pytest.raises(PermissionDenied):
        pledge_remind_now(pledges=[pledge], by=stranger, today=TODAY)
    assert not PledgeEmail.objects.filter(kind="reminder_now").exists()


def test_the_admin_action_reminds_and_says_what_it_skipped(client, campaign, treasurer, mailoutbox, sent):
    due = pledge_due(campaign, "Nguyễn Văn An", days(3))
    no_consent = pledge_due(campaign, "Lê Văn Cường", days(3), consent=False)
    client.force_login(treasurer)
    mailoutbox.clear()

    with sent():
        response = client.post("/admin/donations/pledge/", {
            "action": "remind_now_action", "_selected_action": [due.pk, no_consent.pk],
        }, follow=True)

    text = response.content.decode()
    assert f"Đã gửi e-mail nhắc nộp cho 1 cam kết: {due.reference}." in text
    assert f"Không nhắc {no_consent.reference}: nhà hảo tâm không đồng ý nhận e-mail." in text
    assert [message.to for message in mailoutbox] == [[due.donor.email]]

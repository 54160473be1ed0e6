"""'Kiểm tra sổ ngay': the whole chain checked on request from the admin, by a worker, once at a time.

Whoever may read the ledger may ask (auditors too: a check changes no figure); the run is a new row
of the checks' list, and the audit trail names who asked. A button pressed again within
`VERIFY_REQUEST_SECONDS`, or while a run is unfinished, sends nothing and says why.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import LedgerVerification
from fundmgr.ledger.services import Line, entry_post
from fundmgr.ledger.tasks import ledger_verify_task
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant

pytestmark = pytest.mark.django_db
VERIFY_URL = "/admin/ledger/ledgerverification/verify/"
LIST_URL = "/admin/ledger/ledgerverification/"


@pytest.fixture
def auditor(province, make_fund):
    fund = make_fund("QKH-TH")
    entry_post(unit=province, date=datetime.date(2026, 1, 20), memo="Ủng hộ Tết",
               lines=[Line(accounts.BANK, fund, debit=5_000_000), Line(accounts.DONATION_INCOME, fund, credit=5_000_000)])
    user = get_user_model().objects.create_user("kiemtra", password="mật-khẩu-thử-1", is_staff=True)
    membership_grant(user=user, unit=province, role=Membership.Role.AUDITOR)
    return user


def test_an_auditor_asks_and_a_worker_checks_the_whole_ledger(client, auditor, django_capture_on_commit_callbacks):
    client.force_login(auditor)
    assert "Kiểm tra sổ ngay" in client.get(LIST_URL).content.decode()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(VERIFY_URL, follow=True)

    assert len(callbacks) == 1  # the job, sent after the commit
    assert "Đã gửi yêu cầu kiểm tra toàn bộ sổ cái" in response.content.decode()
    run = LedgerVerification.objects.get()
    assert run.ok is True and run.entries_checked == 1 and run.finished_at is not None
    asked = AuditEvent.objects.get(model_label="ledger.ledgerverification", object_id=str(run.pk),
                                   source=AuditEvent.Source.SERVICE)
    assert asked.actor == auditor and asked.action == AuditEvent.Action.CREATE


def test_asking_again_within_five_minutes_sends_nothing(client, auditor, django_capture_on_commit_callbacks):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(VERIFY_URL)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(VERIFY_URL, follow=True)

    assert callbacks == []
    assert "Sổ vừa được yêu cầu kiểm tra trong 5 phút qua" in response.content.decode()
    assert LedgerVerification.objects.count() == 1


def test_a_run_in_progress_is_not_started_twice(client, auditor, django_capture_on_commit_callbacks):
    LedgerVerification.objects.create()  # started, not finished: a worker is walking the chain
    client.force_login(auditor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(VERIFY_URL, follow=True)

    assert callbacks == []
    assert "Một lần kiểm tra sổ đang chạy" in response.content.decode()


def test_a_run_left_unfinished_for_hours_does_not_block_a_new_one(client, auditor, django_capture_on_commit_callbacks):
    dead = LedgerVerification.objects.create()  # its worker died two hours ago
    LedgerVerification.objects.filter(pk=dead.pk).update(started_at=timezone.now() - datetime.timedelta(hours=2))
    client.force_login(auditor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(VERIFY_URL)

    assert len(callbacks) == 1
    assert LedgerVerification.objects.filter(ok=True).count() == 1


def test_only_a_post_from_someone_who_may_read_the_ledger(client, auditor, province):
    nominator = get_user_model().objects.create_user("decu", password="mật-khẩu-thử-1", is_staff=True)
    membership_grant(user=nominator, unit=province, role=Membership.Role.NOMINATOR)

    assert client.post(VERIFY_URL).status_code == 302  # anonymous: to the log-in page
    assert reverse("admin:login") in client.post(VERIFY_URL)["Location"]
    client.force_login(nominator)
    assert client.post(VERIFY_URL).status_code == 403
    client.force_login(auditor)
    assert client.get(VERIFY_URL).status_code == 405
    assert not LedgerVerification.objects.exists()


def test_the_nightly_task_still_runs_without_anyone_asking(auditor):
    result = ledger_verify_task()

    assert result["ok"] is True
    run = LedgerVerification.objects.get()
    assert not AuditEvent.objects.filter(model_label="ledger.ledgerverification", object_id=str(run.pk),
                                         source=AuditEvent.Source.SERVICE).exists()

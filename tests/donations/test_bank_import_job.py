"""The bank-statement import as a job: the admin's upload stores the file and returns; the worker
imports it in chunks, counting its progress; the progress page and its JSON follow it.

The real worker and the browser: tests/e2e/test_bank_statement_upload.py.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from donations.models import BankStatementImport, BankStatementLine, Payment, Pledge
from donations.services import bank_statement, pledge_create
from donations.tasks import bank_statement_import_task
from fundmgr.audit.models import AuditEvent
from fundmgr.core import outbox
from fundmgr.idempotency.services import IdempotencyKeyReused

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")


@pytest.fixture
def queued(monkeypatch):
    """The jobs sent to the broker, instead of sending them (the worker's part is called by the test)."""
    sent = []
    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: sent.extend((task.name, args) for task, args in jobs) or len(jobs))
    return sent


def make_pledge(campaign, name, amount):
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              channel=Pledge.Channel.ADMIN)
    return pledge


def statement_of(pledges, extra_lines=0):
    rows = ["Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển"]
    for number, pledge in enumerate(pledges):
        rows.append(f'"{DAY}","{pledge.amount}","ung ho {pledge.reference}","FT{number:06d}","X"')
    for number in range(extra_lines):
        rows.append(f'"{DAY}","{50_000 + number}","chuyen tien {number}","FX{number:06d}","Y"')
    return ("\n".join(rows) + "\n").encode()


def upload(client, unit, content):
    return client.post(reverse("admin:donations_bankstatementimport_add"), {
        "unit": unit.pk, "format": "auto", "file": SimpleUploadedFile("sao-ke.csv", content),
    })


def progress_json(client, statement):
    response = client.get(reverse("admin:donations_bankstatementimport_progress_json", args=[statement.pk]))
    assert response.status_code == 200
    return response.json()


def test_the_upload_stores_the_file_queues_the_job_after_commit_and_returns_before_the_import(
    treasurer_client, campaign, unit, treasurer, queued, django_capture_on_commit_callbacks
):
    pledges = [make_pledge(campaign, f"Nhà hảo tâm {n}", 1_000_000 + n) for n in range(3)]
    content = statement_of(pledges, extra_lines=250)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(treasurer_client, unit, content)

    statement = BankStatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:donations_bankstatementimport_progress", args=[statement.pk])
    assert len(callbacks) == 1 and queued == [("donations.tasks.bank_statement_import_task", (statement.pk,))]
    # The response came back with the job still pending: the file read (its layout and lines
    # counted, so the bar knows its total), nothing stored or recorded yet.
    assert (statement.status, statement.lines_done, bytes(statement.content)) == ("pending", 0, content)
    assert (statement.format, statement.lines_credit) == ("generic", 253)
    assert BankStatementLine.objects.count() == Payment.objects.count() == 0
    assert progress_json(treasurer_client, statement) == {
        "status": "pending", "label": "Chờ xử lý", "done": 0, "total": 253, "percent": 0, "finished": False,
        "failed": False, "message": "", "next_url": reverse("admin:donations_bankstatementline_changelist") + f"?statement={statement.pk}",
    }
    page = treasurer_client.get(reverse("admin:donations_bankstatementimport_progress", args=[statement.pk])).content.decode()
    assert 'id="job-progress-bar" max="100" value="0"' in page and "js/job_progress.js" in page

    # The worker's part.
    assert bank_statement_import_task(statement.pk) == "done"

    statement.refresh_from_db()
    assert (statement.status, statement.attempts, statement.lines_credit, statement.lines_done) == ("done", 1, 253, 253)
    assert (statement.lines_matched, statement.lines_unmatched, statement.format) == (3, 250, "generic")
    assert Payment.objects.count() == 3
    job = progress_json(treasurer_client, statement)
    assert (job["status"], job["percent"], job["done"], job["total"], job["finished"]) == ("done", 100, 253, 253, True)
    assert "3 dòng khớp, 250 dòng chờ đối soát" in job["message"]
    # The upload's audit row names the file and what reading it found; the job changes none of that.
    events = AuditEvent.objects.filter(model_label="donations.bankstatementimport").order_by("pk")
    assert [event.action for event in events] == ["create"]
    assert (events[0].after["format"], events[0].after["lines_credit"]) == ("generic", 253)

    # Run twice (a requeued message): nothing more.
    assert bank_statement_import_task(statement.pk) == "done"
    assert Payment.objects.count() == 3 and BankStatementLine.objects.count() == 253


def test_progress_is_counted_chunk_by_chunk(campaign, unit, treasurer, queued, monkeypatch):
    seen = []
    original = bank_statement._import_chunk

    def spy(statement, pairs, index, *, by):
        seen.append(BankStatementImport.objects.get(pk=statement.pk).lines_done)
        original(statement, pairs, index, by=by)

    monkeypatch.setattr(bank_statement, "_import_chunk", spy)
    statement = bank_statement.statement_upload(unit=unit, file_name="a.csv", content=statement_of([], 250),
                                                created_by=treasurer)
    bank_statement.statement_import_run(statement_id=statement.pk)
    assert seen == [0, 100, 200]
    statement.refresh_from_db()
    assert (statement.status, statement.lines_done) == ("done", 250)


def test_in_eager_mode_the_upload_imports_at_once_and_the_page_shows_100_percent(
    treasurer_client, campaign, unit, django_capture_on_commit_callbacks
):
    pledge = make_pledge(campaign, "Nguyễn Thị Hoà", 2_000_000)
    with django_capture_on_commit_callbacks(execute=True):  # the embedded demo: Celery runs the task here
        response = upload(treasurer_client, unit, statement_of([pledge]))
    page = treasurer_client.get(response["Location"]).content.decode()
    assert 'value="100"' in page and "100 %" in page
    assert BankStatementImport.objects.get().status == "done" and Payment.objects.get().pledge == pledge


def test_an_attempt_that_breaks_half_way_gives_its_claim_back_and_the_retry_does_the_rest(
    campaign, unit, treasurer, queued, monkeypatch
):
    pledges = [make_pledge(campaign, f"Nhà hảo tâm {n}", 1_000_000 + n) for n in range(150)]
    statement = bank_statement.statement_upload(unit=unit, file_name="a.csv", content=statement_of(pledges),
                                                created_by=treasurer)
    original, calls = bank_statement._import_chunk, []

    def second_chunk_breaks(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("the database went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(bank_statement, "_import_chunk", second_chunk_breaks)
    with pytest.raises(OSError):
        bank_statement.statement_import_run(statement_id=statement.pk)
    statement.refresh_from_db()
    assert (statement.status, statement.attempts, statement.lines_done) == ("pending", 1, 100)
    assert "the database went away" in statement.last_error and Payment.objects.count() == 100

    bank_statement.statement_import_run(statement_id=statement.pk)
    statement.refresh_from_db()
    assert (statement.status, statement.attempts, statement.lines_done, statement.lines_matched) == ("done", 2, 150, 150)
    assert Payment.objects.count() == 150  # the first chunk's payments once


def test_a_job_left_pending_is_sent_again_by_the_requeue_job(campaign, unit, treasurer, queued):
    statement = bank_statement.statement_upload(unit=unit, file_name="a.csv", content=statement_of([], 1),
                                                created_by=treasurer)
    BankStatementImport.objects.filter(pk=statement.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    queued.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda callback, using=None, robust=False: callback())
        assert outbox.requeue_stale() == 1
    assert queued == [("donations.tasks.bank_statement_import_task", (statement.pk,))]


def test_a_stranger_sees_no_progress_of_another_units_import(client, django_user_model, other_unit, unit, treasurer, queued):
    from fundmgr.orgs.models import Membership

    statement = bank_statement.statement_upload(unit=unit, file_name="a.csv", content=statement_of([], 1),
                                                created_by=treasurer)
    stranger = django_user_model.objects.create_user(username="la", password="x" * 12, is_staff=True)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)
    client.force_login(stranger)
    assert client.get(reverse("admin:donations_bankstatementimport_progress_json", args=[statement.pk])).status_code == 404
    assert client.get(reverse("admin:donations_bankstatementimport_progress", args=[statement.pk])).status_code == 404


def test_an_upload_under_an_idempotency_key_is_stored_and_queued_once_per_channel(
    unit, treasurer, queued, django_capture_on_commit_callbacks
):
    def upload(file_name="a.csv", **keys):
        with django_capture_on_commit_callbacks(execute=True):
            return bank_statement.statement_upload(unit=unit, file_name=file_name, content=statement_of([], 2),
                                                   created_by=treasurer, idempotency_key="k-1", **keys)

    first, again = upload(channel="api"), upload(channel="api")
    assert (first.replayed, again.replayed, again.pk) == (False, True, first.pk)
    with pytest.raises(IdempotencyKeyReused):
        upload("b.csv", channel="api")
    admin = upload()  # the admin's keys are not the API's
    assert admin.pk != first.pk and not admin.replayed
    assert BankStatementImport.objects.count() == 2 and [args for _task, args in queued] == [(first.pk,), (admin.pk,)]


def test_an_unreadable_upload_raises_and_writes_nothing(unit, treasurer, queued, django_capture_on_commit_callbacks):
    for content in (b"", b"a,b\n1,2\n"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(bank_statement.StatementError):
            bank_statement.statement_upload(unit=unit, file_name="x.csv", content=content, created_by=treasurer,
                                            idempotency_key="k-1")
        assert callbacks == []
    assert not BankStatementImport.objects.exists() and not AuditEvent.objects.exists() and queued == []

"""Bank statements in the API: upload (multipart) through `statement_upload`, a job as in the
admin (202 and a `Location` to poll; the worker imports it after commit; a repeated
Idempotency-Key answers the first import and queues nothing, the same file without one adds no
line; a file that cannot be read is a 400 with nothing written), the lines, a match by hand through
`bank_line_match`; scoped, and refused for another unit.

`upload` runs the request's after-commit callbacks (the test's transaction never commits), so
the (eager) task imports the file once the response is back, and `imported` polls the statement as
a client would; the `queued` fixture keeps the job from running instead (the worker's part is then
called by the test). That in the embedded mode the response itself shows the import done needs
real commits: `test_with_eager_tasks_the_import_is_done_when_the_response_is_built`. The real
worker: tests/e2e/test_bank_statement_upload.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from donations.models import BankStatementImport, BankStatementLine, Payment, Pledge
from donations.services import pledge_create
from donations.tasks import bank_statement_import_task
from fundmgr.audit.models import AuditEvent
from fundmgr.core import outbox
from fundmgr.idempotency.models import IdempotencyKey

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, client_for, fresh

pytestmark = pytest.mark.django_db

STATEMENTS = "/api/v1/bank-statements/"
LINES = "/api/v1/bank-statement-lines/"


def generic(*rows) -> bytes:
    header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
    return (header + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in rows)).encode()


def upload(client, content: bytes, **fields):
    headers = {name: fields.pop(name) for name in list(fields) if name.startswith("HTTP_")}
    data = {"unit": "TH", "file": SimpleUploadedFile("sao-ke.csv", content, content_type="text/csv"), **fields}
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job, queued after commit (eager here)
        return client.post(STATEMENTS, data, format="multipart", **headers)


def imported(client, content: bytes, **fields) -> dict:
    """Upload (202), then poll the statement at its `Location`: as it is once the job has run."""
    response = upload(client, content, **fields)
    assert response.status_code == 202, response.json()
    return client.get(response["Location"]).json()


@pytest.fixture
def queued(monkeypatch):
    """The jobs sent to the broker, instead of sending them (the worker's part is called by the test)."""
    sent = []
    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: sent.extend((task.name, args) for task, args in jobs) or len(jobs))
    return sent


def written():
    """Everything an upload may write: imports, lines, payments, audit rows, idempotency keys."""
    return (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count(),
            AuditEvent.objects.count(), IdempotencyKey.objects.count())


def make_pledge(campaign, name, amount):
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              channel=Pledge.Channel.ADMIN)
    return pledge


def test_upload_matches_by_reference_and_queues_the_rest(api, treasurer, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = DAY.strftime("%d/%m/%Y")
    content = generic((day, "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"),
                      (day, "700.000", "chuyen tien", "FT002", "PHAM MINH"))
    response = upload(api, content, campaign=campaign.slug)
    assert response.status_code == 202, response.json()
    assert response["Location"] == f"http://testserver{STATEMENTS}{response.json()['id']}/"
    body = api.get(response["Location"]).json()
    assert body["id"] == response.json()["id"]
    assert (body["status"], body["lines_done"], body["attempts"], body["last_error"]) == ("done", 2, 1, "")
    assert body["finished_at"] is not None
    assert (body["lines_credit"], body["lines_matched"], body["lines_unmatched"], body["amount_matched"]) == (
        2, 1, 1, 5_000_000
    )
    assert (body["unit"], body["campaign"], body["created_by"], body["format"]) == ("TH", campaign.slug, "thuquy", "generic")
    payment = Payment.objects.get()
    assert (payment.pledge, payment.bank_reference, payment.recorded_by) == (pledge, "FT001", treasurer)
    lines = api.get(LINES, {"statement": body["id"]}).json()["results"]
    assert sorted((line["bank_reference"], line["status"]) for line in lines) == [("FT001", "matched"), ("FT002", "unmatched")]
    assert [line["bank_reference"] for line in api.get(LINES, {"status": "unmatched"}).json()["results"]] == ["FT002"]
    assert [line["bank_reference"] for line in api.get(LINES, {"q": "phạm minh"}).json()["results"]] == ["FT002"]
    assert [line["bank_reference"] for line in api.get(LINES, {"amount_min": 1_000_000}).json()["results"]] == ["FT001"]
    assert [s["id"] for s in api.get(STATEMENTS, {"format": "generic"}).json()["results"]] == [body["id"]]
    assert api.get(STATEMENTS, {"format": "bidv"}).json()["results"] == []
    # The same file again adds nothing.
    again = imported(api, content)
    assert (again["status"], again["lines_new"]) == ("done", 0)
    assert (BankStatementLine.objects.count(), Payment.objects.count()) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_with_eager_tasks_the_import_is_done_when_the_response_is_built(api, campaign):
    """The embedded mode (SQLite, `make run`): the upload's transaction commits, the eager task
    imports the file at once, and the 202's body is the finished import."""
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    content = generic((DAY.strftime("%d/%m/%Y"), "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"))
    response = api.post(STATEMENTS, {"unit": "TH", "file": SimpleUploadedFile("sao-ke.csv", content)}, format="multipart")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["lines_done"], body["lines_matched"], body["amount_matched"]) == ("done", 1, 1, 5_000_000)
    assert api.get(response["Location"]).json() == body


def test_without_eager_tasks_the_post_answers_a_pending_job_that_the_worker_imports(api, campaign, queued):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = DAY.strftime("%d/%m/%Y")
    content = generic((day, "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"),
                      (day, "700.000", "chuyen tien", "FT002", "PHAM MINH"),
                      (day, "300.000", "chuyen tien", "FT003", "LE AN"))
    response = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert response.status_code == 202, response.json()
    body = response.json()
    statement = BankStatementImport.objects.get()
    assert body["id"] == statement.pk and response["Location"].endswith(f"{STATEMENTS}{statement.pk}/")
    assert queued == [("donations.tasks.bank_statement_import_task", (statement.pk,))]
    # Stored, read (its layout and lines counted for the client's progress), not imported.
    assert (body["status"], body["lines_done"], body["attempts"], body["finished_at"]) == ("pending", 0, 0, None)
    assert (body["format"], body["lines_credit"], body["lines_new"], body["lines_matched"]) == ("generic", 3, 0, 0)
    assert bytes(statement.content) == content
    assert BankStatementLine.objects.count() == Payment.objects.count() == 0
    assert api.get(response["Location"]).json()["status"] == "pending"

    # A repeat of the key answers the same job and queues nothing; another body under it is a 422.
    repeat = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert (repeat.status_code, repeat.json(), repeat["Location"]) == (200, body, response["Location"])
    assert upload(api, content, format="generic", HTTP_IDEMPOTENCY_KEY="sao-ke-1").status_code == 422
    assert len(queued) == 1 and BankStatementImport.objects.count() == 1

    # The worker's part; the client polls until done.
    assert bank_statement_import_task(statement.pk) == "done"
    polled = api.get(response["Location"]).json()
    assert (polled["status"], polled["lines_done"], polled["lines_matched"], polled["lines_unmatched"]) == ("done", 3, 1, 2)
    assert polled["amount_matched"] == 5_000_000 and Payment.objects.get().pledge == pledge
    assert upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1").json() == polled
    assert len(queued) == 1


def test_a_repeated_key_answers_the_first_import_and_writes_nothing(api, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = DAY.strftime("%d/%m/%Y")
    content = generic((day, "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"))
    first = imported(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert first["lines_matched"] == 1
    counts = written()

    repeat = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert (repeat.status_code, repeat.json()) == (200, first)
    # Another file (other bytes), another campaign or another format under the same key: a 422.
    other_file = generic((day, "700.000", "chuyen tien", "FT002", "PHAM MINH"))
    for refused in (
        upload(api, other_file, HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
        upload(api, content, campaign=campaign.slug, HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
        upload(api, content, format="generic", HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
    ):
        assert refused.status_code == 422, refused.json()
        assert (refused.json()["code"], list(refused.json()["errors"])) == ("idempotency_key_reused", ["idempotency_key"])
        assert set(refused.json()) == {"code", "message", "errors"}
    assert written() == counts


def test_the_same_file_without_a_key_is_a_second_import_with_no_new_line(api, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    content = generic((DAY.strftime("%d/%m/%Y"), "5.000.000", f"ung ho {pledge.reference}", "", "NGUYEN VAN DUC"))
    assert imported(api, content)["lines_matched"] == 1
    again = imported(api, content)  # no bank reference: the line's key is a hash of its content
    assert (again["lines_credit"], again["lines_new"], again["lines_matched"]) == (1, 0, 0)
    assert (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count()) == (2, 1, 1)


@pytest.mark.parametrize(("content", "message"), [
    (b"not,a,statement\n", "Không nhận ra mẫu sao kê"),
    (generic((DAY.strftime("%d/%m/%Y"), "5.000.000", "ung ho", "FT1", ""), ("32/13/2026", "1.000", "x", "FT2", "")),
     "Dòng 3: không đọc được ngày giao dịch “32/13/2026”."),
    (b"", "rỗng"),  # DRF: "Tập tin được gửi là rỗng."
])
def test_a_file_that_cannot_be_read_is_a_400_at_once_and_nothing_is_written_or_queued(api, unit, queued, content, message):
    # With a key: the key is not spent either, so the corrected file may be sent under it.
    response = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid" and list(response.json()["errors"]) == ["file"]
    assert any(message in text for text in response.json()["errors"]["file"]), response.json()
    assert written() == (0, 0, 0, 0, 0) and queued == []
    assert upload(api, generic((DAY.strftime("%d/%m/%Y"), "1.000", "x", "FT1", "")), HTTP_IDEMPOTENCY_KEY="sao-ke-1").status_code == 202


def test_unknown_unit_or_campaign_is_a_400_in_vietnamese(api, unit, queued):
    content = generic((DAY.strftime("%d/%m/%Y"), "1.000", "x", "FT1", ""))
    assert upload(api, content, unit="XX").json()["errors"] == {"unit": ["Không tìm thấy đơn vị."]}
    assert upload(api, content, campaign="khong-co").json()["errors"] == {"campaign": ["Không tìm thấy chiến dịch."]}
    assert written() == (0, 0, 0, 0, 0) and queued == []


def test_match_a_waiting_line_to_a_pledge_records_its_payment(api, treasurer, campaign):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    upload(api, generic((DAY.strftime("%d/%m/%Y"), "700.000", "chuyen tien", "FT9", "ANH HUNG")))
    line = BankStatementLine.objects.get()
    assert line.status == "unmatched"
    response = api.post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference.lower()}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["pledge"], response.json()["resolved_by"]) == (
        "manual", pledge.reference, "thuquy"
    )
    payment = Payment.objects.get()
    assert (payment.pledge, payment.amount, payment.bank_reference) == (pledge, 700_000, "FT9")
    assert api.post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 400
    assert Payment.objects.count() == 1


def test_ignore_needs_a_reason(api, campaign):
    upload(api, generic((DAY.strftime("%d/%m/%Y"), "12.345", "lai tien gui", "FT-LAI", "")))
    line = BankStatementLine.objects.get()
    assert api.post(f"{LINES}{line.pk}/ignore/", {"reason": " "}, format="json").status_code == 400
    response = api.post(f"{LINES}{line.pk}/ignore/", {"reason": "Lãi tiền gửi"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def test_another_units_code_or_campaign_is_answered_as_one_that_does_not_exist(
    campaign, other_campaign, stranger, queued
):
    """`donations.selectors.unit_for_money` and `campaign_for_money`, as the pledge POST's campaign:
    a stranger (Nghệ An's treasurer) naming Thanh Hóa or its campaign learns nothing of them, not
    even that they exist (a 403 would tell); nothing is written or queued, and the file is not read
    (an unreadable one gets the same answer, not a 400 on `file`)."""
    client = client_for(stranger)
    content = generic((DAY.strftime("%d/%m/%Y"), "700.000", "chuyen tien", "FT9", "ANH HUNG"))
    counts = written()
    for made_up, foreign in (
        ({"unit": "XX"}, {"unit": "TH"}),
        ({"unit": "NA", "campaign": "khong-co-2026"}, {"unit": "NA", "campaign": campaign.slug}),
    ):
        missing = upload(client, content, **made_up, HTTP_IDEMPOTENCY_KEY="k-missing")
        refused = upload(client, content, **foreign, HTTP_IDEMPOTENCY_KEY="k-foreign")
        assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
        assert missing.status_code == 400
    assert upload(client, content, unit="TH").json()["errors"] == {"unit": ["Không tìm thấy đơn vị."]}
    assert upload(client, b"not,a,statement\n", unit="TH").json()["errors"] == {"unit": ["Không tìm thấy đơn vị."]}
    assert upload(client, content, unit="NA", campaign=campaign.slug).json()["errors"] == {
        "campaign": ["Không tìm thấy chiến dịch."]
    }
    assert written() == counts and queued == []
    # Their own unit and campaign are found.
    assert upload(client, content, unit="NA", campaign=other_campaign.slug).status_code == 202


def test_another_units_statements_are_invisible_and_refused(api, campaign, other_campaign, stranger, auditor, queued):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    content = generic((DAY.strftime("%d/%m/%Y"), "700.000", "chuyen tien", "FT9", "ANH HUNG"))
    counts = written()
    # An auditor finds their unit (they may read its money) and may not import into it: the
    # service refuses (403), nothing written or queued; the file is not even read (an unreadable
    # one is refused the same way, not a 400).
    assert upload(client_for(auditor), content, HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    assert upload(client_for(auditor), b"not,a,statement\n").status_code == 403
    assert upload(client_for(auditor), content, campaign=campaign.slug).status_code == 403
    assert upload(client_for(), content).status_code in (401, 403)
    assert written() == counts and queued == []
    queued_upload = upload(api, content)
    assert queued_upload.status_code == 202
    bank_statement_import_task(queued_upload.json()["id"])
    line = BankStatementLine.objects.get()
    assert client_for(stranger).get(LINES).json()["results"] == []
    assert client_for(stranger).get(STATEMENTS).json()["count"] == 0
    assert client_for(stranger).get(queued_upload["Location"]).status_code == 404
    assert client_for(stranger).post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 404
    assert client_for(auditor).post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 403
    assert client_for(auditor).post(f"{LINES}{line.pk}/ignore/", {"reason": "x"}, format="json").status_code == 403
    line.refresh_from_db()
    assert (line.status, Payment.objects.count()) == ("unmatched", 0)


def _statement(client, start, count):
    rows = [(DAY.strftime("%d/%m/%Y"), f"{100_000 + index}", f"chuyen tien {index}", f"FT{index}", "")
            for index in range(start, start + count)]
    assert upload(client, generic(*rows)).status_code == 202


# Lines: memberships and the page (pledge and resolver joined), no count (cursor).
# Statements: memberships, the count, the page (unit, campaign, importer joined).
@pytest.mark.parametrize(("url", "queries"), [(LINES, 2), (STATEMENTS, 3)])
def test_lists_run_the_same_queries_for_5_and_50_rows(api, treasurer, unit, url, queries, django_assert_num_queries):
    if url == STATEMENTS:
        for index in range(5):
            _statement(api, index, 1)
    else:
        _statement(api, 0, 5)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        small = api.get(url, {"limit": 100}).json()["results"]
    if url == STATEMENTS:
        for index in range(5, 50):
            _statement(api, index, 1)
    else:
        _statement(api, 5, 45)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        large = api.get(url, {"limit": 100}).json()["results"]
    assert (len(small), len(large)) == (5, 50)


# The upload: the user's memberships (the permission check; kept on the user for the unit's and
# the campaign's scope and the service's access check), the unit, the campaign (with its unit),
# the savepoint of the import's row, its INSERT and its audit row's, the release, the statement read
# back for the answer. Nothing is queried for the scope itself.
@pytest.mark.parametrize(("fields", "queries"), [({}, 7), ({"campaign": "tet-khuyen-hoc-2026"}, 8)])
def test_an_upload_runs_a_fixed_number_of_queries(treasurer, campaign, queued, fields, queries, django_assert_num_queries):
    content = generic((DAY.strftime("%d/%m/%Y"), "1.000", "x", "FT1", ""))
    client = client_for(fresh(treasurer))
    with django_assert_num_queries(queries):
        assert upload(client, content, **fields).status_code == 202

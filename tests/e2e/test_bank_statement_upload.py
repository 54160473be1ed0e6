"""A bank statement uploaded through the admin is imported by the worker while a progress bar follows it.

A real `celery -A fundmgr worker` (tests/workers.py: a private redis-server, the PostgreSQL test
database), the live server and Debian's chromium. The worker is started only after the upload's
response has come back: the page the browser lands on is the progress page of a job that is still
pending, so the request did not do the import. Then the worker runs, and the bar (moved by
static/js/job_progress.js polling the JSON endpoint) reaches 100 %.

The suite runs it with 300 lines. The 20,000-line statement of issue #16 (200 payments and 19,800
lines for the reconciliation queue: several minutes on a loaded 2-core machine) runs only when
asked: `FUNDMGR_TWENTY_THOUSAND=1 CI=true DATABASE_URL=postgres://… pytest tests/e2e/test_bank_statement_upload.py`
(docs/bank-statements.md). It writes how long the upload's request took to
var/test-artifacts/bank-upload-<lines>.txt; no test asserts a time.

Screenshots: var/test-artifacts/bank-upload-<lines>-{queued,running,done}.png.

The API's upload (`POST /api/v1/bank-statements/`) is the same job: with the same worker, a 202
answered while the job is pending (one message on the broker's `imports` queue, a repeated
Idempotency-Key adding none), then polled at its `Location` until the worker has imported it.
"""

import datetime
import os
import time

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from donations.models import BankStatementImport, BankStatementLine, Payment
from fundmgr.orgs.models import Membership
from tests.campaigns import factories
from tests.conftest import require_executable
from tests.receipts.conftest import chart_install
from tests.workers import new_rig, wait_until

from .browser import chromium_launched

PASSWORD = "mat-khau-thu-quy-2026"
LONG_RUN = os.environ.get("FUNDMGR_TWENTY_THOUSAND") == "1"


def statement_file(pledges, lines: int) -> bytes:
    """One line per pledge with its reference (a payment each), the rest without (the queue)."""
    day = (timezone.localdate() - datetime.timedelta(days=2)).strftime("%d/%m/%Y")
    rows = ["Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển"]
    for number, pledge in enumerate(pledges):
        rows.append(f'{day},{pledge.amount},"ung ho {pledge.reference}",FT{number:08d},"NGUYEN VAN AN"')
    for number in range(lines - len(pledges)):
        rows.append(f'{day},{10_000 + number},"chuyen tien {number}",FX{number:08d},"TRAN THI {number}"')
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lines", [
    300,
    pytest.param(20_000, id="twenty_thousand", marks=pytest.mark.skipif(
        not LONG_RUN, reason="the 20,000-line run takes minutes: FUNDMGR_TWENTY_THOUSAND=1 runs it")),
])
def test_an_uploaded_statement_is_imported_by_the_worker_under_a_progress_bar(
    lines, live_server, tmp_path, artifacts_dir, publish_to, django_user_model,
):
    chromium = require_executable("chromium")
    rig = new_rig(tmp_path)
    chart_install()
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit))
    # A tenth of the suite's lines are payments; of the long run's, a hundredth (200 payments and
    # 19,800 lines for the queue): recording a payment is the slow part, and the run must end on a
    # loaded machine.
    pledges = [factories.pledge_make(campaign, amount=100_000 + number * 1_000, name="Nguyễn Văn An")
               for number in range(lines // 10 if lines <= 1000 else lines // 100)]
    content = statement_file(pledges, lines)
    upload_path = tmp_path / f"sao-ke-{lines}.csv"
    upload_path.write_bytes(content)
    treasurer = django_user_model.objects.create_user(username="thuquy", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=treasurer, unit=unit, role=Membership.Role.TREASURER)
    problems = []
    try:
        rig.redis.start()
        publish_to(rig.redis.url)
        with chromium_launched(chromium) as browser:
            page = browser.new_page(locale="vi-VN", viewport={"width": 1366, "height": 800})
            # A missing resource shows as a failed response (below), with its address; the browser's
            # own request for /favicon.ico is not the page's.
            page.on("console", lambda message: message.type == "error" and not message.text.startswith(
                "Failed to load resource") and problems.append(message.text))
            page.on("response", lambda response: response.status >= 400 and not response.url.endswith(
                "/favicon.ico") and problems.append(f"{response.status} {response.url}"))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "thuquy")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")

            page.goto(f"{live_server.url}/admin/donations/bankstatementimport/add/")
            page.select_option("#id_unit", str(unit.pk))
            page.set_input_files("#id_file", str(upload_path))
            started = time.perf_counter()
            with page.expect_response(lambda response: response.request.method == "POST") as posted:
                page.click("input[type=submit]")
            page.wait_for_selector("#job-progress", timeout=60_000)
            seconds = time.perf_counter() - started
            # The upload's own request, as the browser timed it: from its start to the last byte of
            # the answer (the redirect), in milliseconds.
            posted.value.finished()
            upload_ms = posted.value.request.timing["responseEnd"]

            statement = BankStatementImport.objects.get()
            assert page.url.endswith(f"/admin/donations/bankstatementimport/{statement.pk}/progress/")
            # No worker yet: the response came back with the job queued, nothing imported.
            assert statement.status == "pending" and BankStatementLine.objects.count() == 0
            (artifacts_dir / f"bank-upload-{lines}.txt").write_text(
                f"{lines} lines ({len(content):,} bytes): the upload's POST answered in {upload_ms / 1000:.2f} s; "
                f"click to progress page shown: {seconds:.2f} s\n"
            )
            page.screenshot(path=str(artifacts_dir / f"bank-upload-{lines}-queued.png"), full_page=True)

            rig.worker.start()
            page.wait_for_selector("#job-progress[data-status=running], #job-progress[data-status=done]", timeout=120_000)
            page.screenshot(path=str(artifacts_dir / f"bank-upload-{lines}-running.png"), full_page=True)
            page.wait_for_selector("#job-progress[data-status=done]", timeout=(1_800_000 if lines > 1000 else 180_000))
            assert page.inner_text("#job-progress-percent") == "100 %"
            assert page.get_attribute("#job-progress-bar", "value") == "100"
            assert page.inner_text("#job-progress-count") == f"{lines} / {lines}"
            page.screenshot(path=str(artifacts_dir / f"bank-upload-{lines}-done.png"), full_page=True)
            page.click("#job-progress-next-link")
            assert "bankstatementline" in page.url
            page.close()
    except Exception:
        print(rig.worker.log()[-4000:])
        raise
    finally:
        rig.stop()

    statement.refresh_from_db()
    assert (statement.status, statement.lines_done, statement.lines_credit) == ("done", lines, lines)
    assert (statement.lines_matched, statement.lines_unmatched) == (len(pledges), lines - len(pledges))
    assert Payment.objects.count() == len(pledges)
    assert problems == []


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_api_upload_is_accepted_pending_and_imported_by_the_worker(tmp_path, publish_to, django_user_model):
    rig = new_rig(tmp_path)
    chart_install()
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit))
    pledges = [factories.pledge_make(campaign, amount=100_000 + number * 1_000, name="Nguyễn Văn An") for number in range(5)]
    content = statement_file(pledges, 120)
    treasurer = django_user_model.objects.create_user(username="thuquy", password=PASSWORD)
    Membership.objects.create(user=treasurer, unit=unit, role=Membership.Role.TREASURER)
    api = APIClient()
    api.force_authenticate(treasurer)

    def post():
        return api.post("/api/v1/bank-statements/", {
            "unit": unit.code, "file": SimpleUploadedFile("sao-ke.csv", content, content_type="text/csv"),
        }, format="multipart", HTTP_IDEMPOTENCY_KEY="sao-ke-thang-1")

    try:
        rig.redis.start()
        publish_to(rig.redis.url)
        broker = redis.Redis.from_url(rig.redis.url)
        response = post()
        assert response.status_code == 202, response.json()
        # No worker yet: accepted, pending, one message waiting; a repeat of the key sends none.
        assert (response.json()["status"], response.json()["lines_done"], response.json()["lines_credit"]) == ("pending", 0, 120)
        assert BankStatementLine.objects.count() == 0 and broker.llen("imports") == 1
        repeat = post()
        assert (repeat.status_code, repeat.json()["id"]) == (200, response.json()["id"])
        assert broker.llen("imports") == 1

        rig.worker.start()
        polled = wait_until(lambda: (body := api.get(response["Location"]).json())["status"] in ("done", "failed") and body,
                            timeout=180, interval=0.5, what="the worker to import the statement")
    except Exception:
        print(rig.worker.log()[-4000:])
        raise
    finally:
        rig.stop()

    assert (polled["status"], polled["lines_done"], polled["lines_matched"], polled["lines_unmatched"]) == ("done", 120, 5, 115)
    assert Payment.objects.count() == 5 and BankStatementImport.objects.get().attempts == 1

"""Report runs in the API: ask (through `report_run_create`), poll, download; with eager Celery."""

import csv
import io

import pytest

from fundmgr.core.outbox import JobStatus
from fundmgr.reports.models import ReportRun

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, client_for, fresh, pledges_paid

pytestmark = pytest.mark.django_db

URL = "/api/v1/report-runs/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def ask(client, capture, **body):
    body = {"kind": "general_journal", "format": "csv", "unit": "TH",
            "parameters": {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}, **body}
    with capture(execute=True):
        return client.post(URL, body, format="json")


def download(client, url):
    response = client.get(url)
    return response, b"".join(response.streaming_content) if response.streaming else response.content


def test_create_poll_download_through_the_worker(api, campaign, settings, django_capture_on_commit_callbacks):
    settings.REPORT_INLINE_MAX_ROWS = 0  # never in the request: the (eager) Celery task writes it
    pledges_paid(campaign, 3, paid=200_000)
    response = ask(api, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["kind"], created["domain"], created["unit"], created["requested_by"]) == (
        "general_journal", "ledger", "TH", "thuquy"
    )
    run = api.get(f"{URL}{created['id']}/").json()
    assert (run["status"], run["progress"]) == ("done", {"done": 6, "total": 6})  # 3 entries of 2 lines
    assert run["manifest"]["rows"] == 6 and run["file_url"].endswith(f"{URL}{created['id']}/file/")
    file_response, content = download(api, run["file_url"])
    assert file_response.status_code == 200
    assert file_response["Content-Type"].startswith("text/csv")
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    debit, credit = header.index("Nợ"), header.index("Có")
    assert len(rows) == 6
    assert sum(int(row[debit] or 0) for row in rows) == sum(int(row[credit] or 0) for row in rows) == 600_000


def test_a_run_not_done_yet_is_polled_and_its_file_is_a_409(api, campaign, settings, django_capture_on_commit_callbacks):
    settings.REPORT_INLINE_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(URL, {"kind": "general_journal", "unit": "TH"}, format="json")
    assert response.status_code == 201
    run = api.get(f"{URL}{response.json()['id']}/").json()
    assert (run["status"], run["file_url"]) == ("pending", None)
    assert api.get(f"{URL}{run['id']}/file/").status_code == 409


def test_a_repeated_idempotency_key_returns_the_first_run_and_starts_nothing(api, campaign):
    body = {"kind": "general_journal", "format": "csv", "unit": "TH",
            "parameters": {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}}
    unkeyed = [api.post(URL, body, format="json").status_code for _ in range(2)]  # no key: a run each time
    one = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bao-cao-1")
    two = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="bao-cao-1")
    other = api.post(URL, {**body, "format": "xlsx"}, format="json", HTTP_IDEMPOTENCY_KEY="bao-cao-1")

    assert (unkeyed, one.status_code, two.status_code) == ([201, 201], 201, 200)
    assert two.json()["id"] == one.json()["id"]
    assert other.status_code == 422 and list(other.json()["errors"]) == ["idempotency_key"]
    assert ReportRun.objects.count() == 3


def test_refusals(api, stranger, unit, other_unit, django_capture_on_commit_callbacks):
    assert ask(api, django_capture_on_commit_callbacks, kind="khong-co").status_code == 400
    bad_dates = ask(api, django_capture_on_commit_callbacks, parameters={"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad_dates.status_code == 400
    assert ask(api, django_capture_on_commit_callbacks, unit="NA").status_code == 403  # another unit
    assert ask(client_for(), django_capture_on_commit_callbacks).status_code in (401, 403)
    assert not ReportRun.objects.exists()
    mine = ask(api, django_capture_on_commit_callbacks).json()
    assert client_for(stranger).get(f"{URL}{mine['id']}/").status_code == 404
    assert client_for(stranger).get(f"{URL}{mine['id']}/file/").status_code == 404
    assert client_for(stranger).get(URL).json()["count"] == 0


# Memberships, the count, the page (unit and requester joined); the visibility rule is one
# subquery per domain inside that query; progress of running runs comes from the cache.
def test_the_list_runs_the_same_queries_for_5_and_50_runs(api, treasurer, unit, django_assert_num_queries):
    def runs(count):
        ReportRun.objects.bulk_create(
            ReportRun(kind="general_journal", domain="ledger", unit=unit, requested_by=treasurer, status=JobStatus.DONE)
            for _ in range(count)
        )

    runs(5)
    with django_assert_num_queries(3):
        small = api.get(URL, {"limit": 100}).json()
    runs(45)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(3):
        large = api.get(URL, {"limit": 100}).json()
    assert (small["count"], large["count"]) == (5, 50)

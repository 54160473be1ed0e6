"""An auditor runs the general journal from the admin in a real browser (Debian's chromium,
headless), watches its progress bar (the page refreshes itself: no script), downloads the file and
the manifest, and the manifest's SHA-256 is the file's.

The journal is the real exporter over real entries of the auditor's commune; only its rows are
held at half-way until the test has seen the bar there, so that the page is caught mid-run however
fast or slow the machine is (a pause of fixed length was a race on a loaded machine).

The run is done by the same service the worker calls, in a thread of the test, so the page shows a
real run in progress. Screenshots for a person to look at land in var/test-artifacts/:
report-add.png (the parameters), report-running.png (the progress bar), report-done.png (the run
with its manifest) and report-list.png (the "Báo cáo" list with the download links).
"""

import csv
import dataclasses
import datetime
import hashlib
import io
import json
import threading

import pytest
from django.db import connection

from fundmgr.core import exporting, outbox
from fundmgr.ledger import accounts
from fundmgr.ledger import exporters as ledger_exporters
from fundmgr.ledger.services import Line, entry_post
from fundmgr.reports import services
from fundmgr.reports.models import ReportRun
from tests.conftest import require_executable
from tests.e2e.browser import chromium_launched

from .conftest import PASSWORD

REPORT = "general_journal"
REPORT_TITLE = "Sổ nhật ký chung"
ENTRIES = 300  # of two lines each, in the auditor's commune
LINES = 2 * ENTRIES


@pytest.fixture
def paced_general_journal(registry, funds, units):
    """The project's ledger exporters in the test registry, the journal's rows held at half-way
    until the returned event is set; its entries."""
    ledger_exporters.exporters_register()
    journal = exporting.exporter_get(REPORT)
    go_on = threading.Event()

    def paced_rows(request):
        for number, row in enumerate(journal.rows(request)):
            if number == LINES // 2:
                go_on.wait(timeout=300)  # the test sets it once it has seen the bar mid-run
            yield row

    # No fast writer: PostgreSQL's COPY path would write the file in one go, with nothing to watch.
    registry[REPORT] = dataclasses.replace(journal, rows=paced_rows, fast_writers={})
    fund = funds["QKH-HT"]
    for number in range(ENTRIES):
        entry_post(
            unit=units.commune_a, date=datetime.date(2026, 2, 1), memo=f"Thu ủng hộ {number + 1}",
            lines=[Line(accounts.CASH, fund, debit=100_000), Line(accounts.DONATION_INCOME, fund, credit=100_000)],
        )
    entry_post(  # another commune's entry: not in this auditor's journal
        unit=units.commune_b, date=datetime.date(2026, 2, 1), memo="Thu ủng hộ Sầm Sơn",
        lines=[Line(accounts.CASH, funds["QKH-SS"], debit=7_000), Line(accounts.DONATION_INCOME, funds["QKH-SS"], credit=7_000)],
    )
    return go_on


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_auditor_runs_the_general_journal_watches_it_and_checks_the_manifest(
    live_server, artifacts_dir, auditor_a, units, settings, monkeypatch, paced_general_journal,
):
    chromium = require_executable("chromium")
    settings.REPORT_INLINE_MAX_ROWS = 0
    settings.REPORT_PROGRESS_EVERY = 50
    queued = []
    monkeypatch.setattr(outbox, "enqueue_jobs", queued.extend)  # the test plays the worker

    def worker():
        try:
            services.report_run_execute(run_id=queued[0].pk)
        finally:
            connection.close()

    with chromium_launched(chromium) as browser:
        context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 800}, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/reportrun/add/")
        page.fill("#id_username", auditor_a.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/reports/reportrun/add/")
        page.check(f"input[name=kind][value={REPORT}]")
        page.click("input[type=submit]")
        page.select_option("#id_report_format", "csv")
        page.screenshot(path=str(artifacts_dir / "report-add.png"), full_page=True)
        page.click("input[type=submit][name=run]")
        page.wait_for_url("**/admin/reports/reportrun/*/change/")
        assert "Chờ xử lý" in page.inner_text("#content") and len(queued) == 1

        thread = threading.Thread(target=worker)
        thread.start()
        # The page reloads itself every few seconds while the run is open.
        page.wait_for_selector(".report-running", timeout=20_000)
        page.wait_for_function("document.querySelector('progress.report-progress')?.value > 0", timeout=60_000)
        page.screenshot(path=str(artifacts_dir / "report-running.png"), full_page=True)
        seen_progress = float(page.get_attribute("progress.report-progress", "value") or 0)
        paced_general_journal.set()  # let the run finish
        page.wait_for_selector(".report-done", timeout=120_000)
        thread.join(timeout=30)
        page.screenshot(path=str(artifacts_dir / "report-done.png"), full_page=True)

        page.goto(f"{live_server.url}/admin/reports/reportrun/")
        page.screenshot(path=str(artifacts_dir / "report-list.png"), full_page=True)
        listing = page.inner_text("#result_list")
        with page.expect_download() as download:
            page.click("a.report-file")
        content = open(download.value.path(), "rb").read()
        with page.expect_download() as download:
            page.click("a.report-manifest")
        manifest = json.loads(open(download.value.path(), "rb").read())

    run = ReportRun.objects.get()
    assert 0 < seen_progress < LINES
    assert REPORT_TITLE in listing and auditor_a.username in listing
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest() == run.manifest["sha256"]
    assert manifest["rows"] == LINES and manifest["report"] == REPORT
    # The file is the commune's journal: its lines only, debits equal to credits.
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    assert len(rows) == LINES and {row[2] for row in rows} == {units.commune_a.code}
    assert sum(int(row[-2] or 0) for row in rows) == sum(int(row[-1] or 0) for row in rows) == ENTRIES * 100_000

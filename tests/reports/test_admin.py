"""The admin's "Báo cáo" page with the test client: the list, asking for a run, the downloads, and
the refusals."""

import datetime
import hashlib
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.models import Membership
from fundmgr.reports import services
from fundmgr.reports.models import ReportRun

pytestmark = pytest.mark.django_db

REPORT = "test_lines"  # after the merge: "general_journal" (then post that exporter's parameters)
CHANGELIST = reverse("admin:reports_reportrun_changelist")
ADD = reverse("admin:reports_reportrun_add")


def file_url(run):
    return reverse("admin:reports_reportrun_file", args=[run.pk])


def manifest_url(run):
    return reverse("admin:reports_reportrun_manifest", args=[run.pk])


def run_for(user, django_capture_on_commit_callbacks, *, kind=REPORT, data=None, unit=None, execute=True):
    with django_capture_on_commit_callbacks(execute=execute):
        run = services.report_run_create(kind=kind, data=data or {"rows": "3"}, format="csv", by=user, unit=unit)
    run.refresh_from_db()
    return run


def test_an_auditor_asks_for_a_report_and_downloads_the_file_and_the_manifest(client, auditor_a, units, django_capture_on_commit_callbacks):
    client.force_login(auditor_a)
    choices = client.get(ADD)
    assert choices.status_code == 200
    text = choices.content.decode()
    assert "Sổ thử" in text and "Danh sách quỹ (thử)" in text and f'value="{REPORT}"' in text

    page = client.get(ADD, {"kind": REPORT})
    assert page.status_code == 200 and 'name="rows"' in page.content.decode() and 'name="report_format"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, {"kind": REPORT, "rows": "12", "report_format": "csv", "report_unit": str(units.commune_a.pk)})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:reports_reportrun_change", args=[run.pk])
    assert (run.requested_by, run.unit, run.parameters, run.status) == (auditor_a, units.commune_a, {"rows": "12"}, JobStatus.DONE)

    listing = client.get(CHANGELIST).content.decode()
    assert "Sổ thử" in listing and "rows=12" in listing and '<progress class="report-progress" max="12" value="12"' in listing
    assert file_url(run) in listing and manifest_url(run) in listing
    assert 'http-equiv="refresh"' not in listing  # nothing left to wait for

    download = client.get(file_url(run))
    content = b"".join(download.streaming_content)
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{REPORT}-{run.pk}.csv"' in download["Content-Disposition"]
    manifest = json.loads(client.get(manifest_url(run)).content)
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest() and manifest["rows"] == 12
    assert manifest["report"] == REPORT and manifest["unit"] == "TH-HT"

    detail = client.get(reverse("admin:reports_reportrun_change", args=[run.pk])).content.decode()
    assert manifest["sha256"] in detail and "Lưu" not in detail  # read-only: no save button
    assert "78.000\xa0₫" in detail  # the amount column's total, as amounts are shown


def test_the_list_refreshes_while_a_run_is_pending(client, auditor_a, units, settings, django_capture_on_commit_callbacks):
    settings.REPORT_INLINE_MAX_ROWS = 0
    run = run_for(auditor_a, django_capture_on_commit_callbacks, execute=False)
    client.force_login(auditor_a)
    listing = client.get(CHANGELIST).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in listing and "Chờ xử lý" in listing
    assert '<meta http-equiv="refresh"' in client.get(reverse("admin:reports_reportrun_change", args=[run.pk])).content.decode()
    assert client.get(file_url(run)).status_code == 404  # not done yet


def test_parameters_the_form_refuses_are_shown_and_nothing_is_asked(client, auditor_a, units):
    client.force_login(auditor_a)
    response = client.post(ADD, {"kind": REPORT, "rows": "-4", "report_format": "csv"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert ReportRun.objects.count() == 0


def test_a_unit_outside_the_scope_is_not_offered_and_a_forged_one_is_refused(client, auditor_a, units):
    client.force_login(auditor_a)
    page = client.get(ADD, {"kind": REPORT}).content.decode()
    assert units.commune_a.name in page and units.commune_b.name not in page
    response = client.post(ADD, {"kind": REPORT, "rows": "1", "report_format": "csv", "report_unit": str(units.commune_b.pk)})
    assert response.status_code == 200 and ReportRun.objects.count() == 0


def test_a_user_who_may_run_no_report_has_no_reports_page(client, nominator):
    # A nominator exports students (no report here is of that domain), not money or the ledger.
    client.force_login(nominator)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"kind": REPORT, "rows": "1", "report_format": "csv"}).status_code == 403
    assert ReportRun.objects.count() == 0


def test_only_reports_the_user_may_run_are_offered(client, make_user, units):
    # A scholarship committee member may export the awards, not money or the ledger.
    member = make_user("hoidong_xa", role=Membership.Role.COMMITTEE, unit=units.commune_a)
    client.force_login(member)
    page = client.get(ADD).content.decode()
    assert 'value="test_awards"' in page and 'value="test_lines"' not in page and 'value="test_funds"' not in page
    response = client.post(ADD, {"kind": "test_lines", "report_format": "csv"})
    assert ReportRun.objects.count() == 0 and "errornote" in response.content.decode()
    assert 'value="test_awards"' in response.content.decode()


def test_a_treasurer_runs_the_books_and_the_awards_they_pay(client, make_user, units):
    treasurer = make_user("thuquy_xa", role=Membership.Role.TREASURER, unit=units.commune_a)
    client.force_login(treasurer)
    page = client.get(ADD).content.decode()
    assert 'value="test_lines"' in page and 'value="test_funds"' in page and 'value="test_awards"' in page


def test_the_reports_are_offered_by_group_each_with_its_description(client, make_user, units, monkeypatch):
    import dataclasses

    from fundmgr.core import exporting

    described = dataclasses.replace(exporting.exporter_get("test_funds"), description="Mọi quỹ với số dư.")
    monkeypatch.setitem(exporting._exporters, "test_funds", described)
    treasurer = make_user("thuquy_xa", role=Membership.Role.TREASURER, unit=units.commune_a)
    client.force_login(treasurer)
    page = client.get(ADD).content.decode()

    books, money, awards = (page.index(f'<h3 class="report-group">{title}</h3>')
                            for title in ("Sổ sách kế toán", "Tiếp nhận ủng hộ", "Học bổng"))
    assert books < page.index('value="test_lines"') < money < page.index('value="test_funds"') < awards
    assert awards < page.index('value="test_awards"')
    # The description sits in the report's own item, right under its button.
    item = page[page.index('value="test_funds"'):]
    assert item.index('<div class="help">Mọi quỹ với số dư.</div>') < item.index("</li>")

    committee = make_user("hoidong_xa", role=Membership.Role.COMMITTEE, unit=units.commune_a)
    client.force_login(committee)
    page = client.get(ADD).content.decode()
    assert "Học bổng</h3>" in page and "Sổ sách kế toán" not in page and "Tiếp nhận ủng hộ</h3>" not in page


def test_other_communes_users_neither_see_nor_download_a_run(client, auditor_a, make_user, treasurer, units, django_capture_on_commit_callbacks):
    run = run_for(auditor_a, django_capture_on_commit_callbacks, unit=units.commune_a)
    whole = run_for(auditor_a, django_capture_on_commit_callbacks)  # over the requester's whole scope
    other = make_user("kiemtra_samson", role=Membership.Role.AUDITOR, unit=units.commune_b)
    client.force_login(other)
    assert client.get(CHANGELIST).context["cl"].result_count == 0
    for url in (file_url(run), manifest_url(run), reverse("admin:reports_reportrun_change", args=[run.pk])):
        assert client.get(url).status_code in (302, 404), url  # the change view redirects to the index
    assert client.get(file_url(run)).status_code == 404

    # The province's treasurer may export the ledger over commune A: they see that run, not the other.
    client.force_login(treasurer)
    listing = client.get(CHANGELIST)
    assert [row.pk for row in listing.context["cl"].result_list] == [run.pk]
    assert client.get(file_url(run)).status_code == 200
    assert client.get(file_url(whole)).status_code == 404


def test_an_expired_file_says_so(client, auditor_a, units, django_capture_on_commit_callbacks):
    run = run_for(auditor_a, django_capture_on_commit_callbacks)
    ReportRun.objects.filter(pk=run.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.report_files_expire()
    client.force_login(auditor_a)
    response = client.get(file_url(run))
    assert response.status_code == 410 and "đã hết hạn" in response.content.decode()
    assert json.loads(client.get(manifest_url(run)).content)["rows"] == 3  # the record stays
    assert "Tệp đã hết hạn" in client.get(CHANGELIST).content.decode()


def test_runs_are_never_changed_or_deleted_in_the_admin(client, auditor_a, units, django_capture_on_commit_callbacks):
    run = run_for(auditor_a, django_capture_on_commit_callbacks)
    client.force_login(auditor_a)
    assert client.post(reverse("admin:reports_reportrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:reports_reportrun_change", args=[run.pk]), {"kind": "x"})
    run.refresh_from_db()
    assert run.kind == REPORT and ReportRun.objects.count() == 1


def test_the_english_admin_says_it_in_english(client, auditor_a, units, django_capture_on_commit_callbacks):
    run_for(auditor_a, django_capture_on_commit_callbacks)
    client.force_login(auditor_a)
    listing = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reports" in listing and "Done" in listing and "manifest (JSON)" in listing


def test_the_lists_queries_do_not_grow_with_its_rows(client, auditor_a, units, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(auditor_a)
    run_for(auditor_a, django_capture_on_commit_callbacks)
    client.get(CHANGELIST)  # the session and the user are loaded alike on both pages
    with CaptureQueriesContext(connection) as one:
        client.get(CHANGELIST)
    for _ in range(4):
        run_for(auditor_a, django_capture_on_commit_callbacks, unit=units.commune_a)
    with CaptureQueriesContext(connection) as five:
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 5
    assert len(five.captured_queries) == len(one.captured_queries)

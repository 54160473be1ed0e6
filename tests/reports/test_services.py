"""The report runs' services: who may ask, what a run reads, running twice, progress, the manifest,
expiry. The test exporters come from `exporters.py` (a registry of the test's own)."""

import csv
import datetime
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.models import Membership
from fundmgr.reports import selectors, services
from fundmgr.reports.models import ReportRun

pytestmark = pytest.mark.django_db

# The report the scoping tests run. After the merge with the ledger's exporters this may be pointed
# at "general_journal" (whose rows carry a unit code in the "unit" column).
SCOPED_REPORT = "test_funds"


@pytest.fixture(autouse=True)
def _by_the_worker(settings):
    settings.REPORT_INLINE_MAX_ROWS = 0  # every run goes through the outbox (eager Celery here)


def read_csv(run: ReportRun) -> list[list[str]]:
    with run.file.open("rb") as file:
        return list(csv.reader(io.StringIO(file.read().decode("utf-8-sig"))))


def create(django_capture_on_commit_callbacks, *, execute=True, **kwargs) -> ReportRun:
    with django_capture_on_commit_callbacks(execute=execute):
        run = services.report_run_create(**{"format": "csv", "unit": None, **kwargs})
    run.refresh_from_db()
    return run


def test_a_user_without_export_in_the_domain_is_refused_and_nothing_is_written(nominator, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied):
        create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "3"}, by=nominator)
    assert ReportRun.objects.count() == 0
    assert not AuditEvent.objects.filter(model_label="reports.reportrun").exists()


def test_an_auditor_may_not_export_a_unit_outside_their_scope(auditor_a, units, funds, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied):
        create(django_capture_on_commit_callbacks, kind=SCOPED_REPORT, data={}, by=auditor_a, unit=units.commune_b)
    assert ReportRun.objects.count() == 0


def test_a_commune_auditors_run_reads_only_the_communes_units(auditor_a, units, funds, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind=SCOPED_REPORT, data={}, by=auditor_a)
    assert set(run.unit_ids) == {units.commune_a.pk, units.branch_a.pk}
    assert run.status == JobStatus.DONE
    rows = read_csv(run)
    assert rows[0] == ["Mã quỹ", "Tên quỹ", "Đơn vị", "Số dư"]
    assert {row[2] for row in rows[1:]} == {"TH-HT", "TH-HT-1"}
    assert [row[0] for row in rows[1:]] == ["QKH-HT", "QKH-HT-1"]


def test_a_province_treasurers_run_of_one_commune_reads_its_subtree(treasurer, units, funds, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind=SCOPED_REPORT, data={}, by=treasurer, unit=units.commune_a)
    assert set(run.unit_ids) == {units.commune_a.pk, units.branch_a.pk}
    whole = create(django_capture_on_commit_callbacks, kind=SCOPED_REPORT, data={}, by=treasurer)
    assert set(whole.unit_ids) == {units.province.pk, units.commune_a.pk, units.branch_a.pk, units.commune_b.pk}
    assert len(read_csv(whole)) == 1 + 4


def test_the_units_are_frozen_when_the_run_is_asked_for(auditor_a, units, funds, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, execute=False, kind=SCOPED_REPORT, data={}, by=auditor_a)
    later = type(units.commune_a).objects.create(name="Chi hội mới", code="TH-HT-2", kind="branch", parent=units.commune_a)
    funds["QKH-HT-2"] = type(funds["QKH-HT"]).objects.create(code="QKH-HT-2", name="Quỹ mới", unit=later)
    assert services.report_run_execute(run_id=run.pk) is True
    run.refresh_from_db()
    assert "QKH-HT-2" not in {row[0] for row in read_csv(run)}


def test_the_run_and_its_audit_row_are_written_together(auditor_a, units, funds, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind=SCOPED_REPORT, data={"code_prefix": "QKH", "csrfmiddlewaretoken": "x"}, by=auditor_a)
    assert run.parameters == {"code_prefix": "QKH"}  # only the exporter's fields are kept, as typed
    event = AuditEvent.objects.get(model_label="reports.reportrun", object_id=str(run.pk))
    assert (event.action, event.actor, event.unit_id) == ("export", auditor_a, None)
    assert event.after["kind"] == SCOPED_REPORT and sorted(event.after["unit_ids"]) == sorted(run.unit_ids)


def test_parameters_the_form_refuses_are_a_validation_error_and_nothing_is_written(auditor_a, units, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as error:
        create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "-1"}, by=auditor_a)
    assert "rows" in error.value.message_dict
    with pytest.raises(ValidationError):
        create(django_capture_on_commit_callbacks, kind="no_such_report", data={}, by=auditor_a)
    with pytest.raises(ValidationError):
        create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "1"}, by=auditor_a, format="pdf")
    assert ReportRun.objects.count() == 0


def test_running_twice_writes_one_file(auditor_a, units, settings, django_capture_on_commit_callbacks, tmp_path):
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "5"}, by=auditor_a)
    assert run.status == JobStatus.PENDING
    assert services.report_run_execute(run_id=run.pk) is True
    assert services.report_run_execute(run_id=run.pk) is False
    run.refresh_from_db()
    assert (run.status, run.attempts, run.rows_done) == (JobStatus.DONE, 1, 5)
    files = list((tmp_path / "media" / "reports").rglob("*"))
    assert [path.name for path in files if path.is_file()] == [f"test_lines-{run.pk}.csv"]


def test_a_run_a_live_worker_holds_is_left_alone(auditor_a, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "5"}, by=auditor_a)
    ReportRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, claimed_at=timezone.now(), attempts=1)
    assert services.report_run_execute(run_id=run.pk) is False
    run.refresh_from_db()
    assert (run.status, run.attempts, run.file.name) == (JobStatus.RUNNING, 1, "")


def test_progress_is_counted_in_the_cache_and_the_row_gets_the_final_count(auditor_a, units, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REPORT_PROGRESS_EVERY = 10
    seen = []
    record = services._progress_set
    monkeypatch.setattr(services, "_progress_set", lambda run_id, done, total: (seen.append((done, total)), record(run_id, done, total)))
    run = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "35"}, by=auditor_a)
    assert seen == [(0, None), (10, 35), (20, 35), (30, 35), (35, 35)]
    assert (run.rows_done, run.rows_total) == (35, 35)


def test_the_admin_reads_a_running_runs_progress_from_the_cache(auditor_a, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "5"}, by=auditor_a)
    run.status = JobStatus.RUNNING
    services._progress_set(run.pk, 4000, 9000)
    assert selectors.run_progress([run]) == {run.pk: (4000, 9000)}
    run.status = JobStatus.PENDING
    assert selectors.run_progress([run]) == {run.pk: (0, None)}


def test_the_manifest_holds_the_rows_totals_last_hash_and_the_files_sha256(auditor_a, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "4"}, by=auditor_a)
    content = run.file.open("rb").read()
    assert run.manifest == {
        "rows": 4, "totals": {"Số tiền": 10_000}, "last": {"Hash": "h0004"},
        "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
    }
    assert run.expires_at - run.finished_at == datetime.timedelta(days=7)


def test_an_xlsx_run_writes_a_workbook(auditor_a, units, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    run = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "3"}, by=auditor_a, format="xlsx")
    assert run.file.name.endswith(".xlsx")
    sheet = load_workbook(run.file.path, read_only=True).active
    assert list(sheet.iter_rows(values_only=True))[1:] == [
        (1, "Dòng 1", 1000, "h0001"), (2, "Dòng 2", 2000, "h0002"), (3, "Dòng 3", 3000, "h0003"),
    ]


def test_expiry_deletes_the_file_and_keeps_the_run(auditor_a, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "2"}, by=auditor_a)
    path = run.file.path
    assert services.report_files_expire() == 0
    ReportRun.objects.filter(pk=run.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.report_files_expire() == 1
    run.refresh_from_db()
    assert run.file.name == "" and run.manifest["rows"] == 2 and run.status == JobStatus.DONE
    import os

    assert not os.path.exists(path)
    assert services.report_files_expire() == 0


def test_a_requester_who_lost_the_right_meanwhile_gets_a_failed_run(auditor_a, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "2"}, by=auditor_a)
    Membership.objects.filter(user=auditor_a).delete()
    auditor_a.refresh_from_db()
    assert services.report_run_execute(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "không còn quyền" in run.last_error and run.file.name == ""


def test_a_failing_exporter_puts_the_run_back_to_pending_with_the_error(auditor_a, units, registry, monkeypatch, django_capture_on_commit_callbacks):
    import dataclasses

    def broken(request):
        yield [1, "x", 1, "h"]
        raise RuntimeError("ổ đĩa đầy")

    registry["test_lines"] = dataclasses.replace(registry["test_lines"], rows=broken)
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "2"}, by=auditor_a)
    with pytest.raises(RuntimeError):
        services.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.last_error, run.file.name) == (JobStatus.PENDING, 1, "RuntimeError: ổ đĩa đầy", "")


def test_children_are_masked_unless_the_requester_may_see_them(auditor_a, make_user, units, django_capture_on_commit_callbacks):
    run = create(django_capture_on_commit_callbacks, kind="test_awards", data={}, by=auditor_a)
    assert run.personal is False and read_csv(run)[1][0] == "L.T.M."
    root = make_user("root", superuser=True)
    run = create(django_capture_on_commit_callbacks, kind="test_awards", data={}, by=root)
    assert run.personal is True and run.unit_ids is None and read_csv(run)[1][0] == "Lò Thị Mai"


def test_a_small_report_runs_in_the_request(auditor_a, units, settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.REPORT_INLINE_MAX_ROWS = 10
    from fundmgr.core import outbox

    sent = []
    monkeypatch.setattr(outbox, "enqueue_jobs", lambda jobs: sent.extend(jobs))
    small = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "10"}, by=auditor_a)
    large = create(django_capture_on_commit_callbacks, kind="test_lines", data={"rows": "11"}, by=auditor_a)
    assert small.status == JobStatus.DONE and small.attempts == 1
    assert large.status == JobStatus.PENDING and [job.pk for job in sent] == [large.pk]


def test_a_run_that_keeps_failing_is_retried_then_marked_failed(auditor_a, units, registry, celery_setting, django_capture_on_commit_callbacks):
    import dataclasses

    from fundmgr.reports import tasks

    def broken(request):
        raise OSError("No space left on device")
        yield  # a generator, like every exporter's rows

    registry["test_lines"] = dataclasses.replace(registry["test_lines"], rows=broken)
    run = create(django_capture_on_commit_callbacks, execute=False, kind="test_lines", data={"rows": "2"}, by=auditor_a)
    # Celery runs an eager task's retries by applying it again; with propagation on, the first
    # retry's exception would escape instead of being retried.
    celery_setting("task_eager_propagates", False)
    assert tasks.report_run_task.apply(args=[run.pk], throw=False).failed()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.last_error, run.file.name) == (
        JobStatus.FAILED, tasks.MAX_RETRIES + 1, "OSError: No space left on device", "",
    )

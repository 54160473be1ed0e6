"""A report that lists children logs who saw them (`docs/students.md`, "Every look is logged"): one
view row per child the file names, by the requester, channel "report", with the run's id, written
once the file is stored (the rows are read in a READ ONLY snapshot on PostgreSQL). In clear for a
reader with `view_personal`, masked (`personal: false`) for an auditor, as the papers do. Inline
runs, runs through the worker (eager Celery), the real snapshot on PostgreSQL, `manage.py report`.
"""

import io

import pytest

from fundmgr.audit.models import AuditEvent
from fundmgr.core import outbox
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from fundmgr.reports import services as reports
from fundmgr.reports.models import ReportRun
from scholarships.models import Award

from .test_award_list import scene  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def view_rows(**after):
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, model_label="scholarships.student")
    return [row for row in rows.order_by("pk") if all(row.after.get(key) == value for key, value in after.items())]


def ask(user, unit, fmt, capture, kind="award_list"):
    with capture(execute=True):
        run = reports.report_run_create(kind=kind, data={}, format=fmt, by=user, unit=unit)
    run.refresh_from_db()
    assert run.status == "done", run.last_error
    return run


@pytest.fixture
def committee(people, units):
    """The province's committee member who is also its auditor: may run the awards' reports (auditor)
    and read the children's names (committee: view personal)."""
    user = people["committee"]
    membership_grant(user=user, unit=units.province, role=Membership.Role.AUDITOR)
    return user


@pytest.fixture
def inline_only(monkeypatch):
    """Fails the test if a run goes to the worker: the run must be written in the request."""
    def refuse(jobs):
        raise AssertionError(f"sent to the worker: {jobs}")

    monkeypatch.setattr(outbox, "enqueue_jobs", refuse)


def test_an_inline_run_by_the_committee_logs_each_child_listed_once_in_clear(
    scene, units, committee, inline_only, django_capture_on_commit_callbacks,  # noqa: F811
):
    _fund, _program, students = scene
    run = ask(committee, None, "csv", django_capture_on_commit_callbacks)
    assert run.personal is True
    with run.file.open("rb") as file:
        assert "Lò Thị Mai" in file.read().decode("utf-8-sig")  # the names are in clear
    rows = view_rows(channel="report", run=run.pk)
    listed = set(Award.objects.filter(status__in=("approved", "paid")).values_list("student_id", flat=True))
    assert len(listed) == 7
    assert sorted(int(row.object_id) for row in rows) == sorted(listed)  # exactly one each
    assert {(row.actor_id, row.after["personal"], row.after["report"]) for row in rows} == {
        (committee.pk, True, "award_list"),
    }
    assert {row.unit_id for row in rows if row.object_id == str(students[0].pk)} == {students[0].unit_id}
    # Downloading the file again is not a new look: the run rendered the names, and logged them.
    assert len(view_rows(channel="report")) == 7


def test_an_auditor_reads_initials_and_the_rows_say_masked(
    scene, units, people, inline_only, django_capture_on_commit_callbacks,  # noqa: F811
):
    _fund, _program, students = scene
    run = ask(people["auditor_a"], None, "xlsx", django_capture_on_commit_callbacks)
    assert run.personal is False
    rows = view_rows(channel="report", run=run.pk)
    assert sorted(int(row.object_id) for row in rows) == sorted(student.pk for student in students[:5])  # commune A's
    assert {row.after["personal"] for row in rows} == {False}
    assert view_rows(channel="report", personal=True) == []


def test_a_worker_run_of_the_awards_book_logs_its_children(
    scene, units, committee, settings, django_capture_on_commit_callbacks,  # noqa: F811
):
    settings.REPORT_INLINE_MAX_ROWS = 0  # through the outbox and the (eager) task
    _fund, _program, students = scene
    run = ask(committee, units.province, "csv", django_capture_on_commit_callbacks, "awards_disbursements")
    rows = view_rows(channel="report", run=run.pk)
    assert sorted(int(row.object_id) for row in rows) == sorted(student.pk for student in students)
    assert {(row.actor_id, row.after["personal"], row.after["report"]) for row in rows} == {
        (committee.pk, True, "awards_disbursements"),
    }


def test_a_run_that_fails_logs_nobody(scene, units, committee, settings, monkeypatch):  # noqa: F811
    settings.REPORT_INLINE_MAX_ROWS = 0
    monkeypatch.setattr(outbox, "enqueue_jobs", lambda jobs: None)
    run = reports.report_run_create(kind="award_list", data={}, format="csv", by=committee)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(reports, "export_write", broken)
    with pytest.raises(OSError):
        reports.report_run_execute(run_id=run.pk)
    assert ReportRun.objects.get(pk=run.pk).status == "pending"
    assert view_rows(channel="report") == []


def test_the_systems_export_with_personal_data_logs_each_child(scene, units, people):  # noqa: F811
    _fund, _program, students = scene
    reports.report_write(kind="award_list", data={}, format="csv", target=io.BytesIO(), personal=True)
    rows = view_rows(channel="report")
    assert sorted(int(row.object_id) for row in rows) == sorted(student.pk for student in students)
    assert {(row.actor_id, row.after["personal"], row.after["run"]) for row in rows} == {(None, True, None)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_rows_are_written_after_the_read_only_snapshot(
    scene, units, committee, settings, monkeypatch,  # noqa: F811
):
    """Outside any test transaction: the rows are read in REPEATABLE READ READ ONLY, and the view rows
    are written in the transaction that marks the run done (a write in the snapshot would fail)."""
    settings.REPORT_INLINE_MAX_ROWS = 0
    monkeypatch.setattr(outbox, "enqueue_jobs", lambda jobs: None)  # the test is the worker
    _fund, _program, students = scene
    run = reports.report_run_create(kind="award_list", data={}, format="pdf", by=committee)
    assert reports.report_run_execute(run_id=run.pk) is True
    assert ReportRun.objects.get(pk=run.pk).status == "done"
    rows = view_rows(channel="report", run=run.pk)
    assert sorted(int(row.object_id) for row in rows) == sorted(student.pk for student in students)
    assert {row.after["personal"] for row in rows} == {True}
    assert reports.report_run_execute(run_id=run.pk) is False  # a second call writes nothing more
    assert len(view_rows(channel="report")) == 7


def test_a_file_with_names_downloads_only_for_who_may_read_them_and_each_download_is_logged(
    client, scene, units, committee, people, django_capture_on_commit_callbacks,  # noqa: F811
):
    from django.urls import reverse

    run = ask(committee, units.province, "csv", django_capture_on_commit_callbacks)
    assert run.personal is True
    url = reverse("admin:reports_reportrun_file", args=[run.pk])
    auditor = people["auditor"]  # the province's auditor: sees the run (may export awards there), not the names
    for user in (committee, auditor):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client.force_login(auditor)
    assert client.get(reverse("admin:reports_reportrun_change", args=[run.pk])).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 403 and "tên học sinh" in refused.content.decode()
    client.force_login(committee)
    for _time in range(2):
        download = client.get(url)
        assert download.status_code == 200 and "Lò Thị Mai" in b"".join(download.streaming_content).decode("utf-8-sig")
    downloads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, model_label="reports.reportrun", object_id=str(run.pk))
    assert [(row.actor_id, row.after) for row in downloads] == [(committee.pk, {"file": True, "personal": True})] * 2
    assert len(view_rows(channel="report")) == 7  # the children's rows are the run's, written once
    # The API's download follows the same rule, in the API's error format.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(auditor)
    refused = api.get(f"/api/v1/report-runs/{run.pk}/file/")
    assert refused.status_code == 403 and "tên học sinh" in refused.json()["message"]
    api.force_authenticate(committee)
    assert api.get(f"/api/v1/report-runs/{run.pk}/file/").status_code == 200
    assert downloads.all().count() == 3  # a fresh query: the queryset above is evaluated

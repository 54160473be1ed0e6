"""Scheduled reports: the daily beat job asks for each schedule's run once per week or month, and the
file goes by e-mail to the unit's own treasurers and auditors, with its SHA-256 in the body."""

import csv
import datetime
import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fundmgr.core.exporting import register
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.models import Membership
from fundmgr.reports import services
from fundmgr.reports.models import ReportDelivery, ReportRun, ReportSchedule

from . import exporters

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 12, 7)  # the week before: 2026-W49 (30/11 – 6/12); the month before: 2026-11
ADD = reverse("admin:reports_reportschedule_add")


@pytest.fixture(autouse=True)
def scheduled(registry):
    for exporter in exporters.SCHEDULED:
        register(exporter)


def person(username, *, email="", memberships=(), active=True):
    user = get_user_model().objects.create_user(
        username=username, password="mat-khau-kiem-tra-2026", email=email, is_staff=True, is_active=active,
    )
    for role, unit in memberships:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def people(units):
    Role = Membership.Role
    return {
        # Recipients: commune A's own treasurer and auditor (the auditor also a treasurer: one e-mail).
        "treasurer": person("thuquy_ht", email="thuquy@hacthanh.vn", memberships=[(Role.TREASURER, units.commune_a)]),
        "auditor": person(
            "kiemtra_ht", email="kiemtra@hacthanh.vn",
            memberships=[(Role.AUDITOR, units.commune_a), (Role.TREASURER, units.commune_a)],
        ),
        # Not recipients: a unit above, another role, no address, inactive, another commune.
        "province": person("thuquy_tinh", email="tinh@thanhhoa.vn", memberships=[(Role.TREASURER, units.province)]),
        "nominator": person("decu_ht", email="decu@hacthanh.vn", memberships=[(Role.NOMINATOR, units.commune_a)]),
        "no_email": person("thuquy_khong_thu", memberships=[(Role.TREASURER, units.commune_a)]),
        "inactive": person(
            "thuquy_cu", email="cu@hacthanh.vn", active=False, memberships=[(Role.TREASURER, units.commune_a)],
        ),
        "other": person("thuquy_ss", email="thuquy@samson.vn", memberships=[(Role.TREASURER, units.commune_b)]),
    }


@pytest.fixture
def schedules(units, funds, people):
    return {
        "weekly": ReportSchedule.objects.create(
            kind="campaign_report", unit=units.commune_a, parameters={"campaign": "TET-2027"}, format="csv",
            created_by=people["treasurer"],
        ),
        "monthly": ReportSchedule.objects.create(
            kind="fund_statement", unit=units.commune_a, parameters={}, format="csv", created_by=people["treasurer"],
        ),
    }


def run_due(today, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.report_schedules_due(today=today)


def attachment_bytes(message) -> bytes:
    (name, content, mimetype), = message.attachments
    # Django hands text attachments back decoded.
    return content.encode("utf-8") if isinstance(content, str) else content


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_weekly_and_a_monthly_schedule_mail_their_file_to_the_units_treasurers_and_auditors(
    schedules, people, mailoutbox, django_capture_on_commit_callbacks,
):
    runs = run_due(MONDAY, django_capture_on_commit_callbacks)

    assert [(run.kind, run.period, run.schedule_id) for run in runs] == [
        ("campaign_report", "2026-W49", schedules["weekly"].pk), ("fund_statement", "2026-11", schedules["monthly"].pk),
    ]
    for run in runs:
        run.refresh_from_db()
        assert (run.status, run.requested_by, run.unit_id) == (JobStatus.DONE, None, schedules["weekly"].unit_id)
    # The campaign report has no dates: its parameters are the schedule's; the fund statement gets its month.
    assert runs[0].parameters == {"campaign": "TET-2027"}
    assert runs[1].parameters == {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    assert {schedule.last_sent_period for schedule in ReportSchedule.objects.all()} == {"2026-W49", "2026-11"}

    assert sorted((message.to[0], message.subject) for message in mailoutbox) == [
        ("kiemtra@hacthanh.vn", "Báo cáo định kỳ: Báo cáo chiến dịch (thử) – Hội Khuyến học xã Hạc Thành – kỳ 2026-W49"),
        ("kiemtra@hacthanh.vn", "Báo cáo định kỳ: Báo cáo thu chi quỹ (thử) – Hội Khuyến học xã Hạc Thành – kỳ 2026-11"),
        ("thuquy@hacthanh.vn", "Báo cáo định kỳ: Báo cáo chiến dịch (thử) – Hội Khuyến học xã Hạc Thành – kỳ 2026-W49"),
        ("thuquy@hacthanh.vn", "Báo cáo định kỳ: Báo cáo thu chi quỹ (thử) – Hội Khuyến học xã Hạc Thành – kỳ 2026-11"),
    ]
    manifests = {run.period: run.manifest for run in ReportRun.objects.all()}
    for message in mailoutbox:
        content = attachment_bytes(message)
        period = message.subject.rsplit(" ", 1)[-1]
        digest = hashlib.sha256(content).hexdigest()
        assert digest == manifests[period]["sha256"]
        assert f"SHA-256 của tệp đính kèm: {digest}" in message.body
        assert message.attachments[0][0].endswith(f"-{period}.csv")
    monthly = next(message for message in mailoutbox if message.subject.endswith("2026-11"))
    assert [row[2:4] for row in csv_rows(attachment_bytes(monthly))[1:]] == [["2026-11-01", "2026-11-30"]] * 2

    deliveries = ReportDelivery.objects.order_by("run_id", "user_id")
    assert [(delivery.user, delivery.status, delivery.recipient) for delivery in deliveries] == [
        (people["treasurer"], JobStatus.DONE, "thuquy@hacthanh.vn"),
        (people["auditor"], JobStatus.DONE, "kiemtra@hacthanh.vn"),
    ] * 2


def test_running_twice_the_same_day_or_week_sends_nothing_new_and_the_next_period_sends_again(
    schedules, mailoutbox, django_capture_on_commit_callbacks,
):
    run_due(MONDAY, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 4

    assert run_due(MONDAY, django_capture_on_commit_callbacks) == []
    assert run_due(MONDAY + datetime.timedelta(days=6), django_capture_on_commit_callbacks) == []  # Sunday, same week
    assert (ReportRun.objects.count(), ReportDelivery.objects.count(), len(mailoutbox)) == (2, 4, 4)

    # The next Monday: the weekly summary of 2026-W50, the month is still November's, sent already.
    runs = run_due(MONDAY + datetime.timedelta(days=7), django_capture_on_commit_callbacks)
    assert [(run.kind, run.period) for run in runs] == [("campaign_report", "2026-W50")]
    assert (ReportRun.objects.count(), len(mailoutbox)) == (3, 6)


def test_a_disabled_schedule_sends_nothing(schedules, mailoutbox, django_capture_on_commit_callbacks):
    ReportSchedule.objects.update(enabled=False)

    assert run_due(MONDAY, django_capture_on_commit_callbacks) == []

    assert (ReportRun.objects.count(), ReportDelivery.objects.count(), mailoutbox) == (0, 0, [])
    assert set(ReportSchedule.objects.values_list("last_sent_period", flat=True)) == {""}


def test_a_schedule_whose_parameters_no_longer_validate_waits_and_the_others_go(
    schedules, mailoutbox, django_capture_on_commit_callbacks,
):
    ReportSchedule.objects.filter(pk=schedules["weekly"].pk).update(parameters={})  # the campaign is required

    runs = run_due(MONDAY, django_capture_on_commit_callbacks)

    assert [run.kind for run in runs] == ["fund_statement"] and len(mailoutbox) == 2
    assert ReportSchedule.objects.get(pk=schedules["weekly"].pk).last_sent_period == ""  # tried again tomorrow
    assert ReportRun.objects.filter(kind="campaign_report").count() == 0


def test_a_commune_schedules_file_holds_only_the_communes_rows(
    schedules, mailoutbox, django_capture_on_commit_callbacks,
):
    run_due(MONDAY, django_capture_on_commit_callbacks)

    monthly = next(message for message in mailoutbox if message.subject.endswith("2026-11"))
    # Commune A and its branch; not the province's fund above it, nor commune B's.
    assert [row[:2] for row in csv_rows(attachment_bytes(monthly))[1:]] == [["QKH-HT", "TH-HT"], ["QKH-HT-1", "TH-HT-1"]]


def test_a_lost_e_mail_is_sent_again_by_the_requeue_job_once(schedules, mailoutbox, django_capture_on_commit_callbacks, monkeypatch):
    from fundmgr.core import outbox

    # The broker is down when the run finishes: the deliveries wait, pending.
    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: 0)
    run_due(MONDAY, django_capture_on_commit_callbacks)
    assert (mailoutbox, set(ReportDelivery.objects.values_list("status", flat=True))) == ([], {JobStatus.PENDING})
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stale(older_than=datetime.timedelta(0)) == 4
    assert len(mailoutbox) == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.requeue_stale(older_than=datetime.timedelta(0)) == 0
    assert len(mailoutbox) == 4


# --- the admin ------------------------------------------------------------------------------------
def test_a_treasurer_adds_a_schedule_in_the_admin_with_the_reports_parameters(client, units, people):
    client.force_login(people["treasurer"])
    page = client.get(ADD)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="campaign_report-campaign"' in text and 'name="fund_statement-code_prefix"' in text
    assert 'name="fund_statement-date_from"' not in text  # the period's dates are the schedule's

    missing = client.post(ADD, {"kind": "campaign_report", "unit": units.commune_a.pk, "format": "xlsx", "enabled": "on"})
    assert missing.status_code == 200 and ReportSchedule.objects.count() == 0
    assert "campaign_report-campaign" in missing.context["adminform"].form.errors

    response = client.post(ADD, {
        "kind": "campaign_report", "unit": units.commune_a.pk, "format": "xlsx", "enabled": "on",
        "campaign_report-campaign": "TET-2027", "fund_statement-code_prefix": "ignored",
    })
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.kind, schedule.unit, schedule.format, schedule.enabled, schedule.parameters, schedule.created_by) == (
        "campaign_report", units.commune_a, "xlsx", True, {"campaign": "TET-2027"}, people["treasurer"],
    )

    change = reverse("admin:reports_reportschedule_change", args=[schedule.pk])
    assert 'value="TET-2027"' in client.get(change).content.decode()
    response = client.post(change, {"kind": "campaign_report", "unit": units.commune_a.pk, "format": "xlsx",
                                    "campaign_report-campaign": "TET-2027"})  # "enabled" unticked: disabled
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.enabled is False


def test_an_auditor_reads_the_schedules_and_changes_nothing(client, units, people, schedules):
    auditor = person("kiemtra_rieng", email="kt@hacthanh.vn", memberships=[(Membership.Role.AUDITOR, units.commune_a)])
    client.force_login(auditor)
    listing = client.get(reverse("admin:reports_reportschedule_changelist"))
    assert listing.status_code == 200 and "Tóm tắt chiến dịch hằng tuần" in listing.content.decode()
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"kind": "campaign_report", "unit": units.commune_a.pk, "format": "csv",
                             "campaign_report-campaign": "X"}).status_code == 403
    change = reverse("admin:reports_reportschedule_change", args=[schedules["weekly"].pk])
    page = client.get(change)
    text = page.content.decode()
    assert page.status_code == 200 and 'name="campaign_report-campaign"' not in text  # read-only
    assert "campaign=TET-2027" in text
    assert client.post(change, {"kind": "campaign_report", "unit": units.commune_a.pk, "format": "csv"}).status_code == 403
    assert ReportSchedule.objects.count() == 2 and ReportSchedule.objects.get(pk=schedules["weekly"].pk).enabled


def test_a_recipient_who_lost_the_role_before_the_e_mail_went_is_skipped(
    schedules, people, mailoutbox, django_capture_on_commit_callbacks, monkeypatch,
):
    from fundmgr.core import outbox

    monkeypatch.setattr(outbox, "enqueue_many", lambda jobs: 0)  # the e-mails wait
    run_due(MONDAY, django_capture_on_commit_callbacks)
    Membership.objects.filter(user=people["treasurer"]).delete()

    for delivery in ReportDelivery.objects.order_by("pk"):
        services.report_delivery_send(delivery_id=delivery.pk)

    assert sorted(message.to[0] for message in mailoutbox) == ["kiemtra@hacthanh.vn"] * 2
    skipped = ReportDelivery.objects.filter(user=people["treasurer"])
    assert set(skipped.values_list("status", flat=True)) == {JobStatus.SKIPPED}


def test_the_daily_beat_job_is_installed_by_a_migration():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="fundmgr.reports.tasks.report_schedules_due_task")
    assert (task.enabled, task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        True, "6", "0", "Asia/Ho_Chi_Minh",
    )


def test_a_schedule_may_not_ask_for_a_pdf_of_a_report_without_one(client, units, people):
    client.force_login(people["treasurer"])
    # The stand-ins of the scheduled reports have no PDF (`Exporter.pdf` is False).
    refused = client.post(ADD, {"kind": "campaign_report", "unit": units.commune_a.pk, "format": "pdf", "enabled": "on",
                                "campaign_report-campaign": "TET-2027"})
    assert refused.status_code == 200 and ReportSchedule.objects.count() == 0
    assert "không xuất được ra PDF" in str(refused.context["adminform"].form.errors["format"])


def test_only_a_treasurer_of_the_unit_sets_up_its_schedule_and_each_change_leaves_an_audit_row(units, people):
    from django.core.exceptions import PermissionDenied

    from fundmgr.audit.models import AuditEvent

    schedule = ReportSchedule(kind="fund_statement", unit=units.commune_a, format="csv", parameters={})
    for outsider in (people["other"], people["nominator"]):
        with pytest.raises(PermissionDenied):
            services.report_schedule_save(schedule=schedule, by=outsider)
    assert not ReportSchedule.objects.exists()

    services.report_schedule_save(schedule=schedule, by=people["treasurer"])
    assert schedule.created_by == people["treasurer"]
    schedule.unit = units.commune_b  # moving it out needs a right where it goes, too
    with pytest.raises(PermissionDenied):
        services.report_schedule_save(schedule=schedule, by=people["treasurer"])
    schedule.refresh_from_db()
    assert schedule.unit == units.commune_a
    schedule.enabled = False
    services.report_schedule_save(schedule=schedule, by=people["treasurer"])
    actions = list(
        AuditEvent.objects.filter(model_label="reports.reportschedule").order_by("pk").values_list("action", flat=True)
    )
    assert actions[:2] == [AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE]

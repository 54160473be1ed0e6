"""The daily job that asks for the scheduled reports whose week or month has ended (06:00, Vietnam time)."""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "fundmgr.reports.tasks.report_schedules_due_task"
SCHEDULE_NAME = "Báo cáo: gửi báo cáo định kỳ (hằng ngày)"
DESCRIPTION = "Runs every enabled report schedule once per period and e-mails the file to the unit's treasurers and auditors."


def add_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "0", "hour": "6"}, description=DESCRIPTION,
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]

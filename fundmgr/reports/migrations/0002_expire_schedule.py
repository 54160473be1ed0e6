"""The daily job that deletes expired report files (03:30, Vietnam time)."""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "fundmgr.reports.tasks.report_files_expire_task"
SCHEDULE_NAME = "Báo cáo: xóa tệp báo cáo đã hết hạn (hằng ngày)"
DESCRIPTION = "Deletes report files older than REPORT_FILE_DAYS; the runs and their manifests stay."


def add_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "30", "hour": "3"}, description=DESCRIPTION,
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]

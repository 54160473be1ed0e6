"""The daily retention run: a django_celery_beat schedule at 03:00 Vietnam time.

A data migration, so every installation has the schedule without a manual step; an operator may
disable or move it in the admin, and running the migration again does not overwrite that.
"""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "scholarships.tasks.students_anonymise_expired_task"
SCHEDULE_NAME = "Ẩn danh hồ sơ học sinh hết thời hạn lưu trữ"


def create_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "0", "hour": "3"},
        description="Erases students' personal fields after STUDENT_DATA_RETENTION_YEARS without activity.",
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("scholarships", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

"""The nightly `verify_ledger` run: a django_celery_beat schedule at 02:00 Vietnam time.

A data migration, so every installation (and every fresh clone) has the schedule without a
manual step; an operator may still disable or move it in the admin, and running the migration
again does not overwrite their change.
"""

from django.db import migrations

TASK_NAME = "fundmgr.ledger.tasks.ledger_verify_task"
SCHEDULE_NAME = "Kiểm tra toàn vẹn sổ cái hằng đêm (verify_ledger)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Ho_Chi_Minh",
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": TASK_NAME,
            "crontab": crontab,
            "enabled": True,
            "description": "Recomputes the ledger hash chain and per-fund balance of every entry.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_postgresql_history_triggers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

"""The nightly `verify_ledger` run: a django_celery_beat schedule at 02:00 Vietnam time.

A data migration, so every installation (and every fresh clone) has the schedule without a
manual step; an operator may still disable or move it in the admin, and running the migration
again does not overwrite their change.
"""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "fundmgr.ledger.tasks.ledger_verify_task"
SCHEDULE_NAME = "Kiểm tra toàn vẹn sổ cái hằng đêm (verify_ledger)"


def create_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "0", "hour": "2"},
        description="Recomputes the ledger hash chain and per-fund balance of every entry.",
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_postgresql_history_triggers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

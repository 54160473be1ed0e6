"""The daily checkpoint of the transparency log (00:05, Vietnam time: the day's entries are in it)."""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "fundmgr.transparency.tasks.checkpoint_take_task"
SCHEDULE_NAME = "Minh bạch: điểm kiểm chứng sổ cái (hằng ngày)"
DESCRIPTION = "Signs the transparency log's tree size and root, copies it to a file and e-mails it to the auditors."


def add_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "5", "hour": "0"}, description=DESCRIPTION,
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0002_checkpoint_public_key_and_delivery"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]

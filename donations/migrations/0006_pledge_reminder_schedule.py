"""The beat schedule of `pledge_reminders_task`: every day at 08:00 Vietnam time.

A data migration, so every installation has it without a manual step; an operator may disable
or move it in the admin, and running the migration again does not overwrite that.
"""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "donations.tasks.pledge_reminders_task"
SCHEDULE_NAME = "Cam kết: e-mail nhắc hạn nộp (08:00 hằng ngày)"


def create_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, crontab={"minute": "0", "hour": "8"},
        description="Creates the e-mails reminding donors of installments due in a few days or overdue "
            "(PLEDGE_REMINDER_DAYS_BEFORE / _AFTER) and queues them; running it twice a day sends nothing twice.",
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0005_pledge_email_from_pledge_notice"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

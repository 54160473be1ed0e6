"""The beat schedule of `receipt_deliveries_requeue_task`: every five minutes.

A data migration, so every installation has it without a manual step; an operator may disable
or change it in the admin, and running the migration again does not overwrite that.
"""

from django.db import migrations

TASK_NAME = "receipts.tasks.receipt_deliveries_requeue_task"
SCHEDULE_NAME = "Phiếu thu: xếp hàng lại việc gửi bị treo (5 phút)"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": TASK_NAME,
            "interval": every_five_minutes,
            "enabled": True,
            "description": "Enqueues again receipt PDF and e-mail jobs left pending or running for over 10 minutes "
            "(a lost broker message, a killed worker).",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0002_postgresql_receipt_guards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

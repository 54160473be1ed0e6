"""The beat schedule of `receipt_deliveries_requeue_task`: every five minutes.

A data migration, so every installation has it without a manual step; an operator may disable
or change it in the admin, and running the migration again does not overwrite that.
"""

from django.db import migrations

from fundmgr.core import beat

TASK_NAME = "receipts.tasks.receipt_deliveries_requeue_task"
SCHEDULE_NAME = "Phiếu thu: xếp hàng lại việc gửi bị treo (5 phút)"


def create_schedule(apps, schema_editor):
    beat.schedule_add(
        apps, name=SCHEDULE_NAME, task=TASK_NAME, interval=(5, "minutes"),
        description="Enqueues again receipt PDF and e-mail jobs left pending or running for over 10 minutes "
            "(a lost broker message, a killed worker).",
    )


def remove_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0002_postgresql_receipt_guards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

"""The outbox's one requeue job replaces the receipts' own: every five minutes, for every kind of
job (receipt deliveries, annual statements, pledge e-mails).

Removes the row of migration 0003 and adds the new one; backwards, the other way round.
"""

from django.db import migrations

from fundmgr.core import beat

OLD_TASK_NAME = "receipts.tasks.receipt_deliveries_requeue_task"
OLD_SCHEDULE_NAME = "Phiếu thu: xếp hàng lại việc gửi bị treo (5 phút)"
OLD_DESCRIPTION = (
    "Enqueues again receipt PDF and e-mail jobs left pending or running for over 10 minutes "
    "(a lost broker message, a killed worker)."
)
TASK_NAME = "receipts.tasks.outbox_requeue_task"
SCHEDULE_NAME = "Xếp hàng lại việc gửi bị treo: phiếu thu, bảng kê, e-mail cam kết (5 phút)"
DESCRIPTION = (
    "Enqueues again every outbox job (receipt PDF and e-mails, annual statements, pledge e-mails) left "
    "pending or running for over 10 minutes (a lost broker message, a killed worker)."
)


def replace_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=OLD_SCHEDULE_NAME)
    beat.schedule_add(apps, name=SCHEDULE_NAME, task=TASK_NAME, interval=(5, "minutes"), description=DESCRIPTION)


def restore_schedule(apps, schema_editor):
    beat.schedule_remove(apps, name=SCHEDULE_NAME)
    beat.schedule_add(
        apps, name=OLD_SCHEDULE_NAME, task=OLD_TASK_NAME, interval=(5, "minutes"), description=OLD_DESCRIPTION,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0005_void_notice_channel"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(replace_schedule, restore_schedule)]

"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Xếp hàng lại việc gửi bị treo: phiếu thu, bảng kê, e-mail cam kết (5 phút)": (
        "Enqueues again every outbox job (receipt PDF and e-mails, annual statements, pledge e-mails) left pending or running for over 10 minutes (a lost broker message, a killed worker).",
        "Xếp hàng lại mọi việc gửi (PDF và e-mail phiếu thu, bảng kê năm, e-mail cam kết) còn chờ hoặc đang chạy quá 10 phút (tin trên hàng đợi bị mất, worker bị dừng).",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0006_outbox_requeue_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

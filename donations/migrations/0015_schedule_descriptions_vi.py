"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Cam kết: e-mail nhắc hạn nộp (08:00 hằng ngày)": (
        "Creates the e-mails reminding donors of installments due in a few days or overdue (PLEDGE_REMINDER_DAYS_BEFORE / _AFTER) and queues them; running it twice a day sends nothing twice.",
        "Tạo e-mail nhắc nhà hảo tâm các đợt nộp sắp đến hạn hoặc đã quá hạn (PLEDGE_REMINDER_DAYS_BEFORE / _AFTER) và xếp hàng gửi; chạy hai lần trong ngày cũng không gửi trùng.",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0014_bank_statement_import_job"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Minh bạch: điểm kiểm chứng sổ cái (hằng ngày)": (
        "Signs the transparency log's tree size and root, copies it to a file and e-mails it to the auditors.",
        "Ký kích thước và gốc cây của nhật ký minh bạch, chép ra tệp và gửi qua e-mail cho kiểm tra viên.",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0003_checkpoint_beat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

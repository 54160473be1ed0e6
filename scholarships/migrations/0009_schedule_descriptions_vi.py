"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Ẩn danh hồ sơ học sinh hết thời hạn lưu trữ": (
        "Erases students' personal fields after STUDENT_DATA_RETENTION_YEARS without activity.",
        "Xoá thông tin cá nhân của học sinh không có hoạt động sau STUDENT_DATA_RETENTION_YEARS năm.",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("scholarships", "0008_conflicts_rubric_allocation_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

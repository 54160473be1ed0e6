"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Báo cáo: xóa tệp báo cáo đã hết hạn (hằng ngày)": (
        "Deletes report files older than REPORT_FILE_DAYS; the runs and their manifests stay.",
        "Xoá tệp báo cáo cũ hơn REPORT_FILE_DAYS ngày; các lần chạy và bảng kê tệp vẫn được giữ.",
    ),
    "Báo cáo: gửi báo cáo định kỳ (hằng ngày)": (
        "Runs every enabled report schedule once per period and e-mails the file to the unit's treasurers and auditors.",
        "Chạy mỗi lịch báo cáo đang bật một lần mỗi kỳ và gửi tệp qua e-mail cho thủ quỹ và kiểm tra viên của đơn vị.",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_pdf_format"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

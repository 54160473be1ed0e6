"""The descriptions of this app's beat schedules in Vietnamese, like their names (the admin
shows them on the task's page; the first migration wrote them in English)."""

from django.db import migrations

from fundmgr.core import beat

# name → (the English the first migration wrote, the Vietnamese)
DESCRIPTIONS = {
    "Kiểm tra toàn vẹn sổ cái hằng đêm (verify_ledger)": (
        "Recomputes the ledger hash chain and per-fund balance of every entry.",
        "Tính lại chuỗi mã băm của sổ cái và số dư từng quỹ qua mọi bút toán.",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_alter_fund_created_at_alter_journalentry_hash_and_more"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [beat.schedule_describe(descriptions=DESCRIPTIONS)]

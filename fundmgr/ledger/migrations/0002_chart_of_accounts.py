from django.db import migrations

# A frozen copy: migrations must not change when fundmgr.ledger.accounts grows later.
CHART = [
    ("111", "Tiền mặt", "asset", "debit"),
    ("112", "Tiền gửi ngân hàng", "asset", "debit"),
    ("156", "Hiện vật nhận ủng hộ", "asset", "debit"),
    ("336", "Điều chuyển giữa các quỹ", "net_assets", "credit"),
    ("411", "Vốn gốc quỹ bảo toàn", "net_assets", "credit"),
    ("511", "Thu ủng hộ, tài trợ bằng tiền", "income", "credit"),
    ("512", "Thu ủng hộ bằng hiện vật", "income", "credit"),
    ("515", "Thu lãi tiền gửi", "income", "credit"),
    ("611", "Chi học bổng, khen thưởng", "expense", "debit"),
]


def create_chart(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, kind, side in CHART:
        Account.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "normal_side": side})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create_chart, migrations.RunPython.noop)]

"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('ledger', '0010_fk_indexes_covered_by_composites'),
        ('orgs', '0004_unique_and_indexes_without_like'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='code',
            field=models.CharField(max_length=10, verbose_name='số hiệu'),
        ),
        migrations.AlterField(
            model_name='fund',
            name='code',
            field=models.CharField(max_length=30, verbose_name='mã quỹ'),
        ),
        migrations.AlterField(
            model_name='journalentry',
            name='hash',
            field=models.CharField(max_length=64, verbose_name='mã băm'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(fields=('code',), name='ledger_account_code_unique'),
        ),
        migrations.AddConstraint(
            model_name='fund',
            constraint=models.UniqueConstraint(fields=('code',), name='ledger_fund_code_unique'),
        ),
        migrations.AddConstraint(
            model_name='journalentry',
            constraint=models.UniqueConstraint(fields=('hash',), name='ledger_entry_hash_unique'),
        ),
    ]

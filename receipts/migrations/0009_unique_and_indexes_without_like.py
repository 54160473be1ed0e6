"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0017_unique_and_indexes_without_like'),
        ('ledger', '0011_unique_and_indexes_without_like'),
        ('orgs', '0004_unique_and_indexes_without_like'),
        ('receipts', '0008_fk_indexes_covered_by_composites'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='receipt',
            name='verification_code',
            field=models.CharField(max_length=16, verbose_name='mã xác thực'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.UniqueConstraint(fields=('verification_code',), name='receipt_verification_code_unique'),
        ),
    ]

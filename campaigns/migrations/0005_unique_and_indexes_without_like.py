"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0004_alter_campaign_created_at'),
        ('ledger', '0010_fk_indexes_covered_by_composites'),
        ('orgs', '0004_unique_and_indexes_without_like'),
    ]

    operations = [
        migrations.AlterField(
            model_name='campaign',
            name='slug',
            field=models.SlugField(db_index=False, max_length=80, verbose_name='đường dẫn'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.UniqueConstraint(fields=('slug',), name='campaign_slug_unique'),
        ),
    ]

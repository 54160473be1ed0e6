"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_api_token'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='apitoken',
            name='digest',
            field=models.CharField(editable=False, max_length=64, verbose_name='mã băm SHA-256'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='prefix',
            field=models.CharField(editable=False, max_length=16, verbose_name='tiền tố'),
        ),
        migrations.AddIndex(
            model_name='apitoken',
            index=models.Index(fields=['prefix'], name='api_token_prefix_idx'),
        ),
        migrations.AddConstraint(
            model_name='apitoken',
            constraint=models.UniqueConstraint(fields=('digest',), name='api_token_digest_unique'),
        ),
    ]

"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0004_unique_and_indexes_without_like'),
        ('scholarships', '0009_schedule_descriptions_vi'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='scholarshipprogram',
            name='code',
            field=models.CharField(max_length=30, verbose_name='mã chương trình'),
        ),
        migrations.AddConstraint(
            model_name='scholarshipprogram',
            constraint=models.UniqueConstraint(fields=('code',), name='program_code_unique'),
        ),
    ]

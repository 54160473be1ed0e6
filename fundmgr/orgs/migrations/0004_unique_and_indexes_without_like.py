"""The unique columns (and indexes) of this app declared in `Meta`, without the LIKE-prefix twin
index that `unique=True` / `db_index=True` add on PostgreSQL: no query looks them up by their
beginning (donations/migrations/0016 says more)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0003_alter_orgunit_path'),
    ]

    operations = [
        migrations.AlterField(
            model_name='orgunit',
            name='code',
            field=models.CharField(max_length=40, verbose_name='mã'),
        ),
        migrations.AddConstraint(
            model_name='orgunit',
            constraint=models.UniqueConstraint(fields=('code',), name='orgs_unit_code_unique'),
        ),
    ]

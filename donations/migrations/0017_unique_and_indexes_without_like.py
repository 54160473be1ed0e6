"""No LIKE-prefix twin indexes on the money-in tables (issue #17: every index costs every insert).

On PostgreSQL, `unique=True` or `db_index=True` on a text column adds, beside its index, a second
one with `varchar_pattern_ops` for `LIKE 'x%'`. No query looks up these columns by their
beginning (the admin's search is a folded "contains", the rest are equalities), so the same
uniqueness and indexes are declared in `Meta` (`UniqueConstraint`, `Index`), which make no twin:
the payment's bank reference, the pledge's reference, the statement line's bank reference and
status, the import's file hash, the donor's four contact and name columns. The pledge's
idempotency key loses its index altogether: no query reads it (keys are answered through
`fundmgr.idempotency`). Validation is unchanged: a single-field `UniqueConstraint` is validated
with the field's own "already exists" message (Django's `validate_constraints`, DRF's
`UniqueValidator`). The indexes are rebuilt under their new names (on SQLite, the tables).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0005_unique_and_indexes_without_like'),
        ('donations', '0016_bank_statement_imports_read'),
        ('ledger', '0011_unique_and_indexes_without_like'),
        ('orgs', '0004_unique_and_indexes_without_like'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='bankstatementimport',
            name='file_sha256',
            field=models.CharField(max_length=64, verbose_name='SHA-256 của tệp'),
        ),
        migrations.AlterField(
            model_name='bankstatementline',
            name='bank_reference',
            field=models.CharField(max_length=64, verbose_name='số tham chiếu'),
        ),
        migrations.AlterField(
            model_name='bankstatementline',
            name='status',
            field=models.CharField(choices=[('matched', 'Đã khớp tự động'), ('unmatched', 'Chờ đối soát'), ('ignored', 'Bỏ qua'), ('manual', 'Khớp thủ công')], default='unmatched', max_length=20, verbose_name='trạng thái'),
        ),
        migrations.AlterField(
            model_name='donor',
            name='email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='e-mail'),
        ),
        migrations.AlterField(
            model_name='donor',
            name='name_normalized',
            field=models.CharField(editable=False, max_length=200, verbose_name='tên viết không dấu'),
        ),
        migrations.AlterField(
            model_name='donor',
            name='phone',
            field=models.CharField(blank=True, help_text='Dạng E.164, ví dụ +84912345678.', max_length=20, verbose_name='điện thoại'),
        ),
        migrations.AlterField(
            model_name='donor',
            name='tax_code',
            field=models.CharField(blank=True, max_length=14, verbose_name='mã số thuế'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='bank_reference',
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name='mã giao dịch ngân hàng'),
        ),
        migrations.AlterField(
            model_name='pledge',
            name='idempotency_key',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name='khóa chống ghi trùng'),
        ),
        migrations.AlterField(
            model_name='pledge',
            name='reference',
            field=models.CharField(max_length=20, verbose_name='mã ủng hộ'),
        ),
        migrations.AddIndex(
            model_name='bankstatementimport',
            index=models.Index(fields=['file_sha256'], name='bank_import_file_sha256_idx'),
        ),
        migrations.AddIndex(
            model_name='bankstatementline',
            index=models.Index(fields=['status'], name='bank_line_status_idx'),
        ),
        migrations.AddIndex(
            model_name='donor',
            index=models.Index(fields=['name_normalized'], name='donor_name_normalized_idx'),
        ),
        migrations.AddIndex(
            model_name='donor',
            index=models.Index(fields=['email'], name='donor_email_idx'),
        ),
        migrations.AddIndex(
            model_name='donor',
            index=models.Index(fields=['phone'], name='donor_phone_idx'),
        ),
        migrations.AddIndex(
            model_name='donor',
            index=models.Index(fields=['tax_code'], name='donor_tax_code_idx'),
        ),
        migrations.AddConstraint(
            model_name='bankstatementline',
            constraint=models.UniqueConstraint(fields=('bank_reference',), name='bank_line_reference_unique'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('bank_reference',), name='payment_bank_reference_unique'),
        ),
        migrations.AddConstraint(
            model_name='pledge',
            constraint=models.UniqueConstraint(fields=('reference',), name='pledge_reference_unique'),
        ),
    ]

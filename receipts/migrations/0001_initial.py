# Receipts, their numbering counters, delivery jobs and annual statements.

import django.db.models.deletion
import django.utils.timezone
import receipts.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('donations', '0002_bank_statement'),
        ('ledger', '0005_nightly_verify_schedule'),
        ('orgs', '0002_membership_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Receipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='năm')),
                ('sequence', models.PositiveIntegerField(verbose_name='số thứ tự trong năm')),
                ('number', models.CharField(max_length=40, verbose_name='số phiếu')),
                ('receipt_date', models.DateField(verbose_name='ngày lập phiếu')),
                ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='thời điểm phát hành')),
                ('verification_code', models.CharField(max_length=16, unique=True, verbose_name='mã xác thực')),
                ('unit_name', models.CharField(max_length=200, verbose_name='tên đơn vị')),
                ('unit_address', models.CharField(blank=True, max_length=300, verbose_name='địa chỉ đơn vị')),
                ('payer_name', models.CharField(max_length=200, verbose_name='họ và tên người nộp tiền')),
                ('payer_address', models.CharField(blank=True, max_length=300, verbose_name='địa chỉ người nộp')),
                ('amount', models.BigIntegerField(verbose_name='số tiền')),
                ('reason', models.CharField(max_length=500, verbose_name='lý do nộp')),
                ('fund_name', models.CharField(max_length=200, verbose_name='quỹ')),
                ('payment_method', models.CharField(choices=[('cash', 'Tiền mặt'), ('bank_transfer', 'Chuyển khoản'), ('in_kind', 'Hiện vật')], max_length=20, verbose_name='hình thức')),
                ('debit_account', models.CharField(max_length=40, verbose_name='tài khoản Nợ')),
                ('credit_account', models.CharField(max_length=40, verbose_name='tài khoản Có')),
                ('attached_documents', models.CharField(blank=True, max_length=200, verbose_name='chứng từ gốc kèm theo')),
                ('pdf', models.FileField(blank=True, max_length=200, upload_to=receipts.models.receipt_pdf_path, verbose_name='tệp PDF')),
                ('state', models.CharField(choices=[('issued', 'Đã phát hành'), ('voided', 'Đã hủy')], default='issued', max_length=10, verbose_name='trạng thái')),
                ('void_reason', models.CharField(blank=True, max_length=500, verbose_name='lý do hủy')),
                ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='thời điểm hủy')),
                ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='người lập phiếu')),
                ('payment', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='receipt', to='donations.payment', verbose_name='khoản thu')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='receipts', to='orgs.orgunit', verbose_name='đơn vị thu')),
                ('void_entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry', verbose_name='bút toán đảo')),
                ('voided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='người hủy')),
            ],
            options={
                'verbose_name': 'phiếu thu',
                'verbose_name_plural': 'phiếu thu',
                'ordering': ['-issued_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='ReceiptCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='năm')),
                ('last_number', models.PositiveIntegerField(default=0, verbose_name='số cuối đã cấp')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.orgunit', verbose_name='đơn vị')),
            ],
            options={
                'verbose_name': 'bộ đếm số phiếu thu',
                'verbose_name_plural': 'bộ đếm số phiếu thu',
            },
        ),
        migrations.CreateModel(
            name='ReceiptDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('pdf', 'Tệp PDF'), ('email', 'E-mail')], max_length=10, verbose_name='kênh')),
                ('status', models.CharField(choices=[('pending', 'Chờ xử lý'), ('running', 'Đang xử lý'), ('done', 'Đã xong'), ('failed', 'Lỗi'), ('skipped', 'Không cần gửi')], default='pending', max_length=10, verbose_name='trạng thái')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='số lần thử')),
                ('last_error', models.TextField(blank=True, verbose_name='lỗi gần nhất')),
                ('recipient', models.CharField(blank=True, max_length=254, verbose_name='gửi tới')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='bắt đầu xử lý lúc')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='xong lúc')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='tạo lúc')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='cập nhật lúc')),
                ('receipt', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='receipts.receipt', verbose_name='phiếu thu')),
            ],
            options={
                'verbose_name': 'việc gửi phiếu thu',
                'verbose_name_plural': 'việc gửi phiếu thu',
                'ordering': ['-updated_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='DonorAnnualStatement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='năm')),
                ('status', models.CharField(choices=[('pending', 'Chờ xử lý'), ('running', 'Đang xử lý'), ('done', 'Đã xong'), ('failed', 'Lỗi'), ('skipped', 'Không cần gửi')], default='pending', max_length=10, verbose_name='trạng thái')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='số lần thử')),
                ('last_error', models.TextField(blank=True, verbose_name='lỗi gần nhất')),
                ('recipient', models.CharField(blank=True, max_length=254, verbose_name='gửi tới')),
                ('receipt_count', models.PositiveIntegerField(default=0, verbose_name='số phiếu thu')),
                ('total_amount', models.BigIntegerField(default=0, verbose_name='tổng số tiền')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='bắt đầu xử lý lúc')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='xong lúc')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='tạo lúc')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='cập nhật lúc')),
                ('donor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='annual_statements', to='donations.donor', verbose_name='nhà hảo tâm')),
            ],
            options={
                'verbose_name': 'bảng kê năm gửi nhà hảo tâm',
                'verbose_name_plural': 'bảng kê năm gửi nhà hảo tâm',
                'ordering': ['-year', 'donor_id'],
                'constraints': [models.UniqueConstraint(fields=('donor', 'year'), name='donor_annual_statement_unique_year')],
            },
        ),
        migrations.AddIndex(
            model_name='receipt',
            index=models.Index(fields=['unit', 'year', 'state'], name='receipts_re_unit_id_1eecf6_idx'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.UniqueConstraint(fields=('unit', 'year', 'sequence'), name='receipt_unique_sequence'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.UniqueConstraint(fields=('unit', 'number'), name='receipt_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='receipt_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.CheckConstraint(condition=models.Q(('sequence__gt', 0)), name='receipt_sequence_positive'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'issued'), ('voided_at__isnull', True)), models.Q(('state', 'voided'), ('voided_at__isnull', False), models.Q(('void_reason', ''), _negated=True)), _connector='OR'), name='receipt_void_has_reason_and_time'),
        ),
        migrations.AddConstraint(
            model_name='receiptcounter',
            constraint=models.UniqueConstraint(fields=('unit', 'year'), name='receipt_counter_unique_unit_year'),
        ),
        migrations.AddIndex(
            model_name='receiptdelivery',
            index=models.Index(fields=['status', 'updated_at'], name='receipts_re_status_eb7a4d_idx'),
        ),
        migrations.AddConstraint(
            model_name='receiptdelivery',
            constraint=models.UniqueConstraint(fields=('receipt', 'channel'), name='receipt_delivery_unique_channel'),
        ),
    ]

"""Donors, pledges (with installments) and payments.

A pledge's paid amount is the sum of its payments, computed when needed: there is no stored
counter that could drift from the payments. Its status is stored because it also records
decisions people make (cancelled, written off) and is recomputed by the service that records
a payment, in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.orgs.models import OrgUnit


class Donor(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Cá nhân")
        BUSINESS = "business", _("Doanh nghiệp")
        AGENCY = "agency", _("Cơ quan")
        ORGANISATION = "organisation", _("Tổ chức")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("họ tên / tên đơn vị"), max_length=200)
    name_normalized = models.CharField(max_length=200, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True, db_index=True, help_text=_("Dạng E.164, ví dụ +84912345678."))
    tax_code = models.CharField(_("mã số thuế"), max_length=14, blank=True, db_index=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="donors")
    honor_roll_consent = models.BooleanField(_("đồng ý ghi danh bảng vàng"), default=False)
    honor_roll_consent_at = models.DateTimeField(_("thời điểm đồng ý ghi danh"), null=True, blank=True)
    email_consent = models.BooleanField(_("đồng ý nhận e-mail"), default=False)
    email_consent_at = models.DateTimeField(_("thời điểm đồng ý nhận e-mail"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("đã gộp vào"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_donors"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhà hảo tâm")
        verbose_name_plural = _("nhà hảo tâm")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Pledge(models.Model):
    class Status(models.TextChoices):
        PLEDGED = "pledged", _("Đã cam kết")
        PARTIALLY_PAID = "partially_paid", _("Đã nộp một phần")
        FULFILLED = "fulfilled", _("Đã nộp đủ")
        CANCELLED = "cancelled", _("Đã hủy")
        WRITTEN_OFF = "written_off", _("Đã xóa nợ")

    class Channel(models.TextChoices):
        FORM = "form", _("Biểu mẫu công khai")
        ADMIN = "admin", _("Quản trị")
        API = "api", _("API")
        IMPORT = "import", _("Nhập tệp")

    reference = models.CharField(_("mã ủng hộ"), max_length=20, unique=True)
    donor = models.ForeignKey(Donor, verbose_name=_("nhà hảo tâm"), on_delete=models.PROTECT, related_name="pledges")
    campaign = models.ForeignKey(Campaign, verbose_name=_("chiến dịch"), on_delete=models.PROTECT, related_name="pledges")
    fund = models.ForeignKey(Fund, verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="pledges")
    amount = models.BigIntegerField(_("số tiền cam kết"))
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.PLEDGED)
    anonymous = models.BooleanField(_("ẩn danh"), default=False)
    list_on_honor_roll = models.BooleanField(_("ghi danh bảng vàng"), default=False)
    message = models.TextField(_("lời nhắn"), blank=True, max_length=1000)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    closed_reason = models.CharField(_("lý do hủy / xóa nợ"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người hủy / xóa nợ"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày cam kết"), auto_now_add=True)

    class Meta:
        verbose_name = _("cam kết ủng hộ")
        verbose_name_plural = _("cam kết ủng hộ")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="pledge_amount_positive")]

    def __str__(self):
        return self.reference


class PledgeInstallment(models.Model):
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(_("đợt"))
    due_on = models.DateField(_("hạn nộp"))
    amount = models.BigIntegerField(_("số tiền"))

    class Meta:
        verbose_name = _("đợt nộp")
        verbose_name_plural = _("các đợt nộp")
        ordering = ["pledge_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "number"], name="installment_unique_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_amount_positive"),
        ]


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("Tiền mặt")
        BANK_TRANSFER = "bank_transfer", _("Chuyển khoản")
        IN_KIND = "in_kind", _("Hiện vật")

    donor = models.ForeignKey(Donor, verbose_name=_("nhà hảo tâm"), on_delete=models.PROTECT, related_name="payments")
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("cam kết"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    fund = models.ForeignKey(Fund, verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="payments")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị thu"), on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField(_("số tiền"))
    method = models.CharField(_("hình thức"), max_length=20, choices=Method.choices)
    in_kind_description = models.CharField(_("mô tả hiện vật"), max_length=300, blank=True)
    received_on = models.DateField(_("ngày nhận"))
    bank_reference = models.CharField(_("mã giao dịch ngân hàng"), max_length=64, null=True, blank=True, unique=True)
    # Set in the same transaction right after the entry is posted (the entry names the payment as its source).
    journal_entry = models.OneToOneField(
        JournalEntry, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("khoản thu")
        verbose_name_plural = _("khoản thu")
        ordering = ["-received_on", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.donor} – {self.amount}"

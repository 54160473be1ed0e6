"""Campaigns: a Tết khuyến học campaign of one association unit for one lunar year."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fundmgr.core.lunar import can_chi
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        OPEN = "open", _("Đang nhận ủng hộ")
        CLOSED = "closed", _("Đã kết thúc")

    name = models.CharField(_("tên chiến dịch"), max_length=200)
    slug = models.SlugField(_("đường dẫn"), max_length=80, db_index=False)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị tổ chức"), on_delete=models.PROTECT, related_name="campaigns")
    lunar_year = models.PositiveSmallIntegerField(_("năm âm lịch"))
    reference_prefix = models.CharField(
        _("tiền tố mã ủng hộ"), max_length=8, help_text=_("Ví dụ TKH26: đứng đầu mã tham chiếu của mỗi cam kết.")
    )
    description = models.TextField(_("giới thiệu"), blank=True)
    ceremony_date = models.DateField(_("ngày lễ phát động / trao thưởng"), null=True, blank=True)
    starts_on = models.DateField(_("ngày bắt đầu"))
    ends_on = models.DateField(_("ngày kết thúc"))
    goal = models.BigIntegerField(_("mục tiêu (đồng)"))
    funds = models.ManyToManyField(Fund, verbose_name=_("các quỹ nhận"), related_name="campaigns")
    default_fund = models.ForeignKey(
        Fund, verbose_name=_("quỹ mặc định"), on_delete=models.PROTECT, related_name="default_for_campaigns"
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    bank_bin = models.CharField(_("mã BIN ngân hàng (NAPAS)"), max_length=6, help_text=_("Ví dụ 970436 (Vietcombank)."))
    bank_name = models.CharField(_("ngân hàng"), max_length=100)
    bank_account_number = models.CharField(_("số tài khoản"), max_length=19)
    bank_account_name = models.CharField(_("chủ tài khoản"), max_length=100)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("chiến dịch")
        verbose_name_plural = _("chiến dịch")
        ordering = ["-starts_on", "name"]
        constraints = [
            # A constraint, not `unique=True`, which adds a LIKE-prefix twin on PostgreSQL that no query uses.
            models.UniqueConstraint(fields=["slug"], name="campaign_slug_unique"),
            models.CheckConstraint(condition=models.Q(goal__gt=0), name="campaign_goal_positive"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_ordered"),
        ]

    def __str__(self):
        return self.name

    @property
    def lunar_year_name(self) -> str:
        """The Can-Chi name of the campaign's lunar year ("Bính Ngọ"), computed, never typed."""
        return can_chi(self.lunar_year)


"""Receipts (phiếu thu) of payments, their numbering counters, and the state of their delivery jobs.

Design:
- A `Receipt` certifies one `Payment`. It copies, when it is issued, everything it certifies
  (payer name and address, amount, reason, fund, method, accounts, the issuing unit's name and
  address): those fields never change afterwards. `save()` refuses to change them, the queryset
  refuses `update()` of them and `delete()`, and on PostgreSQL a trigger refuses both to raw SQL.
  A mistaken receipt is voided (state, reason, who, when; the payment's journal entry is
  reversed) and stays in the register with its number.
- Numbers run per issuing unit and year (`PT-2026-000123`) without gaps or duplicates: the
  `ReceiptCounter` row of (unit, year) is locked in the payment's own transaction
  (`fundmgr.core.numbering`), so a rolled-back payment rolls its number back with it.
- Rendering the PDF and e-mailing it happen after commit, in Celery. Each of the two jobs has
  one `ReceiptDelivery` row (unique per receipt and channel), a job of the outbox
  (`fundmgr.core.outbox`): the job locks it, looks at its status and returns when the work is
  done, so a job that runs twice does the work once, and the outbox's requeue job finds the work
  that a lost message or a killed worker left behind.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from donations.models import Donor, Payment
from fundmgr.core.numbering import NumberCounter
from fundmgr.core.outbox import OutboxJob
from fundmgr.ledger.models import JournalEntry
from fundmgr.orgs.models import OrgUnit


class ReceiptFrozenError(Exception):
    """Raised on any attempt to change what an issued receipt certifies, or to delete a receipt."""


# What a receipt certifies (and how it is identified): written once, when it is issued.
FROZEN_FIELDS = frozenset({
    "unit", "year", "sequence", "number", "payment", "receipt_date", "issued_at", "issued_by",
    "unit_name", "unit_address", "payer_name", "payer_address", "amount", "reason", "fund_name",
    "payment_method", "debit_account", "credit_account", "attached_documents", "verification_code",
})


def _frozen_attnames() -> list[str]:
    return [Receipt._meta.get_field(name).attname for name in sorted(FROZEN_FIELDS)]


class ReceiptQuerySet(models.QuerySet):
    """Refuses the bulk paths that would rewrite what a receipt certifies, or remove receipts."""

    def update(self, **kwargs):
        touched = {name.removesuffix("_id") for name in kwargs} & FROZEN_FIELDS
        if touched:
            raise ReceiptFrozenError(f"An issued receipt cannot change {', '.join(sorted(touched))}.")
        return super().update(**kwargs)

    def delete(self):
        raise ReceiptFrozenError("Receipts are never deleted; void the receipt instead.")

    update.queryset_only = True
    delete.queryset_only = True


def receipt_pdf_path(receipt: "Receipt", filename: str) -> str:
    # Deterministic: rendering again (a retried or duplicated job) overwrites the same file.
    return f"receipts/{receipt.year}/{receipt.unit_id}/{receipt.number}-{receipt.verification_code}.pdf"


class ReceiptCounter(NumberCounter):
    """The last number given out by (unit, year); locked by every issue in that register."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("bộ đếm số phiếu thu")
        verbose_name_plural = pgettext_lazy("plural", "bộ đếm số phiếu thu")
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="receipt_counter_unique_unit_year")]


class Receipt(models.Model):
    class State(models.TextChoices):
        ISSUED = "issued", _("Đã phát hành")
        VOIDED = "voided", pgettext_lazy("receipt state", "Đã hủy")

    # The application's database role issues receipts and may change only these columns of one
    # (voiding, the rendered PDF); never what it certifies, never DELETE (`fundmgr.security.db_roles`).
    app_role_privileges = ("SELECT", "INSERT")
    app_role_update_fields = ("pdf", "state", "void_reason", "voided_by", "voided_at", "void_entry")

    # --- identity ---------------------------------------------------------------------------
    # No index of its own: the unique (unit, year, sequence) and (unit, number) lead with it.
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị thu"), on_delete=models.PROTECT, related_name="receipts", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    sequence = models.PositiveIntegerField(_("số thứ tự trong năm"))
    number = models.CharField(_("số phiếu"), max_length=40)
    payment = models.OneToOneField(Payment, verbose_name=_("khoản thu"), on_delete=models.PROTECT, related_name="receipt")
    receipt_date = models.DateField(_("ngày lập phiếu"))
    issued_at = models.DateTimeField(_("thời điểm phát hành"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người lập phiếu"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    verification_code = models.CharField(_("mã xác thực"), max_length=16)

    # --- what it certifies, copied when issued ---------------------------------------------
    unit_name = models.CharField(_("tên đơn vị"), max_length=200)
    unit_address = models.CharField(_("địa chỉ đơn vị"), max_length=300, blank=True)
    payer_name = models.CharField(_("họ và tên người nộp tiền"), max_length=200)
    payer_address = models.CharField(_("địa chỉ người nộp"), max_length=300, blank=True)
    amount = models.BigIntegerField(_("số tiền"))
    reason = models.CharField(_("lý do nộp"), max_length=500)
    fund_name = models.CharField(_("quỹ"), max_length=200)
    payment_method = models.CharField(_("hình thức"), max_length=20, choices=Payment.Method.choices)
    debit_account = models.CharField(_("tài khoản Nợ"), max_length=40)
    credit_account = models.CharField(_("tài khoản Có"), max_length=40)
    attached_documents = models.CharField(_("chứng từ gốc kèm theo"), max_length=200, blank=True)

    # --- the PDF and the state ----------------------------------------------------------------
    pdf = models.FileField(_("tệp PDF"), upload_to=receipt_pdf_path, max_length=200, blank=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.ISSUED)
    void_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người hủy"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    voided_at = models.DateTimeField(_("thời điểm hủy"), null=True, blank=True)
    void_entry = models.OneToOneField(
        JournalEntry, verbose_name=_("bút toán đảo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiếu thu")
        verbose_name_plural = pgettext_lazy("plural", "phiếu thu")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "sequence"], name="receipt_unique_sequence"),
            models.UniqueConstraint(fields=["unit", "number"], name="receipt_unique_number"),
            # Not `unique=True` on the field: that adds a LIKE-prefix twin on PostgreSQL (donations.models.Donor.Meta).
            models.UniqueConstraint(fields=["verification_code"], name="receipt_verification_code_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(condition=models.Q(sequence__gt=0), name="receipt_sequence_positive"),
            models.CheckConstraint(
                condition=models.Q(state="issued", voided_at__isnull=True)
                | (models.Q(state="voided", voided_at__isnull=False) & ~models.Q(void_reason="")),
                name="receipt_void_has_reason_and_time",
            ),
        ]
        indexes = [models.Index(fields=["unit", "year", "state"])]

    def __str__(self):
        return self.number

    # --- immutability -------------------------------------------------------------------------
    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._frozen_snapshot = instance._frozen_values()
        return instance

    def _frozen_values(self) -> dict:
        return {name: getattr(self, name) for name in _frozen_attnames() if name in self.__dict__}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                touched = {name.removesuffix("_id") for name in update_fields} & FROZEN_FIELDS
                if touched:
                    raise ReceiptFrozenError(f"An issued receipt cannot change {', '.join(sorted(touched))}.")
            else:
                snapshot = getattr(self, "_frozen_snapshot", None)
                if snapshot is None:
                    # Built by hand with the pk of an issued receipt: a full save would overwrite it.
                    raise ReceiptFrozenError("Save an issued receipt with update_fields of its mutable fields.")
                changed = sorted(name for name, value in snapshot.items() if getattr(self, name) != value)
                if changed:
                    raise ReceiptFrozenError(f"An issued receipt cannot change {', '.join(changed)}.")
        super().save(*args, **kwargs)
        self._frozen_snapshot = self._frozen_values()

    def delete(self, *args, **kwargs):
        raise ReceiptFrozenError("Receipts are never deleted; void the receipt instead.")

    @property
    def is_voided(self) -> bool:
        return self.state == self.State.VOIDED

    @property
    def verification_code_display(self) -> str:
        code = self.verification_code
        return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class ReceiptDelivery(OutboxJob):
    """The state of one job of one receipt: render its PDF, e-mail it, or tell the donor it was
    voided (one row each; the last one exists only for a voided receipt).

    Voiding puts the PDF row back to pending: the stored file is rendered again, stamped voided.

    A job of the outbox (`fundmgr.core.outbox`): a row that stays pending or running longer
    than `outbox.STALE_AFTER` is stale and is re-enqueued.
    """

    class Channel(models.TextChoices):
        PDF = "pdf", _("Tệp PDF")
        EMAIL = "email", _("E-mail")
        # Created when the receipt is voided (not when it is issued): tells the donor, once.
        VOID_NOTICE = "void_notice", _("Thông báo hủy phiếu")

    # No index of its own: the unique (receipt, channel) leads with it.
    receipt = models.ForeignKey(
        Receipt, verbose_name=_("phiếu thu"), on_delete=models.PROTECT, related_name="deliveries", db_index=False
    )
    channel = models.CharField(_("kênh"), max_length=20, choices=Channel.choices)
    done_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    audit_unit_path = "receipt__unit"  # as its receipt (fundmgr/audit/units.py)

    class Meta:
        verbose_name = _("việc gửi phiếu thu")
        verbose_name_plural = pgettext_lazy("plural", "việc gửi phiếu thu")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "channel"], name="receipt_delivery_unique_channel"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} – {self.receipt}: {self.get_status_display()}"

    def delete(self, *args, **kwargs):
        raise ReceiptFrozenError("The delivery record of a receipt is never deleted.")


class DonorAnnualStatement(OutboxJob):
    """One e-mail per donor and year listing their receipts; the row (an outbox job) makes sending it
    idempotent."""

    donor = models.ForeignKey(Donor, verbose_name=_("nhà hảo tâm"), on_delete=models.PROTECT, related_name="annual_statements")
    year = models.PositiveSmallIntegerField(_("năm"))
    receipt_count = models.PositiveIntegerField(_("số phiếu thu"), default=0)
    total_amount = models.BigIntegerField(_("tổng số tiền"), default=0)
    done_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("bảng kê năm gửi nhà hảo tâm")
        verbose_name_plural = pgettext_lazy("plural", "bảng kê năm gửi nhà hảo tâm")
        ordering = ["-year", "donor_id"]
        constraints = [
            models.UniqueConstraint(fields=["donor", "year"], name="donor_annual_statement_unique_year"),
        ]

    def __str__(self):
        return _("Bảng kê năm %(year)s của %(donor)s") % {"year": self.year, "donor": self.donor}

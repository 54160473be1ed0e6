"""Donors, pledges (with installments) and payments.

A pledge's paid amount is the sum of its payments that are not voided, computed when needed:
there is no stored counter that could drift from the payments. "Not voided" is decided in one
place, `PaymentQuerySet.not_voided()`, and every sum of paid or received money goes through it.
A pledge's status is stored because it also records decisions people make (cancelled, written
off) and is recomputed by the services that record and void a payment, in the same transaction.

A payment is never deleted or edited: a mistaken one is voided (`services.payment_void`, called
by `donations.services.receipt_void`), which reverses its journal entry and keeps the row with
the reason, who and when.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from fundmgr.core.money import format_vnd
from fundmgr.core.outbox import OutboxJob
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
    name_normalized = models.CharField(_("tên viết không dấu"), max_length=200, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True, help_text=_("Dạng E.164, ví dụ +84912345678."))
    tax_code = models.CharField(_("mã số thuế"), max_length=14, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="donors")
    honor_roll_consent = models.BooleanField(_("đồng ý ghi danh bảng vàng"), default=False)
    honor_roll_consent_at = models.DateTimeField(_("thời điểm đồng ý ghi danh"), null=True, blank=True)
    email_consent = models.BooleanField(_("đồng ý nhận e-mail"), default=False)
    email_consent_at = models.DateTimeField(_("thời điểm đồng ý nhận e-mail"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("đã gộp vào"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_donors"
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("nhà hảo tâm")
        verbose_name_plural = _("nhà hảo tâm")
        ordering = ["name"]
        # The lookups of a donor by contact and name are equalities: plain indexes, declared here
        # rather than by `db_index=True`, which on PostgreSQL adds a LIKE-prefix twin
        # (`varchar_pattern_ops`) that no query uses and every insert writes (docs/performance.md).
        indexes = [
            models.Index(fields=["name_normalized"], name="donor_name_normalized_idx"),
            models.Index(fields=["email"], name="donor_email_idx"),
            models.Index(fields=["phone"], name="donor_phone_idx"),
            models.Index(fields=["tax_code"], name="donor_tax_code_idx"),
        ]

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

    reference = models.CharField(_("mã ủng hộ"), max_length=20)
    donor = models.ForeignKey(Donor, verbose_name=_("nhà hảo tâm"), on_delete=models.PROTECT, related_name="pledges")
    campaign = models.ForeignKey(Campaign, verbose_name=_("chiến dịch"), on_delete=models.PROTECT, related_name="pledges")
    fund = models.ForeignKey(Fund, verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="pledges")
    amount = models.BigIntegerField(_("số tiền cam kết"))
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.PLEDGED)
    anonymous = models.BooleanField(_("ẩn danh"), default=False)
    list_on_honor_roll = models.BooleanField(_("ghi danh bảng vàng"), default=False)
    message = models.TextField(_("lời nhắn"), blank=True, max_length=1000)
    # The key it was created with (informational): repeats are answered through `fundmgr.idempotency`,
    # where keys are scoped to the channel and unit that made them. NULL, not "", for "no key":
    # the column was unique once, and the rows made without a key keep NULL. No index: no query
    # looks a pledge up by it.
    idempotency_key = models.CharField(_("khóa chống ghi trùng"), max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    # The donor's name and contacts as typed with the pledge, kept whatever becomes of the donor record.
    contact_name = models.CharField(_("họ tên đã khai"), max_length=200, blank=True, editable=False)
    contact_email = models.CharField(_("e-mail đã khai"), max_length=254, blank=True, editable=False)
    contact_phone = models.CharField(_("điện thoại đã khai"), max_length=20, blank=True, editable=False)
    contact_tax_code = models.CharField(_("mã số thuế đã khai"), max_length=14, blank=True, editable=False)
    contact_address = models.CharField(_("địa chỉ đã khai"), max_length=300, blank=True, editable=False)
    # A public-form pledge always gets a donor record of its own; an existing donor with the same name
    # (without diacritics) and a same contact is only suggested, for a treasurer to confirm.
    suggested_donor = models.ForeignKey(
        Donor, verbose_name=_("có thể là nhà hảo tâm"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    closed_reason = models.CharField(_("lý do hủy / xóa nợ"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người hủy / xóa nợ"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày cam kết"), auto_now_add=True)
    # What a visitor typed into the public form counts nowhere in public until a treasurer confirms
    # it (`services.pledge_confirm`) or money arrives (`donations.progress`). A pledge recorded by
    # the association itself (admin, API, import) is confirmed when it is created, by its author.
    confirmed_at = models.DateTimeField(_("thời điểm xác nhận"), null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xác nhận"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    # A pledge belongs to its campaign's unit: whose auditors read its audit rows (fundmgr/audit/units.py).
    audit_unit_path = "campaign__unit"

    class Meta:
        verbose_name = _("cam kết ủng hộ")
        verbose_name_plural = _("cam kết ủng hộ")
        ordering = ["-created_at"]
        constraints = [
            # Not `unique=True` on the field: that adds a LIKE-prefix twin index on PostgreSQL (Donor.Meta).
            models.UniqueConstraint(fields=["reference"], name="pledge_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pledge_amount_positive"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class PledgeInstallment(models.Model):
    pledge = models.ForeignKey(Pledge, verbose_name=_("cam kết"), on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(_("đợt"))
    due_on = models.DateField(_("hạn nộp"))
    amount = models.BigIntegerField(_("số tiền"))

    audit_unit_path = "pledge__campaign__unit"  # as its pledge (fundmgr/audit/units.py)

    class Meta:
        verbose_name = _("đợt nộp")
        verbose_name_plural = _("các đợt nộp")
        ordering = ["pledge_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "number"], name="installment_unique_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_amount_positive"),
        ]

    def __str__(self):
        return _("Đợt %(number)s của %(pledge)s") % {"number": self.number, "pledge": self.pledge.reference}


class PaymentQuerySet(models.QuerySet):
    def not_voided(self) -> "PaymentQuerySet":
        """The payments that count as money received: a voided payment was reversed in the ledger."""
        return self.filter(voided_at__isnull=True)


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
    # NULL, not "", for "none": the column is unique (Meta.constraints) and NULLs never collide.
    bank_reference = models.CharField(_("mã giao dịch ngân hàng"), max_length=64, null=True, blank=True)  # noqa: DJ001
    # Why the treasurer accepted more than the pledge had left to pay ("" when it did not exceed it).
    overpayment_reason = models.CharField(_("lý do nộp thừa"), max_length=500, blank=True, editable=False)
    # Set in the same transaction right after the entry is posted (the entry names the payment as its source).
    journal_entry = models.OneToOneField(
        JournalEntry, verbose_name=_("bút toán"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("ghi sổ lúc"), auto_now_add=True)
    # Voiding (`services.payment_void`): the reversal of `journal_entry`, the reason, who and when.
    voided_at = models.DateTimeField(_("thời điểm hủy"), null=True, blank=True, editable=False)
    void_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người hủy"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    void_entry = models.OneToOneField(
        JournalEntry, verbose_name=_("bút toán đảo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("khoản thu")
        verbose_name_plural = _("khoản thu")
        ordering = ["-received_on", "-pk"]
        constraints = [
            # What stops one bank transaction being recorded twice (`services.payment_record`); a
            # constraint, not `unique=True`, so that PostgreSQL has no LIKE-prefix twin (Donor.Meta).
            models.UniqueConstraint(fields=["bank_reference"], name="payment_bank_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(voided_at__isnull=True, void_reason="")
                | (models.Q(voided_at__isnull=False) & ~models.Q(void_reason="")),
                name="payment_void_has_reason_and_time",
            ),
        ]
        # The public statement pages payments by (received_on, id): a keyset walk of this index.
        indexes = [models.Index(fields=["received_on", "id"], name="payment_received_order")]

    def __str__(self):
        return f"{self.donor} – {format_vnd(self.amount)}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class HonorRollRemovalRequest(models.Model):
    """A donor's request, from their own pledge page, that their name leave the public pages.

    The page is anonymous (the pledge's reference is the donor's bearer secret), and an anonymous
    caller never changes an existing record: the request is a row of its own. It takes effect at
    once for what the public sees (`donations.progress.publicly_named`: a pledge with a request is
    not named, whatever its consent said), and a treasurer closes it through
    `services.honor_roll_removal_close`, which turns the pledge's listing off with an audit row.
    One request per pledge: asking twice creates nothing new.
    """

    pledge = models.OneToOneField(
        Pledge, verbose_name=_("cam kết"), on_delete=models.PROTECT, related_name="honor_roll_removal"
    )
    requested_at = models.DateTimeField(_("thời điểm yêu cầu"), auto_now_add=True)
    closed_at = models.DateTimeField(_("thời điểm xử lý"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    audit_unit_path = "pledge__campaign__unit"

    class Meta:
        verbose_name = _("yêu cầu rút tên khỏi bảng vàng")
        verbose_name_plural = _("yêu cầu rút tên khỏi bảng vàng")
        ordering = ["closed_at", "-requested_at"]

    def __str__(self):
        return _("Xin gỡ tên của %(pledge)s") % {"pledge": self.pledge.reference}

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class BankStatementImport(OutboxJob):
    """One bank-statement file imported for a unit's bank account (`donations.services.bank_statement`).

    A job of the outbox (`fundmgr.core.outbox`): the admin's upload stores the file here (pending)
    and returns; the worker reads it, stores and matches its lines in chunks, and counts them in
    `lines_done` (the progress bar), then marks it done, or failed with the reasons in `last_error`.
    """

    done_field = "finished_at"

    class Format(models.TextChoices):
        VIETCOMBANK = "vcb", "Vietcombank"
        BIDV = "bidv", "BIDV"
        TECHCOMBANK = "techcombank", "Techcombank"
        GENERIC = "generic", _("Chung (CSV tự soạn)")

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="bank_statement_imports")
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("chiến dịch"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="bank_statement_imports",
        help_text=_("Để trống: so khớp với mọi chiến dịch của đơn vị."),
    )
    file_name = models.CharField(_("tên tệp"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256 của tệp"), max_length=64)
    # The layout the upload read the file with (the one asked for, or the one detected).
    format = models.CharField(_("mẫu sao kê"), max_length=20, choices=Format.choices, blank=True)
    content = models.BinaryField(_("nội dung tệp"), default=bytes, editable=False)
    lines_done = models.PositiveIntegerField(_("số dòng đã xử lý"), default=0)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    lines_credit = models.PositiveIntegerField(_("số dòng ghi có"), default=0)
    lines_debit = models.PositiveIntegerField(
        _("số dòng ghi nợ"), default=0, help_text=_("Tiền ra khỏi tài khoản: không phải tiền ủng hộ, không lưu.")
    )
    lines_new = models.PositiveIntegerField(
        _("số dòng mới"), default=0, help_text=_("Dòng ghi có chưa từng nhập; phần còn lại đã có từ lần nhập trước.")
    )
    lines_matched = models.PositiveIntegerField(_("số dòng đã khớp"), default=0)
    lines_unmatched = models.PositiveIntegerField(_("số dòng chờ đối soát"), default=0)
    lines_ignored = models.PositiveIntegerField(_("số dòng bỏ qua"), default=0)
    amount_matched = models.BigIntegerField(_("tổng tiền đã khớp"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("thời điểm nhập"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần nhập sao kê")
        verbose_name_plural = _("nhập sao kê ngân hàng")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["file_sha256"], name="bank_import_file_sha256_idx")]  # no LIKE twin (Donor.Meta)

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%d/%m/%Y %H:%M})" if self.created_at else self.file_name


class BankStatementLine(models.Model):
    """One credit line of a statement and what became of it: the reconciliation queue.

    `bank_reference` is the bank's own transaction reference or, for a bank that gives none, a
    stable hash of the line (`bank_statement.line_key`); it is unique, so importing a file twice
    (or two statements that overlap) adds nothing the second time.
    """

    class Status(models.TextChoices):
        MATCHED = "matched", _("Đã khớp tự động")
        UNMATCHED = "unmatched", _("Chờ đối soát")
        IGNORED = "ignored", _("Bỏ qua")
        MANUAL = "manual", _("Khớp thủ công")

    class MatchedBy(models.TextChoices):
        REFERENCE = "reference", _("Mã ủng hộ trong nội dung")
        AMOUNT_AND_NAME = "amount_name", _("Số tiền và tên người chuyển")
        MANUAL = "manual", _("Thủ quỹ chọn")

    statement = models.ForeignKey(
        BankStatementImport, verbose_name=_("lần nhập"), on_delete=models.PROTECT, related_name="lines"
    )
    line_number = models.PositiveIntegerField(_("dòng"))
    transaction_date = models.DateField(_("ngày giao dịch"))
    amount = models.BigIntegerField(_("số tiền ghi có"))
    memo = models.CharField(_("nội dung"), max_length=500, blank=True)
    counterparty = models.CharField(_("người chuyển"), max_length=200, blank=True)
    bank_reference = models.CharField(_("số tham chiếu"), max_length=64)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.UNMATCHED)
    matched_by = models.CharField(_("cách khớp"), max_length=20, choices=MatchedBy.choices, blank=True)
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("cam kết"), null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines"
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("khoản thu"), null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("thời điểm xử lý"), null=True, blank=True)

    audit_unit_path = "statement__unit"  # the unit whose bank account the statement is of (fundmgr/audit/units.py)

    class Meta:
        verbose_name = _("dòng sao kê")
        verbose_name_plural = _("đối soát sao kê")
        ordering = ["statement_id", "line_number"]
        # The unique reference and the status's index declared here, not on the fields: no
        # LIKE-prefix twins on PostgreSQL (Donor.Meta).
        constraints = [
            models.UniqueConstraint(fields=["bank_reference"], name="bank_line_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bank_line_amount_positive"),
        ]
        indexes = [models.Index(fields=["status"], name="bank_line_status_idx")]

    def __str__(self):
        return f"{self.transaction_date:%d/%m/%Y} {format_vnd(self.amount)} {self.memo[:40]}"


class PledgeEmail(OutboxJob):
    """One e-mail about one pledge (its confirmation, or a reminder of one installment), so that
    each goes out once: a job of the outbox (`fundmgr.core.outbox`).

    Unique per (pledge, kind, installment): creating the row is what decides that an e-mail is
    due, and a second attempt to create it (a task run twice, the reminder job run twice in a day)
    finds it. `services.pledge_email_send` sends it: under a row lock it claims it (status
    sending), which a second worker respects until the claim is `STALE_AFTER` old, sends outside
    any transaction and marks it sent; a send error gives the claim back for the task's retry,
    and the task marks the row failed when its retries are exhausted.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Xác nhận cam kết")
        REMINDER_BEFORE = "reminder_before", _("Nhắc trước hạn nộp")
        REMINDER_OVERDUE = "reminder_overdue", _("Nhắc quá hạn nộp")
        # Asked for by a treasurer ("nhắc ngay"); at most one a day per installment.
        REMINDER_NOW = "reminder_now", _("Nhắc theo yêu cầu của thủ quỹ")

    # The outbox's five statuses; the stored values of running and done are this model's own.
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        RUNNING = "sending", _("Đang gửi")
        DONE = "sent", _("Đã gửi")
        FAILED = "failed", _("Lỗi")
        SKIPPED = "skipped", _("Không cần gửi")

    done_field = "sent_at"

    pledge = models.ForeignKey(Pledge, verbose_name=_("cam kết"), on_delete=models.PROTECT, related_name="emails")
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    installment = models.ForeignKey(
        PledgeInstallment, verbose_name=_("đợt nộp"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="emails",
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(_("đã gửi lúc"), null=True, blank=True)
    requested_on = models.DateField(_("ngày yêu cầu nhắc"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu nhắc"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        verbose_name = _("e-mail về cam kết")
        verbose_name_plural = _("e-mail về cam kết")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # NULLs are distinct in a plain unique constraint: the confirmation (no installment)
            # needs its own, partial one.
            models.UniqueConstraint(
                fields=["pledge", "kind"], condition=models.Q(installment__isnull=True),
                name="pledge_email_unique_without_installment",
            ),
            models.UniqueConstraint(
                fields=["pledge", "kind", "installment"],
                condition=models.Q(installment__isnull=False) & ~models.Q(kind="reminder_now"),
                name="pledge_email_unique_per_installment",
            ),
            # A treasurer's "remind now": once a day per installment, however often it is pressed.
            models.UniqueConstraint(
                fields=["installment", "requested_on"], condition=models.Q(kind="reminder_now"),
                name="pledge_email_reminder_now_once_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reminder_now", requested_on__isnull=False)
                | (~models.Q(kind="reminder_now") & models.Q(requested_on__isnull=True)),
                name="pledge_email_requested_on_only_for_reminder_now",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="confirmation", installment__isnull=True)
                | (~models.Q(kind="confirmation") & models.Q(installment__isnull=False)),
                name="pledge_email_installment_only_for_reminders",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "kind"]),
            # The outbox's requeue job: open rows not touched for a while.
            models.Index(fields=["status", "updated_at"], name="pledge_email_status_updated"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.pledge.reference}: {self.get_status_display()}"


# --- the campaign page's running totals -----------------------------------------------------------
# Maintained by `donations/services/tallies.py` in the transaction of every write that moves a
# public figure, read by `donations/progress.py`, rebuilt and checked by `manage.py campaign_tallies`.
# Neither table is a record: each can be rebuilt from the pledges and payments at any time.

TALLY_SHARDS = 8


class CampaignTally(models.Model):
    """Additive counters of a campaign, per fund, day and shard: summing the rows of a campaign
    gives its public totals, grouping them by fund or day gives the page's breakdowns.

    Writers add to a row with one upsert (`received = received + n`); a row is a lock point only
    for writers of the same campaign, fund, day and shard (`payment.pk % TALLY_SHARDS`), so eight
    treasurers recording money into one fund on one day rarely wait for each other. A campaign
    has at most funds × days × shards rows, however many pledges and payments it holds.

    `day` is the payment's `received_on` for `received` (the chart's money by day), and the day of
    the event for the other columns (only their sums are read).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shard = models.PositiveSmallIntegerField()
    received = models.BigIntegerField(default=0)  # payments not voided, on the campaign's pledges
    pledged = models.BigIntegerField(default=0)  # the public amounts (`progress.public_pledges`)
    pledge_count = models.IntegerField(default=0)  # pledges whose public amount is not zero
    donor_count = models.IntegerField(default=0)  # donors with a public amount not zero

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "fund", "day", "shard"], name="campaign_tally_key"),
        ]

    def __str__(self):
        return f"{self.campaign_id}/{self.fund_id}/{self.day}/{self.shard}"


class CampaignDonorTally(models.Model):
    """One donor's figures in one campaign, per choice of anonymity: the honor roll's row.

    `honor_total` is the money received (payments not voided) on the donor's pledges that are
    listed (`progress.publicly_listed`), `first_payment` the first of those payments (the roll's
    tie-break); `public_pledged` the public amounts of the donor's live pledges (the donor count).
    Recomputed from the donor's own pledges and payments under this row's lock, so its cost is
    the donor's history, never the campaign's.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="+")
    anonymous = models.BooleanField()
    honor_total = models.BigIntegerField(default=0)
    first_payment = models.BigIntegerField(null=True)
    public_pledged = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "donor", "anonymous"], name="campaign_donor_tally_key"),
        ]
        # The honor roll: a campaign's rows by money received, then by the first payment.
        indexes = [
            models.Index(
                "campaign", models.F("honor_total").desc(), "first_payment", name="campaign_donor_honor_roll",
                condition=models.Q(honor_total__gt=0),
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id}/{self.donor_id}/{self.anonymous}"

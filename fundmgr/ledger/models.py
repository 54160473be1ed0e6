"""The ledger: funds, a chart of accounts, and append-only double-entry journal entries.

Design:
- Money is an integer number of dong. A `JournalLine` carries a positive amount on exactly one
  side (debit or credit); the database refuses anything else.
- Every line names a fund, and every entry balances per fund (each fund is its own set of
  books inside the association's books). The posting service checks this; on PostgreSQL a
  deferred constraint trigger checks it again at commit.
- Posted entries and lines are never updated or deleted: `delete()`/`save()` of an existing row
  raise, querysets refuse `update()`/`delete()`, and PostgreSQL triggers refuse raw SQL. A
  correction is a new entry that names the entry it reverses.
- Entries form a hash chain in posting order (`pk`): each stores SHA-256 over its canonical
  content and the previous entry's hash (`docs/ledger.md` defines the canonical form).
- The ledger knows nothing of donations or scholarships: an entry names its source document
  by a generic content type and id.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from fundmgr.core.append_only import AppendOnlyError, AppendOnlyModel
from fundmgr.orgs.models import OrgUnit

from .hashing import GENESIS_HASH  # the `previous_hash` of the first entry


class LedgerHistoryError(AppendOnlyError):
    """Raised on any attempt to change or remove posted history."""


class Circumstance(models.TextChoices):
    """Student circumstances a fund may be restricted to (the scholarships app uses the same)."""

    POOR_HOUSEHOLD = "poor", _("Hộ nghèo")
    NEAR_POOR_HOUSEHOLD = "near_poor", _("Hộ cận nghèo")
    ORPHAN = "orphan", _("Mồ côi")
    DISABILITY = "disability", _("Khuyết tật")
    ETHNIC_MINORITY = "ethnic_minority", _("Dân tộc thiểu số")
    REMOTE_AREA = "remote", _("Vùng sâu, vùng xa")


class Fund(models.Model):
    class Restriction(models.TextChoices):
        UNRESTRICTED = "unrestricted", _("Không hạn chế")
        PURPOSE = "purpose", _("Hạn chế theo mục đích")
        UNITS = "units", _("Hạn chế theo đơn vị / địa bàn")
        CIRCUMSTANCES = "circumstances", _("Hạn chế theo hoàn cảnh học sinh")

    code = models.CharField(_("mã quỹ"), max_length=30)
    name = models.CharField(_("tên quỹ"), max_length=200)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị quản lý"), on_delete=models.PROTECT, related_name="funds")
    restriction = models.CharField(
        _("hạn chế sử dụng"), max_length=20, choices=Restriction.choices, default=Restriction.UNRESTRICTED
    )
    restricted_purpose = models.CharField(_("mục đích được chi"), max_length=300, blank=True)
    restricted_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("chỉ chi cho đơn vị"), blank=True, related_name="restricted_funds"
    )
    restricted_circumstances = models.JSONField(
        _("chỉ chi cho hoàn cảnh"), default=list, blank=True,
        help_text=_("Danh sách mã hoàn cảnh (Circumstance) mà quỹ được phép chi cho."),
    )
    is_endowment = models.BooleanField(
        _("quỹ bảo toàn vốn gốc"), default=False,
        help_text=_("Vốn gốc được bảo toàn; chỉ được chi từ tiền lãi."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("quỹ")
        verbose_name_plural = _("quỹ")
        ordering = ["code"]
        # Unique codes as constraints, not `unique=True`, which adds a LIKE-prefix twin index on
        # PostgreSQL that no query uses (no code is looked up by its beginning).
        constraints = [models.UniqueConstraint(fields=["code"], name="ledger_fund_code_unique")]

    def __str__(self):
        return self.name


class Account(models.Model):
    """An account of the chart (`fundmgr.ledger.accounts` lists the codes the code relies on)."""

    class Kind(models.TextChoices):
        ASSET = "asset", _("Tài sản")
        NET_ASSETS = "net_assets", _("Nguồn quỹ")
        INCOME = "income", _("Thu")
        EXPENSE = "expense", _("Chi")

    class Side(models.TextChoices):
        DEBIT = "debit", _("Nợ")
        CREDIT = "credit", _("Có")

    code = models.CharField(_("số hiệu"), max_length=10)
    name = models.CharField(_("tên tài khoản"), max_length=200)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    normal_side = models.CharField(_("số dư bên"), max_length=6, choices=Side.choices)

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("hệ thống tài khoản")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code"], name="ledger_account_code_unique")]  # as Fund's

    def __str__(self):
        return f"{self.code} {self.name}"


class LedgerAppendOnlyModel(AppendOnlyModel):
    """Posted entries and lines: corrected by a reversal, never rewritten (`fundmgr.core.append_only`)."""

    refusal_error = LedgerHistoryError
    refusal_messages = {
        "change": "Posted ledger rows cannot be changed; post a reversal instead.",
        "update": "Posted ledger rows cannot be updated; post a reversal instead.",
        "delete": "Posted ledger rows cannot be deleted; post a reversal instead.",
        "upsert": "Posted ledger rows cannot be upserted; post a reversal instead.",
    }

    class Meta:
        abstract = True


class JournalEntry(LedgerAppendOnlyModel):
    # The application's database role may add entries, never change or remove them (`fundmgr.security.db_roles`).
    app_role_privileges = ("SELECT", "INSERT")

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị ghi sổ"), on_delete=models.PROTECT, related_name="journal_entries")
    date = models.DateField(_("ngày hạch toán"), db_index=True)
    memo = models.CharField(_("diễn giải"), max_length=500)
    # No index of its own: the (source_type, source_id) index leads with it.
    source_type = models.ForeignKey(
        ContentType, verbose_name=_("loại chứng từ"), null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    source_id = models.CharField(_("mã chứng từ"), max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("bút toán bị đảo"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="reversed_by",
    )
    reversal_reason = models.CharField(_("lý do đảo"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    previous_hash = models.CharField(_("mã băm của bút toán trước"), max_length=64)
    hash = models.CharField(_("mã băm"), max_length=64)

    class Meta:
        verbose_name = _("bút toán")
        verbose_name_plural = _("bút toán")
        ordering = ["pk"]
        indexes = [models.Index(fields=["source_type", "source_id"])]
        constraints = [
            # At most one entry follows any hash: the chain cannot fork, even if a writer
            # bypassed the chain-head lock of `services.entry_post`.
            models.UniqueConstraint(fields=["previous_hash"], name="ledger_entry_chain_no_fork"),
            models.UniqueConstraint(fields=["hash"], name="ledger_entry_hash_unique"),  # as Fund's code
        ]

    def __str__(self):
        return f"#{self.pk} {self.date:%d/%m/%Y} {self.memo}"


class JournalLine(LedgerAppendOnlyModel):
    app_role_privileges = ("SELECT", "INSERT")

    entry = models.ForeignKey(JournalEntry, verbose_name=_("bút toán"), on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, verbose_name=_("tài khoản"), on_delete=models.PROTECT, related_name="lines")
    # No index of its own: the (fund, account) index leads with it.
    fund = models.ForeignKey(Fund, verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="lines", db_index=False)
    debit = models.BigIntegerField(_("Nợ"), default=0)
    credit = models.BigIntegerField(_("Có"), default=0)

    class Meta:
        verbose_name = _("dòng bút toán")
        verbose_name_plural = _("dòng bút toán")
        ordering = ["entry_id", "pk"]
        indexes = [models.Index(fields=["fund", "account"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="ledger_line_one_positive_side",
            ),
        ]

    def __str__(self):
        # No amount: the line's own page and its entry's table show it in their columns.
        if self.debit:
            return _("Dòng Nợ %(account)s của bút toán #%(entry)s") % {"account": self.account.code, "entry": self.entry_id}
        return _("Dòng Có %(account)s của bút toán #%(entry)s") % {"account": self.account.code, "entry": self.entry_id}


class LedgerChainHead(models.Model):
    """The single row (pk 1) that names the last entry of the hash chain.

    `services.entry_post` locks it (`select_for_update`) for the length of the posting
    transaction, so two posters never read the same head and fork the chain; on SQLite the
    IMMEDIATE transaction mode serialises writers already. `verify_ledger` checks that it
    names the last entry and that entry's hash, which reveals a removed tail.
    """

    SINGLETON_PK = 1
    # Updated by every posting; on PostgreSQL a trigger (migration 0006) lets it move only one
    # link forward, to the newest entry, and refuses DELETE even to the owner.
    app_role_privileges = ("SELECT", "INSERT", "UPDATE")

    last_entry_id = models.BigIntegerField(_("bút toán cuối"), null=True, blank=True)
    last_hash = models.CharField(_("mã băm cuối"), max_length=64, default=GENESIS_HASH)
    entry_count = models.BigIntegerField(_("số bút toán"), default=0)

    class Meta:
        verbose_name = _("đầu chuỗi sổ cái")
        verbose_name_plural = _("đầu chuỗi sổ cái")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="ledger_chain_head_singleton")]

    def __str__(self):
        return f"#{self.last_entry_id or 0} {self.last_hash[:12]}"


class LedgerVerification(models.Model):
    """One run of `verify_ledger` (the command, the nightly task or the admin), kept for auditors."""

    app_role_privileges = ("SELECT", "INSERT", "UPDATE")  # a run is finished, never removed

    started_at = models.DateTimeField(_("bắt đầu"), auto_now_add=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    ok = models.BooleanField(_("nguyên vẹn"), null=True)
    first_broken_entry_id = models.BigIntegerField(_("bút toán hỏng đầu tiên"), null=True, blank=True)
    message = models.TextField(_("kết quả"), blank=True)
    entries_checked = models.BigIntegerField(_("số bút toán đã kiểm"), default=0)
    lines_checked = models.BigIntegerField(_("số dòng đã kiểm"), default=0)

    class Meta:
        verbose_name = _("lần kiểm tra sổ cái")
        verbose_name_plural = _("các lần kiểm tra sổ cái")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.started_at:%d/%m/%Y %H:%M} {'OK' if self.ok else self.message[:60]}"

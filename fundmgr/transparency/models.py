"""The transparency log (RFC 9162) over the journal: the stored tree and its signed checkpoints.

Leaf *i* is the *i*-th journal entry in posting order (`pk`), its data the entry's hash as 32
bytes (`docs/transparency.md`). `TreeNode` keeps the hash of every complete, aligned subtree, so
that a root or a proof for any size reads about log₂ n rows instead of every entry. A
`Checkpoint` is a tree size and its root, signed with the association's Ed25519 key (the key
never lives in the database) and copied outside it. Both are append-only: history, never edited.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundmgr.core.append_only import AppendOnlyModel
from fundmgr.core.outbox import OutboxJob
from fundmgr.ledger.models import JournalEntry

from .signing import SignedCheckpoint


class TreeNode(AppendOnlyModel):
    """The hash of the complete subtree of 2**level leaves that starts at leaf index * 2**level.

    Level 0 rows are the leaves and name their journal entry, which maps an entry to its index.
    """

    app_role_privileges = ("SELECT", "INSERT")

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="tree_leaf"
    )

    class Meta:
        verbose_name = _("nút cây Merkle")
        verbose_name_plural = _("nút cây Merkle")
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="transparency_node_position"),
            models.CheckConstraint(
                condition=models.Q(level=0, entry__isnull=False) | models.Q(level__gt=0, entry__isnull=True),
                name="transparency_node_leaf_has_entry",
            ),
        ]

    def __str__(self):
        return f"{self.level}/{self.index}"


class Checkpoint(AppendOnlyModel):
    """A signed statement "the log had `tree_size` entries with root `root_hash` at `created_at`"."""

    app_role_privileges = ("SELECT", "INSERT")

    tree_size = models.PositiveBigIntegerField(_("số bút toán"), unique=True)
    root_hash = models.CharField(_("gốc cây (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("thời điểm"), db_index=True)
    origin = models.CharField(_("nguồn"), max_length=200)
    key_id = models.CharField(_("mã khoá ký"), max_length=64)
    signature = models.CharField(_("chữ ký Ed25519"), max_length=128)
    public_key = models.CharField(_("khoá công khai"), max_length=44, default="")

    class Meta:
        verbose_name = _("điểm kiểm chứng")
        verbose_name_plural = _("điểm kiểm chứng")
        ordering = ["-tree_size"]

    def __str__(self):
        return _("Điểm kiểm chứng %(size)s bút toán, %(date)s") % {"size": self.tree_size, "date": f"{timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"}

    @property
    def signed(self) -> SignedCheckpoint:
        return SignedCheckpoint(
            origin=self.origin, tree_size=self.tree_size, root_hash=self.root_hash, time=self.created_at,
            key_id=self.key_id, signature=self.signature, public_key=self.public_key,
        )


class CheckpointDelivery(OutboxJob):
    """One e-mail of a checkpoint to one auditor: a copy the database does not hold, sent after commit
    by the outbox (retried, and requeued when its message is lost)."""

    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("điểm kiểm chứng"), on_delete=models.PROTECT, related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận thư"), on_delete=models.PROTECT, related_name="+",
    )
    done_at = models.DateTimeField(_("gửi thư lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("việc gửi điểm kiểm chứng")
        verbose_name_plural = pgettext_lazy("plural", "việc gửi điểm kiểm chứng")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "user"], name="transparency_delivery_one_per_user"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        return f"{self.checkpoint} → {self.user}: {self.get_status_display()}"

"""Integration tokens: a user's named, scoped, expiring key to the API, stored hashed.

The plain token is shown once, when it is made (`services.api_token_create`); the database keeps
its SHA-256 and a short visible prefix, by which a person recognises it in the admin and the
authentication finds its row. SHA-256 is enough here (no slow password hash): the secret is 256
random bits, not something a person chose, so there is nothing to guess from a stolen hash.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    # The application's database role (fundmgr/security/db_roles.py) never deletes a token nor
    # rewrites its digest, owner, scope or expiry: it records a revocation and the last use.
    app_role_privileges = ("SELECT", "INSERT")
    app_role_update_fields = ("revoked_at", "last_used_at")

    class Scope(models.TextChoices):
        READ = "read", _("Chỉ đọc")
        READ_WRITE = "read-write", _("Đọc và ghi")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chủ khóa"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("tên khóa"), max_length=100, help_text=_("Dùng cho việc gì, ví dụ: “Webhook ngân hàng”."))
    scope = models.CharField(_("quyền"), max_length=20, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(_("tiền tố"), max_length=16, editable=False)
    digest = models.CharField(_("mã băm SHA-256"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("hạn dùng"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")
        ordering = ["-created_at"]
        # Declared here, not on the fields: `db_index=True` / `unique=True` add a LIKE-prefix twin
        # index on PostgreSQL, and a token is found by its prefix's equality, never its beginning.
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="api_token_digest_unique"),
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_creation"),
        ]
        indexes = [models.Index(fields=["prefix"], name="api_token_prefix_idx")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_active_at(self, moment) -> bool:
        return self.revoked_at is None and moment < self.expires_at

"""One row per idempotency key a money-creating write has used.

A key lives in a scope, the channel and unit that made it (`"api:12"`, `"admin:12"`, `"form:3"`),
so that two channels, or two units, cannot reach each other's records by guessing a key. The
row holds a fingerprint of the request: a repeat with the same body answers the first result,
the same key with another body is refused and reveals nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    scope = models.CharField(_("phạm vi"), max_length=100)
    key = models.CharField(_("khóa"), max_length=64)
    # SHA-256 of the request's canonical content; "" for keys carried over from before fingerprints,
    # which match no request (a repeat of such a key is refused rather than answered blindly).
    fingerprint = models.CharField(_("dấu vân tay yêu cầu"), max_length=64)
    # The record the first request made ("donations.payment", 42); set in the same transaction.
    model_label = models.CharField(_("loại hồ sơ"), max_length=100, blank=True)
    object_id = models.PositiveBigIntegerField(null=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("khóa chống ghi trùng")
        verbose_name_plural = _("khóa chống ghi trùng")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_in_scope")]

    def __str__(self):
        return f"{self.scope} {self.key}"

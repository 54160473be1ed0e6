"""The audit trail: one append-only row per change to money or student records.

Rows come from two places (`source`):
- "service": a service calls `audit_record(...)` inside its own transaction, so the row
  exists exactly when the change does, with the acting user, client IP and request id taken
  from the request context, and personal fields masked.
- "db-trigger": on PostgreSQL, a trigger on each audited table (`AUDITED_TABLES`) writes a row
  for every INSERT, UPDATE and DELETE, including raw SQL that bypasses every service.

Both carry the database transaction id (`transaction_id`, PostgreSQL only), so an auditor can
pair the trigger's row with the service's row of the same change, and spot trigger rows that
no service explains: a change made behind the application's back. Both also carry the unit of
the changed record (`unit`; `units.py` says how it is found), which decides which auditors may
read the row (`admin.py`); system-wide rows have none.

Nobody edits or deletes an audit row: `save()` of an existing row, `delete()`, and queryset
`update()`/`delete()` raise, the admin is read-only, and on PostgreSQL a trigger refuses UPDATE,
DELETE and TRUNCATE from any SQL client.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundmgr.core.append_only import AppendOnlyError, AppendOnlyModel


class AuditTrailError(AppendOnlyError):
    """Raised on any attempt to change or remove an audit row."""


class CurrentTransactionId(models.Func):
    """`txid_current()` on PostgreSQL; NULL where the database has no transaction ids."""

    function = "txid_current"
    template = "%(function)s()"
    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


class AuditEvent(AppendOnlyModel):
    # The application's database role may add rows, never change or remove them (`db_roles.py`).
    app_role_privileges = ("SELECT", "INSERT")

    class Action(models.TextChoices):
        CREATE = "create", _("Tạo mới")
        CHANGE = "change", _("Sửa")
        TRANSITION = "transition", _("Chuyển trạng thái")
        DELETE = "delete", _("Xóa")
        VIEW = "view", _("Xem")
        EXPORT = "export", _("Xuất dữ liệu")

    class Source(models.TextChoices):
        SERVICE = "service", _("Dịch vụ ứng dụng")
        DB_TRIGGER = "db-trigger", _("Trigger cơ sở dữ liệu")

    occurred_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    # PROTECT: an account with a history is deactivated, never deleted (SET_NULL would be an
    # UPDATE of audit rows, which the trigger refuses anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actor_label = models.CharField(_("tên người thực hiện"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    action = models.CharField(_("hành động"), max_length=12, choices=Action.choices)
    model_label = models.CharField(_("đối tượng"), max_length=100)
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    source = models.CharField(_("nguồn"), max_length=12, choices=Source.choices, default=Source.SERVICE)
    request_id = models.CharField(_("mã yêu cầu"), max_length=64, blank=True)
    # The unit the changed record belongs to (`units.py`), so an auditor reads only their units'
    # rows; NULL for system-wide rows and for rows written before the column existed (filling
    # those in would be an UPDATE of the trail). PROTECT: a unit with a history is never deleted.
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=True,
    )
    transaction_id = models.BigIntegerField(
        _("mã giao dịch CSDL"), null=True, blank=True, editable=False, db_index=True,
        db_default=CurrentTransactionId(),
    )

    refusal_error = AuditTrailError
    refusal_messages = {
        "change": "Audit rows cannot be changed.",
        "update": "Audit rows cannot be changed.",
        "delete": "Audit rows cannot be deleted.",
        "upsert": "Audit rows cannot be changed.",
    }

    class Meta:
        verbose_name = _("sự kiện kiểm tra")
        verbose_name_plural = _("nhật ký kiểm tra")
        ordering = ["-occurred_at", "-pk"]
        # Every payment, pledge and receipt writes several rows here, and each index costs every
        # row its insert: only what a lookup uses. Not `db_index=True` on the text columns, which
        # on PostgreSQL adds a second, LIKE-prefix index that no query here uses (the admin's
        # search is a folded "contains"); a model's history and the model filter use
        # `audit_object_idx` (model_label first).
        indexes = [
            models.Index(fields=["model_label", "object_id"], name="audit_object_idx"),
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]

    def __str__(self):
        # Day first, at the association's time (UTC+7), as every date the admin shows.
        return f"{timezone.localtime(self.occurred_at):%d/%m/%Y %H:%M:%S} {self.actor_label or '-'} {self.action} {self.model_label}#{self.object_id}"

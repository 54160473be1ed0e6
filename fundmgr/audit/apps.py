from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: who changed which money or student record, when, from where."""

    name = "fundmgr.audit"
    label = "audit"
    verbose_name = _("Nhật ký kiểm tra")

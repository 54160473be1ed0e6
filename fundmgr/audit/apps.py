from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: who changed which money or student record, when, from where."""

    name = "fundmgr.audit"
    label = "audit"
    verbose_name = _("Nhật ký kiểm tra")

    def ready(self):
        from .triggers import install_after_migrate

        # Sent once per `migrate` for this app, after every migration of every app has run:
        # the tables other apps created in the same run exist by then.
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="audit_install_triggers")
        # With DATABASE_APP_ROLE set, every migrate re-grants the application's role (db_roles.py).
        from fundmgr.security.db_roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit_grant_app_role")

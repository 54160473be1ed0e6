from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "fundmgr.ledger"
    label = "ledger"
    verbose_name = _("Sổ quỹ")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .accounts import chart_install
        from .exporters import exporters_register

        post_migrate.connect(chart_install, sender=self, dispatch_uid="ledger_chart_install")
        exporters_register()

    def seed_demo(self):
        """The demo funds and their opening balances (`manage.py seed_demo`; idempotent)."""
        from .demo import seed_demo

        return seed_demo()

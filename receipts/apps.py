from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    """Receipts (phiếu thu) of payments: numbering, the PDF, and their delivery jobs."""

    name = "receipts"
    label = "receipts"
    verbose_name = _("Phiếu thu")

    def ledger_references(self):
        """Receipts and the entries of their payments, for `verify_ledger` (`fundmgr.ledger.references`)."""
        from .selectors import receipt_ledger_references

        return receipt_ledger_references()

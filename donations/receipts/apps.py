from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    """Receipts (phiếu thu) of payments: numbering, the PDF, and their delivery jobs."""

    name = "donations.receipts"
    label = "receipts"
    verbose_name = _("Phiếu thu")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    """Receipts (phiếu thu) of payments: numbering, the PDF, and their delivery jobs."""

    name = "receipts"
    label = "receipts"
    verbose_name = _("Phiếu thu")

    def ready(self):
        # The delivery jobs and the annual statements are jobs of the outbox: its requeue job
        # sends a lost one again.
        from fundmgr.core import outbox

        from . import tasks
        from .models import DonorAnnualStatement, ReceiptDelivery

        outbox.register(ReceiptDelivery, lambda job: (tasks.TASK_BY_CHANNEL[job.channel], (job.receipt_id,)))
        outbox.register(DonorAnnualStatement, lambda job: (tasks.donor_annual_statement_task, (job.donor_id, job.year)))

        # The receipts register, a book of the reports.
        from fundmgr.core.exporting import register

        from .exporters import RECEIPTS_REGISTER

        register(RECEIPTS_REGISTER)

    def ledger_references(self):
        """Receipts and the entries of their payments, for `verify_ledger` (`fundmgr.ledger.references`)."""
        from .selectors import receipt_ledger_references

        return receipt_ledger_references()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    label = "donations"
    verbose_name = _("Tiếp nhận ủng hộ")

    def ready(self):
        # The pledge e-mails are jobs of the outbox: its requeue job sends a lost one again.
        from fundmgr.core import outbox

        from .models import BankStatementImport, PledgeEmail
        from .tasks import bank_statement_import_task, pledge_confirmation_send, pledge_email_send_task

        def task_of(email: PledgeEmail) -> tuple:
            if email.kind == PledgeEmail.Kind.CONFIRMATION:
                return pledge_confirmation_send, (email.pledge_id,)
            return pledge_email_send_task, (email.pk,)

        outbox.register(PledgeEmail, task_of)
        # An uploaded bank statement is imported by the worker, as a job of the outbox too.
        outbox.register(BankStatementImport, lambda statement: (bank_statement_import_task, (statement.pk,)))

        # The fund statement's money in by campaign.
        from fundmgr.ledger.sources import register_source_grouper

        from .selectors import payment_campaigns

        register_source_grouper("donations.payment", payment_campaigns)

        # The money-in books of the reports (pledges outstanding, the campaign report, donors).
        from fundmgr.core.exporting import register

        from .exporters import EXPORTERS

        for exporter in EXPORTERS:
            register(exporter)

    def seed_demo(self) -> str:
        """Demo donors, pledges, payments and a bank statement (`manage.py seed_demo`; idempotent)."""
        from .demo import seed_demo

        return seed_demo()

    def ledger_references(self):
        """Payments and the entries they name, for `verify_ledger` (`fundmgr.ledger.references`)."""
        from .selectors import payment_ledger_references

        return payment_ledger_references()

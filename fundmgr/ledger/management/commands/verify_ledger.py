"""`manage.py verify_ledger`: recompute the hash chain and every entry's balance, and say where it breaks.

Exit status 0 and a summary when the ledger is intact; otherwise a CommandError (exit status 1)
that names the first broken entry and why. Every run is recorded as a `LedgerVerification`.
"""

from django.core.management.base import BaseCommand, CommandError

from fundmgr.ledger.services import ledger_verify


class Command(BaseCommand):
    help = "Verify the ledger's hash chain and per-fund balance of every entry (exit 1 when broken)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=10_000,
            help="Entries read per query (their lines come in one more query).",
        )

    def handle(self, *args, batch_size, **options):
        verification = ledger_verify(batch_size=batch_size)
        if not verification.ok:
            raise CommandError(verification.message)
        self.stdout.write(self.style.SUCCESS(verification.message))

"""`manage.py verify_ledger`: recompute the hash chain and every entry's balance, and say where it breaks.

Exit status 0 and a summary when the ledger is intact; otherwise a CommandError (exit status 1)
that names the first broken entry and why. Every run is recorded as a `LedgerVerification`.

`--checkpoints FILE` also checks the chain against signed checkpoints kept outside the database
(docs/transparency.md): a chain rewritten whole by someone who could switch the triggers off is
self-consistent, but contradicts a checkpoint taken before the rewrite, which it names. The ledger
knows nothing of the transparency log, so the check is the one an installed app offers through
its AppConfig (`ledger_checkpoints_check(path) -> (ok, message)`), as with `ledger_references`.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from fundmgr.ledger.services import ledger_verify


class Command(BaseCommand):
    help = "Verify the ledger's hash chain and per-fund balance of every entry (exit 1 when broken)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=10_000,
            help="Entries read per query (their lines come in one more query).",
        )
        parser.add_argument(
            "--checkpoints", metavar="FILE",
            help="A file of signed checkpoints (JSON lines); exit 1 naming the first one the ledger contradicts.",
        )

    def handle(self, *args, batch_size, checkpoints=None, **options):
        checkers = [
            app_config.ledger_checkpoints_check for app_config in apps.get_app_configs()
            if hasattr(app_config, "ledger_checkpoints_check")
        ]
        if checkpoints and not checkers:
            raise CommandError("No installed app checks checkpoints (fundmgr.transparency).")
        verification = ledger_verify(batch_size=batch_size)
        if not verification.ok:
            raise CommandError(verification.message)
        self.stdout.write(self.style.SUCCESS(verification.message))
        for check in checkers if checkpoints else []:
            ok, message = check(checkpoints)
            if not ok:
                raise CommandError(message)
            self.stdout.write(self.style.SUCCESS(message))

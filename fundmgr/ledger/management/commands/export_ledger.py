"""`manage.py export_ledger [FILE | -o FILE] [--format csv|xlsx] [--fund CODE] [--unit CODE] [--from D] [--to D]`.

The general journal (`general_journal` exporter: one row per journal line, chain order, hashes
included) written by the kernel's writers, read inside one REPEATABLE READ transaction on
PostgreSQL, so entries posted while the export runs cannot tear the file. The command prints the
manifest: row count, debit and credit totals, the last hash and the SHA-256 of the file; an
auditor notes them, and `docs/ledger.md` has a script that recomputes the chain from an
unfiltered CSV. Memos are written exactly as stored (the hashes cover them), so open the CSV as
text or import it with every column as text, not by double-clicking it into a spreadsheet.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from fundmgr.core.exporting import WRITERS, ExportRequest, export_write, exporter_get
from fundmgr.ledger.exporters import LedgerPeriodForm
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Export the general journal (one row per journal line, with the hash chain) to a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, nargs="?", help="The file to write (same as -o).")
        parser.add_argument("-o", "--output", dest="output_option", type=Path, help="The file to write.")
        parser.add_argument("--format", choices=sorted(WRITERS), default=None,
                            help="csv (UTF-8 with a BOM) or xlsx; default: from the file's suffix, else csv.")
        parser.add_argument("--fund", metavar="CODE", help="Only the lines of this fund.")
        parser.add_argument("--unit", metavar="CODE", help="Only entries posted by this unit and the units below it.")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="First posting date.")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="Last posting date.")

    def handle(self, *args, output: Path | None, output_option: Path | None, **options):
        output = output_option or output
        if output is None:
            raise CommandError("name the file to write: export_ledger FILE or -o FILE")
        file_format = options["format"] or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
        params = self._params(options)
        exporter = exporter_get("general_journal")
        request = ExportRequest(params=params)
        progress = self._progress_bar(exporter, request) if self._on_terminal() else None
        # Inside a caller's transaction (tests) the snapshot is the caller's to choose.
        own_transaction = not connection.in_atomic_block
        with transaction.atomic(), output.open("wb") as file:
            if connection.vendor == "postgresql" and own_transaction:
                # Must be the transaction's first statement: one snapshot for the whole file.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if progress is not None:
                progress = progress()
            # On PostgreSQL the CSV comes from COPY (the same bytes, several times faster).
            manifest = export_write(exporter, request, file_format, file, progress=progress, every=5000)
        if progress is not None:
            self.stdout.write("")
        debit, credit = (manifest.totals[str(column.label)] for column in exporter.columns_for(request)[-2:])
        last_hash = next(iter(manifest.last.values()), "")
        self.stdout.write(
            f"{manifest.rows} lines, debit {debit}, credit {credit}, last hash {last_hash or '-'}\n"
            f"sha256 {manifest.sha256}  {output}"
        )

    def _params(self, options) -> dict:
        data = {"date_from": options["date_from"] or "", "date_to": options["date_to"] or ""}
        if options["fund"]:
            fund = Fund.objects.filter(code=options["fund"]).first()
            if fund is None:
                raise CommandError(f"no fund with the code {options['fund']!r}")
            data["fund"] = fund.pk
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit with the code {options['unit']!r}")
            data["unit"] = unit.pk
        form = LedgerPeriodForm(data)
        if not form.is_valid():
            raise CommandError("; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()))
        return form.cleaned_data

    def _on_terminal(self) -> bool:
        return self.stdout.isatty()

    def _progress_bar(self, exporter, request):
        """A factory, called inside the snapshot: it counts the rows there, then draws a bar."""

        def start():
            total = exporter.count(request) if exporter.count else 0

            def draw(done: int) -> None:
                width = 40
                filled = width * done // total if total else width
                percent = 100 * done // total if total else 100
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({percent}%)", ending="")
                self.stdout.flush()

            return draw

        return start

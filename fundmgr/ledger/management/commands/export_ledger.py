"""`manage.py export_ledger FILE`: the whole ledger as CSV for auditors, one row per journal line.

The rows come from `exporters.ledger_audit_rows` (chain order, hashes included) read inside one
REPEATABLE READ transaction, so entries posted while the export runs cannot tear the file. The
command prints the row count, the debit and credit totals, the last hash and the SHA-256 of the
file: an auditor notes them, and `docs/ledger.md` has a script that recomputes the chain from
the file. Memos are written exactly as stored (the hashes cover them), so open the file as text
or import it with every column as text, not by double-clicking it into a spreadsheet.
"""

import csv
import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from fundmgr.ledger.exporters import AUDIT_COLUMNS, ledger_audit_rows


class Command(BaseCommand):
    help = "Export the ledger (one row per journal line, with the hash chain) to a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="The CSV file to write (UTF-8).")

    def handle(self, *args, output: Path, **options):
        rows = debit_total = credit_total = 0
        last_hash = ""
        # Inside a caller's transaction (tests) the snapshot is the caller's to choose.
        own_transaction = not connection.in_atomic_block
        with transaction.atomic(), output.open("w", newline="", encoding="utf-8") as file:
            if connection.vendor == "postgresql" and own_transaction:
                # Must be the transaction's first statement: one snapshot for the whole file.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            writer = csv.writer(file)
            writer.writerow(AUDIT_COLUMNS)
            for row in ledger_audit_rows():
                writer.writerow(row)
                rows += 1
                debit_total += row[-2]
                credit_total += row[-1]
                last_hash = row[AUDIT_COLUMNS.index("hash")]
        digest = hashlib.sha256(output.read_bytes()).hexdigest()
        self.stdout.write(
            f"{rows} lines, debit {debit_total}, credit {credit_total}, last hash {last_hash or '-'}\n"
            f"sha256 {digest}  {output}"
        )

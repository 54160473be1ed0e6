"""`manage.py import_bank_statement FILE [--unit CODE] [--campaign SLUG] [--format auto|vcb|bidv|techcombank|generic]`.

Imports a bank's statement (CSV or XLSX) for a unit's account through `bank_statement.statement_import`:
the same service as the admin's upload page. Importing the same file again records nothing new.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from donations.services.bank_statement import DETECTION_ORDER, StatementError, statement_import
from fundmgr.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Import a bank statement (CSV or XLSX): match credits to pledges, record payments, queue the rest."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", help="code of the unit that owns the account (default: the campaign's, or the only root unit)")
        parser.add_argument("--campaign", help="slug of the campaign to match against (default: every campaign of the unit)")
        parser.add_argument("--format", default="auto", choices=["auto", *DETECTION_ORDER])

    def handle(self, *args, file: Path, unit: str | None, campaign: str | None, format: str, **options):
        campaign_object = None
        if campaign:
            campaign_object = Campaign.objects.select_related("unit").filter(slug=campaign).first()
            if campaign_object is None:
                raise CommandError(f"no campaign with slug {campaign!r}")
        if unit:
            unit_object = OrgUnit.objects.filter(code=unit).first()
            if unit_object is None:
                raise CommandError(f"no unit with code {unit!r}")
        elif campaign_object is not None:
            unit_object = campaign_object.unit
        else:
            roots = list(OrgUnit.objects.filter(parent__isnull=True)[:2])
            if len(roots) != 1:
                raise CommandError("several root units: say which one owns the account with --unit CODE")
            unit_object = roots[0]
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        started = time.perf_counter()
        try:
            statement = statement_import(
                unit=unit_object, campaign=campaign_object, file_name=file.name, content=content, format=format
            )
        except StatementError as error:
            raise CommandError("nothing imported:\n" + "\n".join(error.messages)) from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{statement.file_name} ({statement.get_format_display()}) for {unit_object.code}: "
            f"{statement.lines_credit} credit lines ({statement.lines_new} new, "
            f"{statement.lines_credit - statement.lines_new} imported before), {statement.lines_debit} debit lines left aside; "
            f"{statement.lines_matched} matched ({statement.amount_matched} dong), "
            f"{statement.lines_unmatched} waiting in the reconciliation queue; {seconds:.1f} s"
        )

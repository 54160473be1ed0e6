"""`manage.py import_pledges FILE --campaign SLUG`: create the pledges of a CSV or XLSX file (channel import).

The same service as the admin's import page (`services.pledges_import`): all rows or none, and
importing a file again creates nothing new. The columns are in docs/bank-statements.md.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from donations.services import pledges_import


class Command(BaseCommand):
    help = "Import pledges from a CSV or XLSX file into a campaign (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", required=True, help="the campaign's slug, e.g. tet-khuyen-hoc-2026")

    def handle(self, *args, file: Path, campaign: str, **options):
        try:
            campaign_object = Campaign.objects.get(slug=campaign)
        except Campaign.DoesNotExist:
            raise CommandError(f"no campaign with slug {campaign!r}") from None
        try:
            result = pledges_import(campaign=campaign_object, content=file.read_bytes())
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        except ValidationError as error:
            raise CommandError("nothing imported:\n" + "\n".join(error.messages)) from None
        self.stdout.write(f"{result.created} pledges created, {result.existing} already imported before")

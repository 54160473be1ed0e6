"""`manage.py campaign_tallies [--check] [--rebuild] [--campaign SLUG]`.

The campaign pages read running totals (`donations/services/tallies.py`) kept by the services in
the transaction of each write. `--check` (the default) recounts every public figure from the
pledges and payments, as the pages once did on every request, and compares: it prints each
difference and exits with status 1 if there is one, so an auditor or a cron job can run it.
`--rebuild` sums the totals afresh from the records (after a restore, or a repair), then checks.
"""

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from donations.progress import tally_mismatches
from donations.services.tallies import tallies_rebuild


class Command(BaseCommand):
    help = "Check the campaign pages' running totals against a full recount (or rebuild them first)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="recount and compare (the default)")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the totals from the records, then check")
        parser.add_argument("--campaign", help="slug of one campaign (default: all)")

    def handle(self, *args, check: bool, rebuild: bool, campaign: str | None, **options):
        campaigns = Campaign.objects.all()
        if campaign:
            campaigns = campaigns.filter(slug=campaign)
            if not campaigns.exists():
                raise CommandError(f"no campaign with slug {campaign!r}")
        if rebuild:
            written = tallies_rebuild(campaign_ids=None if not campaign else list(campaigns.values_list("pk", flat=True)))
            self.stdout.write(f"rebuilt: {written} rows")
        mismatches = tally_mismatches(campaigns)
        for found, figure, kept, recounted in mismatches:
            self.stdout.write(f"MISMATCH {found.slug} {figure}: kept {kept!r}, recounted {recounted!r}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} figure(s) differ from the recount")
        self.stdout.write(f"OK: the running totals of {campaigns.count()} campaign(s) equal a full recount")

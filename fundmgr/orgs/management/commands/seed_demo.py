"""`manage.py seed_demo`: the demo association, its funds, campaign, users and activity.

Each app contributes its part through an optional `seed_demo(self)` method on its AppConfig,
called in INSTALLED_APPS order (which is dependency order: orgs before the ledger before
campaigns, donations and scholarships). Running the command twice changes nothing the second time.
"""

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demo association (idempotent)."

    def handle(self, *args, **options):
        if not settings.DEBUG and settings.DEMO_PASSWORD == "demo-pass-2026":
            raise CommandError("Refusing the default DEMO_PASSWORD with DEBUG off; set DEMO_PASSWORD.")
        for app_config in apps.get_app_configs():
            seed = getattr(app_config, "seed_demo", None)
            if seed is None:
                continue
            with transaction.atomic():
                summary = seed()
            self.stdout.write(f"{app_config.label}: {summary or 'ok'}")

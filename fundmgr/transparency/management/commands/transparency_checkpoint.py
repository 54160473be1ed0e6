"""`manage.py transparency_checkpoint`: sign a checkpoint of the transparency log now (as the daily job does)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from fundmgr.transparency import services, signing


class Command(BaseCommand):
    help = "Take a signed checkpoint of the transparency log (the last one when nothing was posted since)."

    def handle(self, *args, **options):
        try:
            checkpoint = services.checkpoint_take()
        except (services.CheckpointRefused, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{checkpoint.tree_size} {checkpoint.root_hash} {signing.time_text(checkpoint.created_at)} "
            f"key {checkpoint.key_id[:16]} -> {services.checkpoint_file_path()}"
        )

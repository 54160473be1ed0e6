from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    name = "fundmgr.transparency"
    label = "transparency"
    verbose_name = _("Nhật ký minh bạch")

    def ready(self):
        # The checkpoints' e-mails are jobs of the outbox: its requeue job sends a lost one again.
        from django.core import checks

        from fundmgr.core import outbox

        from . import tasks
        from .models import CheckpointDelivery
        from .system_checks import signing_key_check

        outbox.register(CheckpointDelivery, lambda delivery: (tasks.checkpoint_delivery_task, (delivery.pk,)))
        checks.register(signing_key_check, checks.Tags.security, deploy=False)

    def seed_demo(self):
        """A checkpoint of the demo ledger (`manage.py seed_demo`; runs last: this app is last in
        INSTALLED_APPS, after every app that posts entries). Idempotent: same size, same checkpoint."""
        from . import signing
        from .services import checkpoint_take

        if not signing.key_source():
            return "skipped: no signing key (TRANSPARENCY_SIGNING_KEY, docs/transparency.md)"
        checkpoint = checkpoint_take()
        return f"checkpoint {checkpoint.tree_size} {checkpoint.root_hash[:16]}"

    def ledger_checkpoints_check(self, path):
        """`verify_ledger --checkpoints FILE` (the ledger imports no transparency: it asks the apps
        that offer this method): (ok, message)."""
        from .services import checkpoints_file_check

        check = checkpoints_file_check(path)
        return check.ok, check.message

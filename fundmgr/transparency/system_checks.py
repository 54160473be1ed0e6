"""`manage.py check`: a site without a signing key cannot take checkpoints (docs/transparency.md)."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import signing


def signing_key_check(app_configs=None, **kwargs):
    if not signing.key_source():
        return [checks.Warning(
            "No transparency signing key: checkpoints cannot be taken.",
            hint="Set TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE (docs/transparency.md).",
            id="transparency.W001",
        )]
    try:
        signing.signing_key()
    except (ImproperlyConfigured, OSError, ValueError) as error:
        return [checks.Error(f"The transparency signing key cannot be read: {error}", id="transparency.E001")]
    return []

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Installed for its templates and messages (the two-factor page); it has no models."""

    name = "fundmgr.security"
    label = "security"
    verbose_name = _("Bảo mật")

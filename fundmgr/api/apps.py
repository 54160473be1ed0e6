from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API's shared pieces; installed for its one model, the integration tokens."""

    name = "fundmgr.api"
    label = "api"
    verbose_name = _("API tích hợp")

    def ready(self):
        # Registers the token scheme with drf-spectacular (an extension registers on import).
        from . import schema  # noqa: F401

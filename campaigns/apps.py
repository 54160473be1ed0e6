from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    label = "campaigns"
    verbose_name = _("Chiến dịch")

    def seed_demo(self) -> str:
        from .demo import seed_demo

        return seed_demo()

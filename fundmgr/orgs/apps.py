from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "fundmgr.orgs"
    label = "orgs"
    verbose_name = _("Đơn vị hội")

    def seed_demo(self) -> str:
        from .demo import seed_demo

        return seed_demo()

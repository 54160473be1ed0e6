from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The pages a visitor sees without logging in: campaigns, the pledge form, the confirmation.

    It has no models: it reads campaigns and donations and writes only through their services.
    """

    name = "public"
    label = "public"
    verbose_name = _("Trang công khai")

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpAppConfig


class SecurityConfig(AppConfig):
    """Installed for its templates and messages (the two-factor page); it has no models."""

    name = "fundmgr.security"
    label = "security"
    verbose_name = _("Bảo mật")


class LogInLockOutConfig(AxesAppConfig):
    """django-axes (installed under this name), named in the user's language on the admin's pages."""

    verbose_name = _("Khoá đăng nhập")


class TwoFactorConfig(TotpAppConfig):
    """django-otp's TOTP devices (installed under this name), named in the user's language."""

    verbose_name = _("Xác thực hai bước")

    def ready(self):
        super().ready()
        # django-otp names its model without gettext ("TOTP device"): named here through gettext,
        # on the options every admin page and message reads. Migrations read the options the
        # model was declared with (`_meta.original_attrs`), which stay as they are.
        device = self.get_model("TOTPDevice")
        device._meta.verbose_name = _("thiết bị TOTP")
        device._meta.verbose_name_plural = pgettext_lazy("plural", "thiết bị TOTP")

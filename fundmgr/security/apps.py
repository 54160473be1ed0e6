from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
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

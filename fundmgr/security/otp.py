"""Two-factor log-in (TOTP, django-otp) for the roles that handle money.

`settings.OTP_REQUIRED_ROLES` names the membership roles (and the pseudo-role "superuser")
whose users must prove a one-time code before the admin or the API lets them in. It is empty
in the embedded demo, so `make run`'s log-ins work with a password alone; production sets it
(e.g. `OTP_REQUIRED_ROLES=treasurer,admin,superuser`, see docs/security.md).

`OTPRequiredMiddleware` answers every request of such a user to a protected path
(`OTP_PROTECTED_PATH_PREFIXES`) until the session is verified:
- in the admin, with a page that asks for the 6-digit code; a user without an authenticator
  yet is shown a QR code for a new TOTP device, which becomes theirs once a first code from it
  is accepted;
- elsewhere (the API), with a 403.
The code is posted back to the same address, so the page needs no URL of its own. django-otp
throttles wrong codes per device (a growing delay after each failure).
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundmgr.orgs.scoping import user_unit_paths

SUPERUSER = "superuser"
ENROLMENT_DEVICE_NAME = "fundmgr-authenticator"
# A form field name, not a password (bandit B105 thinks "token" is one).
TOKEN_FIELD = "otp_token"  # nosec B105


def otp_required_for(user) -> bool:
    """Whether `user` must verify a one-time code (by `settings.OTP_REQUIRED_ROLES`)."""
    roles = set(getattr(settings, "OTP_REQUIRED_ROLES", ()))
    if not roles or not user.is_authenticated:
        return False
    if SUPERUSER in roles and user.is_superuser:
        return True
    membership_roles = roles - {SUPERUSER}
    # The memberships cached on the user for the request (the admin reads them anyway).
    return bool(membership_roles) and bool(user_unit_paths(user, membership_roles))


class OTPRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs after CsrfViewMiddleware.process_view: a POST that got here passed the CSRF check.
        prefixes = tuple(getattr(settings, "OTP_PROTECTED_PATH_PREFIXES", ("/admin/", "/api/")))
        if not request.path_info.startswith(prefixes):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified() or not otp_required_for(user):
            return None
        admin_prefix = reverse("admin:index")
        if not request.path.startswith(admin_prefix):
            return HttpResponseForbidden(_("Cần xác thực hai lớp: đăng nhập trang quản trị và nhập mã xác thực."))
        if request.path in {reverse("admin:logout"), reverse("admin:jsi18n")}:
            return None
        return _verification_page(request)


def _verification_page(request):
    user = request.user
    confirmed = list(devices_for_user(user, confirmed=True))
    enrolment = None
    if not confirmed:
        enrolment, _created = TOTPDevice.objects.get_or_create(
            user=user, name=ENROLMENT_DEVICE_NAME, confirmed=False
        )
    error = ""
    if request.method == "POST" and TOKEN_FIELD in request.POST:
        token = request.POST[TOKEN_FIELD].strip().replace(" ", "")
        device = _verify(user, token, confirmed, enrolment)
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(request.path)
        error = _("Mã không đúng hoặc đã hết hạn; hãy nhập mã mới trên ứng dụng xác thực.")
    context = {"error": error, "token_field": TOKEN_FIELD, "enrolment": enrolment}
    if enrolment is not None:
        # segno writes a plain <svg> (no script, no style attribute) from our own otpauth:// URL,
        # which it encodes as path data: nothing of it is markup a user controls.
        qr_svg = segno.make(enrolment.config_url, error="m").svg_inline(scale=4)
        context["qr_svg"] = mark_safe(qr_svg)  # nosec B308 B703
        context["secret"] = b32encode(enrolment.bin_key).decode("ascii")
    return render(request, "security/otp_verify.html", context)


def _verify(user, token: str, confirmed, enrolment):
    if not token.isdigit():
        return None
    for device in confirmed:
        if device.verify_token(token):
            return device
    if enrolment is not None and enrolment.verify_token(token):
        enrolment.confirmed = True
        enrolment.save(update_fields=["confirmed"])
        return enrolment
    return None

"""`Authorization: Bearer <token>` (or `Token <token>`): an integration's log-in.

A header that names a token which is unknown, revoked or expired is a 401, never a fall-back to
anonymous: an integration with a dead token must hear so, not read the public answers. Requests
without the header go on to the next class (the browser's session).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .services import api_token_find, api_token_touch

KEYWORDS = {b"bearer", b"token"}


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Tiêu đề Authorization phải có dạng: Bearer <khóa API>."))
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            plain = ""
        token = api_token_find(plain) if plain else None
        if token is None:
            raise exceptions.AuthenticationFailed(_("Khóa API không đúng."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Khóa API đã bị thu hồi."))
        if now >= token.expires_at:
            raise exceptions.AuthenticationFailed(_("Khóa API đã hết hạn."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản này đã bị khóa."))
        api_token_touch(token, now)
        return token.user, token

    def authenticate_header(self, request):
        # A WWW-Authenticate header makes DRF answer 401 (not 403) to a request without credentials.
        return f'{self.keyword} realm="api"'

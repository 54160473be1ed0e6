"""Integration tokens: made and revoked here (the admin calls these), each with an audit row.

A plain token is `khq_` + 43 URL-safe characters (256 random bits). Its first 12 characters are
the visible prefix; the row keeps the SHA-256 of the whole token, compared in constant time.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_create, audit_fields, audit_record
from fundmgr.core import sql_rows

from .models import ApiToken

TOKEN_PREFIX = "khq_"
PREFIX_LENGTH = 12
AUDITED_FIELDS = ["user", "name", "scope", "prefix", "expires_at"]


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def max_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "API_TOKEN_MAX_DAYS", 365))


def api_token_check(*, user, name: str, scope: str, expires_at, now=None) -> None:
    """The rules of a new token (also the admin form's check): a ValidationError by field."""
    now = now or timezone.now()
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("Hãy đặt tên cho khóa API.")]
    if scope not in ApiToken.Scope.values:
        errors["scope"] = [_("Quyền của khóa API không hợp lệ.")]
    if expires_at is None or expires_at <= now:
        errors["expires_at"] = [_("Thời điểm hết hạn phải ở tương lai.")]
    elif expires_at > now + max_lifetime():
        errors["expires_at"] = [_("Khóa API có hạn tối đa %(days)d ngày.") % {"days": max_lifetime().days}]
    if user is None or not user.is_active:
        errors["user"] = [_("Tài khoản này đã bị khóa.")]
    if errors:
        raise ValidationError(errors)


def _check_may_manage(by, user) -> None:
    """A person manages their own tokens; a superuser anyone's (`by=None`: the system)."""
    if by is not None and not (by.is_active and by.is_superuser) and by.pk != user.pk:
        raise PermissionDenied(_("Bạn chỉ quản lý được khóa API của chính mình."))


def api_token_create(*, user, name: str, scope: str, expires_at: datetime.datetime, by=None) -> tuple[ApiToken, str]:
    """A new token for `user`: `(row, plain token)`. The plain token exists only in this answer."""
    _check_may_manage(by, user)
    now = timezone.now()
    api_token_check(user=user, name=name, scope=scope, expires_at=expires_at, now=now)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip(), scope=scope, prefix=plain[:PREFIX_LENGTH], digest=token_digest(plain),
            created_at=now, expires_at=expires_at,
        )
        audit_create(token, AUDITED_FIELDS, actor=by)
    return token, plain


def api_token_revoke(*, token: ApiToken, by=None) -> ApiToken:
    """Revoke `token` from now on; revoking it again changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        _check_may_manage(by, token.user)
        if token.revoked_at is not None:
            return token
        before = audit_fields(token, ["revoked_at"])
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.TRANSITION, instance=token, before=before,
            after=audit_fields(token, ["revoked_at"]), actor=by,
        )
    return token


def api_token_find(plain: str) -> ApiToken | None:
    """The row of `plain` (revoked and expired ones too: the caller says why it refuses), or None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    digest = token_digest(plain)
    for token in _tokens_with_users(plain[:PREFIX_LENGTH]):
        if hmac.compare_digest(token.digest, digest):
            return token
    return None


def _tokens_with_users(prefix: str) -> list[ApiToken]:
    """The tokens of `prefix`, each with its user: `select_related("user")` written as SQL (every
    API request asks it; the ORM's compilation cost three times the lookup)."""
    return sql_rows.with_parents(
        (ApiToken, "token"), [("token", "user", get_user_model(), "owner")],
        f"{sql_rows.column(ApiToken, 'token', 'prefix')} = %s", [prefix],
    )


# Recording every use would put a write on every request; once a minute tells an owner enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def api_token_touch(token: ApiToken, now: datetime.datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now

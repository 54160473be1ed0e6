"""Idempotent creation: the one mechanism behind every write that creates money or documents
(pledge, payment, transfer, disbursement, bank-statement import, receipt void, award grant,
allocation run, student, nomination, report run), whatever channel calls it.

`idempotent_create` inserts the key's row first, in the caller's transaction (`ON CONFLICT DO
NOTHING`: no savepoint), then creates the record and points the row at it. A concurrent repeat
blocks on the unique (scope, key) index until the first transaction ends (PostgreSQL), then
inserts nothing and reads the winner's row: so two requests with one key never make two records,
and the loser does no work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey

MAX_KEY_LENGTH = 64
Record = TypeVar("Record", bound=models.Model)


class IdempotencyKeyReused(ValidationError):
    """The key was used before for another request: refused (HTTP 422), nothing revealed."""

    def __init__(self):
        super().__init__(
            {"idempotency_key": [ValidationError(
                _("Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."), code="idempotency_key_reused"
            )]}
        )


class AlreadyDone(ValidationError):
    """The request asks for what was done already (a receipt voided before): refused, nothing
    written. A ValidationError for forms and the admin; the API answers it with a 409 (a repeat
    sent without an idempotency key meets this instead of the first answer)."""


def key_clean(key) -> str | None:
    """The key stripped, None when empty; a ValidationError when it is not a short string."""
    if key is None:
        return None
    key = str(key).strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            {"idempotency_key": [ValidationError(_("Khóa chống gửi trùng không hợp lệ."), code="invalid_idempotency_key")]}
        )
    return key


def scope_of(channel: str, unit) -> str:
    """The scope of keys made through `channel` for `unit` (an OrgUnit or its pk)."""
    return f"{channel}:{getattr(unit, 'pk', unit)}"


def request_fingerprint(content: dict) -> str:
    """SHA-256 of `content` in a canonical form (sorted keys; model instances by primary key)."""

    def plain(value):
        if isinstance(value, models.Model):
            return value.pk
        return str(value)

    canonical = json.dumps(content, sort_keys=True, default=plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(row: IdempotencyKey, fingerprint: str, model: type[Record]) -> Record:
    if (
        not row.fingerprint or row.fingerprint != fingerprint or row.object_id is None
        or row.model_label != model._meta.label_lower
    ):
        raise IdempotencyKeyReused()
    return model._default_manager.get(pk=row.object_id)


def idempotent_create(
    *, scope: str, key: str | None, content: dict, model: type[Record], create: Callable[[], Record]
) -> tuple[Record, bool]:
    """`(record, True)` from `create()`, or `(the first record, False)` for a repeat of `key` in `scope`.

    `content` is what the request asked for; the same key with other content raises
    `IdempotencyKeyReused`. Without a key, `create()` runs as it is. Call it inside the
    transaction that `create` writes in, so the key and the record commit or roll back together.
    """
    key = key_clean(key)
    if key is None:
        return create(), True
    fingerprint = request_fingerprint(content)
    row_id = _key_insert(scope=scope, key=key, fingerprint=fingerprint, model_label=model._meta.label_lower)
    if row_id is None:
        # Used before, or by a concurrent request that won (and has committed by now).
        return _replay(IdempotencyKey.objects.get(scope=scope, key=key), fingerprint, model), False
    record = create()
    _key_point(row_id=row_id, object_id=record.pk)
    return record, True


def _key_insert(*, scope: str, key: str, fingerprint: str, model_label: str) -> int | None:
    """Insert the key's row; its id, or None when the key is taken.

    `ON CONFLICT DO NOTHING` (PostgreSQL, SQLite): a key taken answers no row instead of an error,
    so the caller's transaction needs no savepoint (two statements fewer on every write). A
    concurrent insert of the same key still waits on the unique index until its transaction ends:
    committed, this answers None; rolled back, this row goes in.
    """
    quote = connection.ops.quote_name
    table = quote(IdempotencyKey._meta.db_table)
    columns = ", ".join(quote(name) for name in ("scope", "key", "fingerprint", "model_label", "created_at"))
    # Only the model's own table and column names, quoted by the backend; every value is bound.
    unique, pk = f"{quote('scope')}, {quote('key')}", quote("id")
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT ({unique}) DO NOTHING RETURNING {pk}"
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [scope, key, fingerprint, model_label, connection.ops.adapt_datetimefield_value(timezone.now())]
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _key_point(*, row_id: int, object_id) -> None:
    """Point the key's row at the record it made (SQL, as `_key_insert`: on every write)."""
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(IdempotencyKey._meta.db_table)} SET {quote('object_id')} = %s WHERE {quote('id')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [object_id, row_id])


def fingerprints_forget(*, instance: models.Model) -> int:
    """Blank the request fingerprints of the keys that made `instance`; return how many.

    A fingerprint is a hash of what the request carried: for a child's record, their name, birth
    date and school, which a dictionary can find again. When the record is anonymised the hash
    goes too; a later repeat of such a key is refused (`IdempotencyKeyReused`) instead of answered.
    """
    return IdempotencyKey.objects.filter(
        model_label=instance._meta.label_lower, object_id=instance.pk
    ).exclude(fingerprint="").update(fingerprint="")

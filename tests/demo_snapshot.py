"""The whole `seed_demo`, run once per test session and put back into each test that asks for it.

`manage.py seed_demo` goes through every service (pledges, payments, receipts, the ledger, the
scholarship program, a checkpoint) and takes 20 to 50 seconds. Tests that read the demo (and the
ones that check a second run adds nothing) ask for the `demo_seeded` fixture (tests/conftest.py):

- once per session, `DemoSnapshot.take` runs the real command in the test database, inside a
  transaction that is then rolled back, and keeps every table's rows before and after it;
- for each test, `restore` writes the rows the command added or changed back into the test's own
  transaction (raw inserts, like `loaddata`: no `save()`, no signal, no `auto_now`; on PostgreSQL
  the tables' own triggers are off while it writes, since the audit triggers would record the
  rows a second time and the chain-head guard lets the head move one entry at a time).

The restore checks first that the database is as it was before the command ran (every table's
rows, the same day): otherwise, say after a transactional test emptied the tables, it runs the
real command instead. A test therefore sees exactly what `seed_demo` would have left.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone, translation

BATCH = 200


def _tables():
    return [
        model for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def _rows(model) -> dict:
    names = [column.attname for column in model._meta.concrete_fields]
    pk_index = names.index(model._meta.pk.attname)
    return {row[pk_index]: row for row in models.QuerySet(model).order_by().values_list(*names)}


def _state() -> dict:
    return {model: _rows(model) for model in _tables()}


def snapshot_settings(transparency_dir) -> dict:
    """The settings every test has (the autouse fixtures of tests/conftest.py), for a session's build."""
    return {
        "DEBUG": True, "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "CELERY_TASK_ALWAYS_EAGER": True, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TRANSPARENCY_SIGNING_KEY": "", "TRANSPARENCY_SIGNING_KEY_FILE": "",
        "TRANSPARENCY_DEV_KEY_FILE": str(transparency_dir / "signing-key.pem"),
        "TRANSPARENCY_CHECKPOINT_FILE": str(transparency_dir / "checkpoints-snapshot.jsonl"),
    }


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@dataclass
class DemoSnapshot:
    """What `build` (by default the whole `seed_demo`) did to the database; `output`, what it returned."""

    output: object
    day: object
    before: dict
    build: object
    added: dict = field(default_factory=dict)  # model -> [row], rows the command inserted
    changed: dict = field(default_factory=dict)  # model -> [row], rows it updated
    removed: dict = field(default_factory=dict)  # model -> [pk], rows it deleted

    @classmethod
    def take(cls, seed_settings: dict, build=seed_demo) -> DemoSnapshot:
        """Run `build` for real in a transaction rolled back afterwards; keep what it did."""
        from fundmgr.celery import app as celery_app

        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            with override_settings(**seed_settings), translation.override(None):
                translation.activate(seed_settings.get("LANGUAGE_CODE", "vi"))
                with transaction.atomic():
                    before = _state()
                    day = timezone.localdate()
                    output = build()
                    after = _state()
                    transaction.set_rollback(True)
        finally:
            celery_app.conf.task_always_eager = eager
        snapshot = cls(output=output, day=day, before=before, build=build)
        for model, rows in after.items():
            old = before[model]
            added = [row for pk, row in rows.items() if pk not in old]
            changed = [row for pk, row in rows.items() if pk in old and old[pk] != row]
            removed = [pk for pk in old if pk not in rows]
            if added:
                snapshot.added[model] = added
            if changed:
                snapshot.changed[model] = changed
            if removed:
                snapshot.removed[model] = removed
        return snapshot

    def matches_the_database(self) -> bool:
        return timezone.localdate() == self.day and _state() == self.before

    def restore(self):
        """Put the rows into the current test's transaction; what `build` returned."""
        if not self.matches_the_database():
            warnings.warn("the database is not as it was when the snapshot was taken: building for real",
                          stacklevel=2)
            return self.build()
        touched = {*self.added, *self.changed, *self.removed}
        with transaction.atomic(), _triggers_off(touched):
            for model, pks in self.removed.items():
                models.QuerySet(model).filter(pk__in=pks)._raw_delete(connection.alias)
            for model, rows in self.changed.items():
                names = [column.attname for column in model._meta.concrete_fields]
                for row in rows:
                    values = dict(zip(names, row, strict=True))
                    models.QuerySet(model).filter(pk=values.pop(model._meta.pk.attname)).update(**values)
            for model, rows in self.added.items():
                fields = model._meta.concrete_fields
                names = [column.attname for column in fields]
                objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
                for start in range(0, len(objects), BATCH):
                    models.QuerySet(model)._insert(objects[start:start + BATCH], fields=fields, raw=True)
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), list(self.added)):
                    cursor.execute(statement)
        return self.output


class _triggers_off:
    """PostgreSQL: the tables' own triggers off while the rows go in. A superuser turns them off for
    the transaction (`session_replication_role`); otherwise each table's user triggers are disabled
    and enabled again (foreign keys stay checked)."""

    def __init__(self, tables):
        self.tables = [connection.ops.quote_name(model._meta.db_table) for model in tables]
        self.replica = False
        if connection.vendor == "postgresql":
            from tests.fast_flush import _is_superuser

            self.replica = _is_superuser(connection)

    def _execute(self, *statements: str) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def __enter__(self):
        if self.replica:
            self._execute("SET LOCAL session_replication_role = replica")
        elif connection.vendor == "postgresql":
            self._execute(*(f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in self.tables))

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False
        if self.replica:
            self._execute("SET LOCAL session_replication_role = origin")
        elif connection.vendor == "postgresql":
            # A table with pending (deferred) trigger events cannot be altered: run them now.
            self._execute("SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL DEFERRED",
                          *(f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in self.tables))
        return False

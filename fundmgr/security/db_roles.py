"""The application's PostgreSQL role: it owns nothing, and may only add rows to history.

Two roles reach the database in production (docker-compose.yml):
- the **owner** of every table (in compose, the superuser the postgres image creates) runs the
  migrations and `manage.py db_roles`, and nothing else;
- the **application role** (`fundmgr_app`) is what web, worker and beat connect as. It owns no
  object, so it cannot drop or alter a table, switch a trigger off, or pass the ownership tests
  of the TRUNCATE triggers (ledger migration 0006, audit migration 0004).

What the application role may do to each table is declared by the model, next to its data:
- by default SELECT, INSERT, UPDATE, DELETE (`ORDINARY`);
- a model's `app_role_privileges` narrows that: the journal (entries, lines) and the audit trail
  are `("SELECT", "INSERT")`; the chain head and the verification runs may be updated but not
  deleted (a trigger lets the head move only forward);
- a model's `app_role_update_fields` grants UPDATE on those columns only: an issued receipt may
  change its state, void details and PDF, never what it certifies.
No table gets TRUNCATE, REFERENCES or TRIGGER. Sequences get USAGE (nextval) only.

`app_role_grant` revokes everything the role holds on the schema's tables and sequences and
grants the above again, so it is idempotent and also narrows a role that was given too much.
It must run again after each `migrate` that adds a table: `manage.py db_roles` after migrate
(the compose `migrate` service does), or, with `DATABASE_APP_ROLE` set, the post_migrate
handler below does it as part of `migrate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

ORDINARY = ("SELECT", "INSERT", "UPDATE", "DELETE")
KNOWN_PRIVILEGES = frozenset(ORDINARY)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleError(Exception):
    """The role cannot serve as the application's: it is privileged or owns something."""


@dataclass(frozen=True)
class TableGrant:
    table: str
    privileges: tuple[str, ...]
    update_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = list(self.privileges)
        if self.update_columns:
            parts.append(f"UPDATE ({', '.join(self.update_columns)})")
        return f"{self.table}: {', '.join(parts)}"


def table_grants(connection) -> list[TableGrant]:
    """What the application role gets on each table and view of the current schema."""
    models_by_table = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    grants = []
    with connection.cursor() as cursor:
        tables = connection.introspection.get_table_list(cursor)
    for info in sorted(tables, key=lambda info: info.name):
        if info.type == "v":
            grants.append(TableGrant(info.name, ("SELECT",)))
            continue
        model = models_by_table.get(info.name)
        privileges = tuple(getattr(model, "app_role_privileges", ORDINARY))
        unknown = set(privileges) - KNOWN_PRIVILEGES
        if unknown:
            raise ValueError(f"{info.name}: app_role_privileges may only name {sorted(KNOWN_PRIVILEGES)}, not {unknown}")
        fields = getattr(model, "app_role_update_fields", ())
        columns = tuple(model._meta.get_field(name).column for name in fields) if model is not None else ()
        grants.append(TableGrant(info.name, privileges, columns))
    return grants


def _check_name(role: str) -> str:
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"{role!r} is not a plain role name (lower-case letters, digits, underscore)")
    return role


def role_exists(role: str, *, using: str = "default") -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def app_role_problems(role: str, *, using: str = "default") -> list[str]:
    """Why `role` must not be the application's role (empty when it may)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
            "rolname = current_user FROM pg_roles WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
        if row is None:
            return [f"the role {role} does not exist"]
        oid, superuser, create_role, create_db, replication, bypass_rls, is_me = row
        problems = []
        if is_me:
            problems.append(f"{role} is the role running this command (the owner)")
        for flag, name in [(superuser, "SUPERUSER"), (create_role, "CREATEROLE"), (create_db, "CREATEDB"),
                           (replication, "REPLICATION"), (bypass_rls, "BYPASSRLS")]:
            if flag:
                problems.append(f"{role} has {name}")
        # Ownership of anything in this database (tables, functions, types, schemas) or of it.
        cursor.execute(
            "SELECT count(*) FROM pg_shdepend WHERE refobjid = %s AND deptype = 'o' "
            "AND dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [oid],
        )
        owned = cursor.fetchone()[0]
        if owned:
            problems.append(f"{role} owns {owned} object(s)")
        cursor.execute(
            "SELECT DISTINCT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE c.relnamespace = current_schema()::regnamespace AND pg_has_role(%s::oid, c.relowner, 'MEMBER')",
            [oid],
        )
        for (owner,) in cursor.fetchall():
            problems.append(f"{role} is a member of {owner}, which owns tables")
        cursor.execute("SELECT has_schema_privilege(%s::oid, current_schema(), 'CREATE')", [oid])
        if cursor.fetchone()[0]:
            problems.append(
                f"{role} may create objects in the schema (run REVOKE CREATE ON SCHEMA public FROM PUBLIC)"
            )
    return problems


def app_role_create(role: str, *, password: str | None = None, using: str = "default") -> bool:
    """Create `role` (LOGIN, nothing else) or set its password; True when it was created."""
    connection = connections[using]
    quoted = connection.ops.quote_name(_check_name(role))
    created = not role_exists(role, using=using)
    with connection.cursor() as cursor:
        if created:
            cursor.execute(
                f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            )
        if password:
            # Bound client-side into a literal: CREATE/ALTER ROLE take no server-side parameters.
            cursor.execute(f"ALTER ROLE {quoted} PASSWORD %s", [password])
    return created


def app_role_grant(role: str, *, using: str = "default") -> list[TableGrant]:
    """Give `role` exactly the application's privileges on the current schema (idempotent)."""
    connection = connections[using]
    problems = app_role_problems(_check_name(role), using=using)
    if problems:
        raise RoleError("; ".join(problems))
    quote = connection.ops.quote_name
    quoted = quote(role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        grants = table_grants(connection)
        cursor.execute(f"GRANT CONNECT ON DATABASE {quote(database)} TO {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {quoted}")
        # Revoking a table's privileges revokes its column privileges too: a clean slate.
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote(schema)} FROM {quoted}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote(schema)} FROM {quoted}")
        for grant in grants:
            table = quote(grant.table)
            cursor.execute(f"GRANT {', '.join(grant.privileges)} ON {table} TO {quoted}")
            if grant.update_columns:
                columns = ", ".join(quote(column) for column in grant.update_columns)
                cursor.execute(f"GRANT UPDATE ({columns}) ON {table} TO {quoted}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {quoted}")
    return grants


def grant_after_migrate(sender, using="default", **kwargs):
    """post_migrate: re-grant `settings.DATABASE_APP_ROLE` so tables a migration added are reachable."""
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    if not role or connections[using].vendor != "postgresql" or not role_exists(role, using=using):
        return
    app_role_grant(role, using=using)

"""`manage.py db_roles --app-role fundmgr_app`: create the application's role and grant it exactly
what it needs (`fundmgr.security.db_roles`). Run by the owner after every `migrate`."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from fundmgr.security.db_roles import RoleError, app_role_create, app_role_grant


class Command(BaseCommand):
    help = (
        "Create (if missing) the PostgreSQL role the application connects as, and grant it the "
        "application's privileges: no ownership, INSERT-only journal and audit trail, no TRUNCATE. "
        "Run as the owner of the tables, after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--app-role", default=getattr(settings, "DATABASE_APP_ROLE", "") or None,
            help="The role's name (default: the DATABASE_APP_ROLE setting).",
        )
        parser.add_argument(
            "--password-env", metavar="VARIABLE",
            help="Set the role's password from this environment variable (never on the command line).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, app_role, password_env, database, **options):
        if connections[database].vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: the embedded database has no roles.")
            return
        if not app_role:
            raise CommandError("Name the role: --app-role NAME (or set DATABASE_APP_ROLE).")
        password = None
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or not set.")
        try:
            created = app_role_create(app_role, password=password, using=database)
            grants = app_role_grant(app_role, using=database)
        except RoleError as error:
            raise CommandError(f"{app_role} cannot be the application's role: {error}") from error
        self.stdout.write(f"Role {app_role} {'created' if created else 'exists'}; it owns nothing and may:")
        for grant in grants:
            self.stdout.write(f"  {grant.describe()}")

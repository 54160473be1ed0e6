"""PostgreSQL: only the owner of `audit_auditevent` (or a superuser) may TRUNCATE it.

Migration 0002 let any session that set `fundmgr.allow_audit_truncate = on` empty the audit
trail. The setting is still needed (nobody empties it by accident, and test databases carry it
so that Django can flush between tests), and now also that the current role owns the table or
is a superuser. The application's role owns nothing (`manage.py db_roles`), has no TRUNCATE
privilege either, and setting the GUC gives it nothing. On SQLite this migration does nothing.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('fundmgr.allow_audit_truncate', true), '') = 'on'
       {owner_check} THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""
OWNER_CHECK = "AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{owner_check}", OWNER_CHECK), params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{owner_check}", ""), params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_event_unit")]

    operations = [migrations.RunPython(install, uninstall)]

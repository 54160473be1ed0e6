"""PostgreSQL: the generic `audit_capture()` trigger function, and the audit table's own guard.

- `audit_mask(value, kind)`: the masking rules of `fundmgr/audit/masking.py` in SQL (a test
  checks that both give the same result).
- `audit_capture()`: an AFTER INSERT/UPDATE/DELETE row trigger that writes an `AuditEvent` with
  source "db-trigger", `before`/`after` = `to_jsonb(OLD/NEW)` with personal columns masked.
  Arguments: the model label, the primary-key column, then `column=kind` for each column to
  mask. The actor comes from the transaction-local settings `fundmgr.actor_id`,
  `fundmgr.actor_label`, `fundmgr.client_ip` and `fundmgr.request_id` when the application set
  them, else the label is `db:<database role>`. An UPDATE that changes nothing is not logged.
  Which tables get the trigger is decided by `fundmgr/audit/triggers.py` after each migrate.
- UPDATE and DELETE of `audit_auditevent` are refused from any client, and so is TRUNCATE,
  except in a session with `fundmgr.allow_audit_truncate = on`: Django empties tables with
  TRUNCATE between transactional tests, so (as the ledger's migration 0004 does) this setting
  is made a database default only in databases whose name starts with `test_`.

On SQLite this migration does nothing: the model's guards are all there is.
"""

from django.db import migrations

INSTALL = r"""
CREATE OR REPLACE FUNCTION audit_mask(value text, kind text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN value IS NULL OR value = '' THEN value
        WHEN kind = 'phone' THEN
            CASE WHEN char_length(value) >= 7 THEN left(value, 3) || '*****' || right(value, 3) ELSE '*****' END
        WHEN kind = 'email' THEN
            CASE WHEN position('@' IN value) > 1
                 THEN left(value, 1) || '***@' || substr(value, position('@' IN value) + 1)
                 ELSE '***' END
        WHEN kind = 'name' THEN coalesce(
            (SELECT string_agg(left(word, 1) || '.', '' ORDER BY position)
               FROM regexp_split_to_table(btrim(value), '\s+') WITH ORDINALITY AS words(word, position)
              WHERE word <> ''), '')
        ELSE '***'
    END
$$;

CREATE OR REPLACE FUNCTION audit_mask_row(row_data jsonb, rules text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    rule text;
    column_name text;
BEGIN
    IF row_data IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH rule IN ARRAY rules LOOP
        column_name := split_part(rule, '=', 1);
        IF row_data ? column_name AND jsonb_typeof(row_data -> column_name) <> 'null' THEN
            row_data := jsonb_set(row_data, ARRAY[column_name],
                                  to_jsonb(audit_mask(row_data ->> column_name, split_part(rule, '=', 2))));
        END IF;
    END LOOP;
    RETURN row_data;
END
$$;

CREATE OR REPLACE FUNCTION audit_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    rules text[] := coalesce(TG_ARGV[2:TG_NARGS - 1], ARRAY[]::text[]);
    pk_column text := TG_ARGV[1];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_row := to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_row := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_auditevent (
        occurred_at, actor_id, actor_label, ip, action, model_label, object_id,
        before, after, source, request_id, transaction_id
    ) VALUES (
        clock_timestamp(),
        nullif(current_setting('fundmgr.actor_id', true), '')::bigint,
        left(coalesce(nullif(current_setting('fundmgr.actor_label', true), ''), 'db:' || session_user), 150),
        nullif(current_setting('fundmgr.client_ip', true), '')::inet,
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'change' ELSE 'delete' END,
        TG_ARGV[0],
        left(coalesce(new_row ->> pk_column, old_row ->> pk_column, ''), 64),
        audit_mask_row(old_row, rules),
        audit_mask_row(new_row, rules),
        'db-trigger',
        left(coalesce(current_setting('fundmgr.request_id', true), ''), 64),
        txid_current()
    );
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('fundmgr.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

UNINSTALL = r"""
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DO $$
DECLARE
    watched regclass;
BEGIN
    FOR watched IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'audit_capture_row' LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_row ON %s', watched);
    END LOOP;
END
$$;
DROP FUNCTION IF EXISTS audit_capture();
DROP FUNCTION IF EXISTS audit_mask_row(jsonb, text[]);
DROP FUNCTION IF EXISTS audit_mask(text, text);
DROP FUNCTION IF EXISTS audit_refuse_truncate();
DROP FUNCTION IF EXISTS audit_refuse_change();
"""


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(INSTALL)
        name = connection.settings_dict["NAME"]
        if name.startswith("test_"):
            quoted = connection.ops.quote_name(name)
            cursor.execute(f"ALTER DATABASE {quoted} SET fundmgr.allow_audit_truncate = 'on'")
            # The database default reaches new sessions only; this one flushes too.
            cursor.execute("SET fundmgr.allow_audit_truncate = 'on'")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]

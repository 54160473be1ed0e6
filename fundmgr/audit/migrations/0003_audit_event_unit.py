"""Audit rows carry the unit of the changed record, so auditors read only their units' rows.

- `AuditEvent.unit`: nullable. Rows written before this migration keep NULL (system-wide, seen
  only by superusers and auditors of a root unit): filling them in would be an UPDATE of the
  trail, which the trail refuses.
- PostgreSQL: `audit_capture()` is replaced so that its rows fill `unit_id` too. Which unit is
  told by trigger arguments that `fundmgr/audit/triggers.py` derives from each model's declared
  rule (`fundmgr/audit/units.py`), tagged so they cannot be read as masking rules:
    `unit_column:<column>`  the row's column that holds the unit id, or (with the next one) the
                            key to look the unit up by;
    `unit_query:<SELECT>`   a SELECT of the unit id, `$1` being that column's value (as text,
                            cast inside the SELECT), run with `EXECUTE ... USING`.
  Tables without either argument get rows with no unit. The tags also make the change safe in
  both directions while a `migrate` runs: triggers attached with the old arguments (before the
  post-migrate step re-attaches them) give rows with no unit, and the old function, restored by
  the reverse, ignores the new arguments (a masking rule names a column; no column is named
  `unit_column:...`).

On SQLite the function part does nothing, as in 0002.
"""

from django.db import migrations, models

CAPTURE_WITH_UNIT = r"""
CREATE OR REPLACE FUNCTION audit_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    argument text;
    rules text[] := ARRAY[]::text[];
    pk_column text := TG_ARGV[1];
    unit_column text;
    unit_query text;
    unit_key text;
    found_unit_id bigint;
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
    FOREACH argument IN ARRAY coalesce(TG_ARGV[2:TG_NARGS - 1], ARRAY[]::text[]) LOOP
        IF starts_with(argument, 'unit_column:') THEN
            unit_column := substr(argument, length('unit_column:') + 1);
        ELSIF starts_with(argument, 'unit_query:') THEN
            unit_query := substr(argument, length('unit_query:') + 1);
        ELSE
            rules := rules || argument;
        END IF;
    END LOOP;
    IF unit_column IS NOT NULL THEN
        -- The row as it is now (as it was, for a DELETE): an UPDATE that moves a record to
        -- another unit is that unit's business from now on.
        unit_key := coalesce(new_row, old_row) ->> unit_column;
        IF unit_key IS NOT NULL THEN
            IF unit_query IS NULL THEN
                found_unit_id := unit_key::bigint;
            ELSE
                -- No row found (a parent deleted in the same statement) leaves it NULL.
                EXECUTE unit_query INTO found_unit_id USING unit_key;
            END IF;
        END IF;
    END IF;
    INSERT INTO audit_auditevent (
        occurred_at, actor_id, actor_label, ip, action, model_label, object_id,
        before, after, source, request_id, transaction_id, unit_id
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
        txid_current(),
        found_unit_id
    );
    RETURN NULL;
END
$$;
"""

# The function as migration 0002 installed it (a frozen copy: a migration must not change
# when the code after it does).
CAPTURE_WITHOUT_UNIT = r"""
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
"""


def capture_with_unit(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CAPTURE_WITH_UNIT)


def capture_without_unit(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CAPTURE_WITHOUT_UNIT)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_postgresql_audit_triggers"),
        ("orgs", "0002_membership_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="unit",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=models.PROTECT, related_name="+",
                to="orgs.orgunit", verbose_name="đơn vị",
            ),
        ),
        # After the column exists (the new function writes it); on the way back, the old
        # function is restored before the column goes.
        migrations.RunPython(capture_with_unit, capture_without_unit),
    ]

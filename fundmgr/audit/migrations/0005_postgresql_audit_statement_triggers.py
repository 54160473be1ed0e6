"""PostgreSQL: the audit trigger captures a statement's rows at once, not one row at a time.

Until now `audit_capture()` ran once per changed row (FOR EACH ROW): a plpgsql call, two calls of
`audit_mask_row`, a unit lookup by `EXECUTE` and a one-row INSERT each. A bank-statement import
of 10,000 lines spent about half its database time there. `audit_capture_statement()` runs once
per statement (FOR EACH STATEMENT) over the statement's transition tables and writes the same
rows in one `INSERT ... SELECT` (per 5,000 rows):
- the same columns and values: the actor, IP and request id from the transaction's settings
  (`audit_tag_transaction`), `clock_timestamp()` and `txid_current()` per row, the action, the
  model label, the primary key, `before`/`after` = the rows' JSON masked by `audit_mask_row`
  with the same rules (not called for a table without any);
- the same unit: `unit_column:` read from the row; `unit_query:` run by one `EXECUTE` for
  all the rows (each row's value in place of `$1`; the first row found or none, as
  `EXECUTE ... INTO` did per row);
- an UPDATE row whose JSON did not change writes nothing, as before;
- rows in the statement's own order: a transition table keeps it, an UPDATE's old and new rows
  are paired by their place in theirs (a primary key may change), and the INSERT sorts by that
  place before it draws the ids.
The rows are read in batches of 5,000 into arrays and the INSERT reads the arrays: static SQL
that PL/pgSQL plans once per trigger and session, with no join whose plan could suit a small
statement and not a large one (a plan cached from one-row statements once paired a 100-row
UPDATE's old and new rows by a nested loop). A statement of one row costs about what the row
trigger did, one of many rows much less.
`audit_mask` itself is rewritten without its sub-SELECT (same results, `MASK`), so that it is
inlined into `audit_mask_row` instead of running as a function call of its own per value.
A trigger with transition tables takes one event, so each table gets three triggers:
`audit_capture_insert`, `audit_capture_update`, `audit_capture_delete`, with the arguments the
row trigger had. This migration converts the row triggers it finds; `fundmgr/audit/triggers.py`
attaches this form after every migrate from now on (it attaches the row form while this
function does not exist). The reverse converts them back, drops the function and restores
0002's `audit_mask`; the row function `audit_capture()` stays as migration 0003 left it.

On SQLite this migration does nothing.
"""

from importlib import import_module

from django.db import migrations

# `audit_mask` with the same results as migration 0002's, written as one expression: a SQL
# function whose body has no sub-SELECT is inlined into the query that calls it (its CASE folded
# to the one kind where that is a constant), where 0002's ran as a function call of its own for every value, about
# 15 microseconds each. A name becomes the first character of each run of non-space characters,
# each followed by a dot, which is what 0002's split into words and joined.
MASK = r"""
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
        WHEN kind = 'name' THEN
            CASE WHEN value ~ '\S' THEN regexp_replace(value, '\s*(\S)\S*\s*', '\1.', 'g') ELSE '' END
        ELSE '***'
    END
$$;
"""

# The function as migration 0002 installed it, for the reverse: the first statement of 0002's own
# text (its other functions stay as they are).
_INSTALL_0002 = import_module("fundmgr.audit.migrations.0002_postgresql_audit_triggers").INSTALL
MASK_0002 = _INSTALL_0002[: _INSTALL_0002.index("CREATE OR REPLACE FUNCTION audit_mask_row")]

INSTALL = r"""
CREATE OR REPLACE FUNCTION audit_capture_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    argument text;
    rules text[] := ARRAY[]::text[];
    model_label text := TG_ARGV[0];
    pk_column text := TG_ARGV[1];
    unit_column text;
    unit_query text;
    action_name text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'change' ELSE 'delete' END;
    -- Rows are taken in batches, so that memory stays bounded whatever the statement's size.
    batch_size constant integer := 5000;
    done bigint := 0;
    old_rows jsonb[];
    new_rows jsonb[];
    unit_ids bigint[];
BEGIN
    FOREACH argument IN ARRAY coalesce(TG_ARGV[2:TG_NARGS - 1], ARRAY[]::text[]) LOOP
        IF starts_with(argument, 'unit_column:') THEN
            unit_column := substr(argument, length('unit_column:') + 1);
        ELSIF starts_with(argument, 'unit_query:') THEN
            unit_query := substr(argument, length('unit_query:') + 1);
        ELSE
            rules := rules || argument;
        END IF;
    END LOOP;
    IF unit_column IS NULL THEN
        unit_query := NULL;
    END IF;
    LOOP
        -- The statement's rows as it stored them in its transition tables (a scan returns them
        -- in that order); an UPDATE's old and new rows pair up by their place in the two.
        -- These statements are static (planned once per trigger and session) and join nothing,
        -- so a plan made for a small statement stays right for a large one.
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            SELECT array_agg(to_jsonb(t)) INTO old_rows FROM (SELECT * FROM audit_old OFFSET done LIMIT batch_size) AS t;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT array_agg(to_jsonb(t)) INTO new_rows FROM (SELECT * FROM audit_new OFFSET done LIMIT batch_size) AS t;
        END IF;
        EXIT WHEN old_rows IS NULL AND new_rows IS NULL;
        IF unit_query IS NOT NULL THEN
            -- The SELECT comes from our models (triggers.py) and differs per table, hence EXECUTE,
            -- once per batch: the key of each row as it is now (as it was, for a DELETE) in
            -- place of $1; the first row found counts, none leaves the unit NULL (a parent
            -- deleted in the same statement), as EXECUTE ... INTO did for each row.
            EXECUTE format(
                'SELECT array_agg((SELECT * FROM (%s) AS unit_query LIMIT 1)::bigint ORDER BY rows.position) '
                'FROM unnest($1::jsonb[], $2::jsonb[]) WITH ORDINALITY AS rows(old_row, new_row, position)',
                replace(unit_query, '$1', format('(coalesce(rows.new_row, rows.old_row) ->> %L)', unit_column))
            ) INTO unit_ids USING old_rows, new_rows;
        END IF;
        INSERT INTO audit_auditevent (
            occurred_at, actor_id, actor_label, ip, action, model_label, object_id,
            before, after, source, request_id, transaction_id, unit_id
        )
        SELECT
            clock_timestamp(),
            nullif(current_setting('fundmgr.actor_id', true), '')::bigint,
            left(coalesce(nullif(current_setting('fundmgr.actor_label', true), ''), 'db:' || session_user), 150),
            nullif(current_setting('fundmgr.client_ip', true), '')::inet,
            action_name,
            model_label,
            left(coalesce(r.new_row ->> pk_column, r.old_row ->> pk_column, ''), 64),
            CASE WHEN r.old_row IS NULL OR rules = '{}' THEN r.old_row ELSE audit_mask_row(r.old_row, rules) END,
            CASE WHEN r.new_row IS NULL OR rules = '{}' THEN r.new_row ELSE audit_mask_row(r.new_row, rules) END,
            'db-trigger',
            left(coalesce(current_setting('fundmgr.request_id', true), ''), 64),
            txid_current(),
            CASE WHEN unit_query IS NOT NULL THEN r.unit_id
                 WHEN unit_column IS NOT NULL THEN (coalesce(r.new_row, r.old_row) ->> unit_column)::bigint END
        FROM unnest(old_rows, new_rows, unit_ids) WITH ORDINALITY AS r(old_row, new_row, unit_id, position)
        -- An UPDATE that changes nothing in a row is not logged.
        WHERE r.old_row IS DISTINCT FROM r.new_row
        ORDER BY r.position;
        EXIT WHEN coalesce(cardinality(old_rows), cardinality(new_rows)) < batch_size;
        done := done + batch_size;
    END LOOP;
    RETURN NULL;
END
$$;
"""

UNINSTALL = r"""
DROP FUNCTION IF EXISTS audit_capture_statement();
"""

ROW_TRIGGER = "audit_capture_row"
# (name, event, transition tables): one trigger per event, which transition tables require.
STATEMENT_TRIGGERS = (
    ("audit_capture_insert", "INSERT", "NEW TABLE AS audit_new"),
    ("audit_capture_update", "UPDATE", "OLD TABLE AS audit_old NEW TABLE AS audit_new"),
    ("audit_capture_delete", "DELETE", "OLD TABLE AS audit_old"),
)


def _attached(cursor, names) -> dict[str, list[str]]:
    """{table: its trigger arguments} for the tables carrying a trigger named in `names`."""
    cursor.execute(
        "SELECT t.tgrelid::regclass::text, t.tgnargs, t.tgargs FROM pg_trigger t "
        "WHERE t.tgname = ANY(%s) AND NOT t.tgisinternal ORDER BY t.tgname",
        [list(names)],
    )
    found = {}
    for table, count, raw in cursor.fetchall():
        # tgargs: each argument followed by a zero byte.
        found.setdefault(table, [part.decode() for part in bytes(raw).split(b"\0")[:count]])
    return found


def _literals(arguments) -> str:
    return ", ".join("'" + argument.replace("'", "''") + "'" for argument in arguments)


def to_statement_triggers(cursor) -> None:
    for table, arguments in _attached(cursor, [ROW_TRIGGER]).items():
        for name, event, tables in STATEMENT_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_statement({_literals(arguments)})"
            )
        cursor.execute(f"DROP TRIGGER {ROW_TRIGGER} ON {table}")


def to_row_triggers(cursor) -> None:
    """The reverse: each table's statement triggers become the row trigger again, same arguments."""
    for table, arguments in _attached(cursor, [name for name, _, _ in STATEMENT_TRIGGERS]).items():
        for name, _, _ in STATEMENT_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {table}")
        cursor.execute(
            f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_capture({_literals(arguments)})"
        )
    cursor.execute(UNINSTALL)


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(MASK)
        cursor.execute(INSTALL)
        to_statement_triggers(cursor)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        to_row_triggers(cursor)
        cursor.execute(MASK_0002)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_postgresql_owner_only_truncate")]

    operations = [migrations.RunPython(install, uninstall)]

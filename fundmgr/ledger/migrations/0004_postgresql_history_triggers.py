"""PostgreSQL triggers that keep posted history as it was posted, even against raw SQL.

- UPDATE and DELETE of `ledger_journalentry` and `ledger_journalline` rows are refused, and so
  is TRUNCATE of either table.
- A line may only be added to an entry that is newer than the chain head, i.e. to the entry
  being posted in this transaction: nobody slips a line into a closed entry.
- At commit (a DEFERRABLE INITIALLY DEFERRED constraint trigger) every entry inserted in the
  transaction must have at least two lines and balance for every fund in it.

On SQLite this migration does nothing: the ORM guards in `models.py` are all there is, which
suits the single-user embedded mode.

TRUNCATE and Django's test database: between transactional tests Django empties every table
with TRUNCATE. The TRUNCATE trigger therefore lets through a session whose setting
`fundmgr.allow_ledger_truncate` is `on`, and this migration turns that setting on (as a
database default) only in databases whose name starts with `test_`, the names Django gives its
test databases. Production databases never get it; an operator who must wipe a staging ledger
says `SET fundmgr.allow_ledger_truncate = on` deliberately.
"""

from django.db import migrations

INSTALL = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger history is append-only: % on % refused; post a reversing entry instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('fundmgr.allow_ledger_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger history is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION ledger_refuse_line_in_closed_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_entry bigint;
BEGIN
    SELECT last_entry_id INTO head_entry FROM ledger_ledgerchainhead WHERE id = 1;
    IF head_entry IS NOT NULL AND NEW.entry_id <= head_entry THEN
        RAISE EXCEPTION 'ledger entry % is already posted; a line cannot be added to it', NEW.entry_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked_entry bigint;
    line_count bigint;
    unbalanced_fund bigint;
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalline' THEN
        checked_entry := NEW.entry_id;
    ELSE
        checked_entry := NEW.id;
    END IF;
    SELECT count(*) INTO line_count FROM ledger_journalline WHERE entry_id = checked_entry;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'ledger entry % has % line(s); an entry needs at least 2', checked_entry, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT fund_id INTO unbalanced_fund FROM ledger_journalline WHERE entry_id = checked_entry
        GROUP BY fund_id HAVING sum(debit) <> sum(credit) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance for fund %', checked_entry, unbalanced_fund
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_journalentry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalline_append_only BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalentry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_journalline_no_truncate BEFORE TRUNCATE ON ledger_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
CREATE TRIGGER ledger_journalline_open_entry BEFORE INSERT ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_line_in_closed_entry();
CREATE CONSTRAINT TRIGGER ledger_journalline_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
CREATE CONSTRAINT TRIGGER ledger_journalentry_has_lines AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""

UNINSTALL = r"""
DROP TRIGGER IF EXISTS ledger_journalentry_has_lines ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalline_open_entry ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalline_no_truncate ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_no_truncate ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_append_only ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
DROP FUNCTION IF EXISTS ledger_refuse_line_in_closed_entry();
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
DROP FUNCTION IF EXISTS ledger_refuse_change();
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
            cursor.execute(f"ALTER DATABASE {quoted} SET fundmgr.allow_ledger_truncate = 'on'")
            # The database default reaches new sessions only; this one flushes too.
            cursor.execute("SET fundmgr.allow_ledger_truncate = 'on'")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_chain_head_and_verification")]

    operations = [migrations.RunPython(install, uninstall)]

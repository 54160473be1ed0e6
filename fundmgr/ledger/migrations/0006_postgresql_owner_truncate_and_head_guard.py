"""PostgreSQL: the chain head only moves forward, and only the owner may TRUNCATE the journal.

Before this migration any session could say `SET fundmgr.allow_ledger_truncate = on` and empty
the journal, and any session could rewrite `ledger_ledgerchainhead` (the row that names the last
entry), so cutting the tail and moving the head back left a chain that verified. Now:

- TRUNCATE of `ledger_journalentry` / `ledger_journalline` still needs the setting (so nobody
  does it by accident), and additionally that the current role owns the table or is a superuser
  (`pg_has_role(current_user, owner, 'USAGE')`, true for both). The application's role owns
  nothing (`manage.py db_roles`): the setting does not help it. Django's test runner, connected
  as the owner, still empties tables between transactional tests.
- The chain head row (pk 1) cannot be deleted. An UPDATE must move it exactly one link forward,
  to the newest entry: `last_entry_id` is the largest entry id, `last_hash` that entry's hash, the
  entry's `previous_hash` the old head's hash, and `entry_count` one more (what `entry_post` does,
  under its row lock). An UPDATE that changes nothing passes. An INSERT must describe the journal
  as it is (the genesis hash and count 0 for an empty one).

Only a superuser who switches triggers off (`session_replication_role = replica`) gets round
this; `verify_ledger` then finds the cut tail through the documents that name the lost entries.
On SQLite this migration does nothing.
"""

from django.db import migrations

INSTALL = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('fundmgr.allow_ledger_truncate', true), '') = 'on'
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger history is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION ledger_chain_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest_id bigint;
    newest_hash text;
    newest_previous text;
    entries bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the ledger chain head cannot be deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    SELECT id, hash, previous_hash INTO newest_id, newest_hash, newest_previous
        FROM ledger_journalentry ORDER BY id DESC LIMIT 1;
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO entries FROM ledger_journalentry;
        IF NEW.last_entry_id IS NOT DISTINCT FROM newest_id
           AND NEW.last_hash = coalesce(newest_hash, repeat('0', 64))
           AND NEW.entry_count = entries THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'a new ledger chain head must name the newest entry (#%)', coalesce(newest_id, 0)
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.id = OLD.id
       AND NEW.last_entry_id IS NOT DISTINCT FROM newest_id
       AND NEW.last_entry_id > coalesce(OLD.last_entry_id, 0)
       AND NEW.last_hash = newest_hash
       AND newest_previous = OLD.last_hash
       AND NEW.entry_count = OLD.entry_count + 1 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the ledger chain head only moves one link forward, to the newest entry (#%)',
        coalesce(newest_id, 0) USING ERRCODE = 'restrict_violation';
END
$$;

DROP TRIGGER IF EXISTS ledger_chain_head_forward_only ON ledger_ledgerchainhead;
CREATE TRIGGER ledger_chain_head_forward_only BEFORE INSERT OR UPDATE OR DELETE ON ledger_ledgerchainhead
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_head_guard();
"""

# Back to migration 0004's function: the setting alone allows TRUNCATE.
UNINSTALL = r"""
DROP TRIGGER IF EXISTS ledger_chain_head_forward_only ON ledger_ledgerchainhead;
DROP FUNCTION IF EXISTS ledger_chain_head_guard();
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('fundmgr.allow_ledger_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger history is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_nightly_verify_schedule")]

    operations = [migrations.RunPython(install, uninstall)]

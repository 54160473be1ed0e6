"""PostgreSQL: the chain head may move several links forward at once, still only along the chain.

Migration 0006's guard let an UPDATE of the chain head move it exactly one link forward. The
bank-statement import posts a chunk's entries in one pass (`entries_post`: the entries inserted
in one statement, the head updated once), so the head now moves from its old entry to the newest
one over every entry inserted since, and the guard checks that whole span instead of one link:

- `last_entry_id` is the largest entry id and `last_hash` that entry's hash (as before);
- the entries after the old head's entry, in id order, form a chain from the old head: the first
  one's `previous_hash` is the old head's hash, each next one's the hash of the one before;
- `entry_count` grows by the number of those entries (one or more).

For one entry this is exactly 0006's rule. The head still cannot go back, skip an entry, name an
entry that is not the newest, or be deleted; an UPDATE that changes nothing passes; an INSERT must
describe the journal as it is. The message still starts as 0006's did. On SQLite this migration does nothing.
"""

from importlib import import_module

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_chain_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest_id bigint;
    newest_hash text;
    entries bigint;
    moved bigint;
    linked boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the ledger chain head cannot be deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    SELECT id, hash INTO newest_id, newest_hash
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
       AND NEW.last_hash = newest_hash THEN
        SELECT count(*), coalesce(bool_and(span.previous_hash = span.expected), false) INTO moved, linked
            FROM (
                SELECT previous_hash, coalesce(lag(hash) OVER (ORDER BY id), OLD.last_hash) AS expected
                FROM ledger_journalentry WHERE id > coalesce(OLD.last_entry_id, 0)
            ) AS span;
        IF moved >= 1 AND linked AND NEW.entry_count = OLD.entry_count + moved THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the ledger chain head only moves one link forward (or several, along the chain), to the newest entry (#%)',
        coalesce(newest_id, 0) USING ERRCODE = 'restrict_violation';
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def uninstall(apps, schema_editor):
    # Back to migration 0006's guard (one link at a time), from that migration's own text.
    if schema_editor.connection.vendor == "postgresql":
        one_link = import_module("fundmgr.ledger.migrations.0006_postgresql_owner_truncate_and_head_guard")
        schema_editor.execute(one_link.INSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_schedule_descriptions_vi")]

    operations = [migrations.RunPython(install, uninstall)]

"""PostgreSQL: refuse, even to raw SQL, changing what an issued receipt certifies, un-voiding a
receipt, or deleting one (the model and its queryset refuse it in the ORM already).

TRUNCATE is not a row operation and is not refused: the test suite empties tables with it.
"""

from django.db import migrations

FROZEN_COLUMNS = [
    "unit_id", "year", "sequence", "number", "payment_id", "receipt_date", "issued_at", "issued_by_id",
    "unit_name", "unit_address", "payer_name", "payer_address", "amount", "reason", "fund_name",
    "payment_method", "debit_account", "credit_account", "attached_documents", "verification_code",
]

CREATE = f"""
CREATE OR REPLACE FUNCTION receipts_receipt_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'receipt % cannot be deleted; void it instead', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF ({", ".join("NEW." + column for column in FROZEN_COLUMNS)})
       IS DISTINCT FROM ({", ".join("OLD." + column for column in FROZEN_COLUMNS)}) THEN
        RAISE EXCEPTION 'receipt % is issued: what it certifies cannot change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.state = 'voided' AND NEW.state <> 'voided' THEN
        RAISE EXCEPTION 'receipt % is voided and stays voided', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS receipts_receipt_guard ON receipts_receipt;
CREATE TRIGGER receipts_receipt_guard BEFORE UPDATE OR DELETE ON receipts_receipt
    FOR EACH ROW EXECUTE FUNCTION receipts_receipt_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS receipts_receipt_guard ON receipts_receipt;
DROP FUNCTION IF EXISTS receipts_receipt_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("receipts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

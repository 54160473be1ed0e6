"""The PostgreSQL audit trigger per statement against the row trigger it replaced, side by side.

    .venv/bin/python bench/audit_trigger.py --database-url postgres://…/fundmgr_dev [--statements 2000]

Needs a database migrated to `audit/0005` (the statement triggers). In one transaction, rolled
back at the end (nothing stays): a unit and 100 donors, then UPDATEs of the donors' phone (a
masked column; the unit read from the row) of 1 row and of 100 rows per statement, first with
the statement triggers, then with the row triggers that the migration's reverse puts back (and
migration 0002's `audit_mask`), and with the table's user triggers off. Prints the backend's CPU
per statement (utime + stime of `/proc/<pg_backend_pid()>/stat`; the server must run on this
machine), best of `--repeat`.
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--statements", type=int, default=2000, help="one-row statements per measure")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    migration = importlib.import_module("fundmgr.audit.migrations.0005_postgresql_audit_statement_triggers")

    with psycopg.connect(options.database_url) as connection, connection.cursor() as cursor:
        # Foreign keys checked at each statement, not at commit: no pending events to stop the ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO orgs_orgunit (name, code, kind, path, address, administrative_code) "
            "VALUES ('Bench', 'BENCH-AUDIT', 'province', 'BENCH-AUDIT', '', '') RETURNING id"
        )
        (unit,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO donations_donor (kind, name, name_normalized, email, phone, tax_code, address, unit_id, "
            "honor_roll_consent, email_consent, created_at) "
            "SELECT 'individual', 'Nhà hảo tâm ' || g, 'nha hao tam', 'nht' || g || '@example.vn', "
            "'+8491' || (1000000 + g), '', 'Số ' || g, %s, false, false, now() FROM generate_series(1, 100) AS g "
            "RETURNING id",
            [unit],
        )
        donors = [row[0] for row in cursor.fetchall()]

        def measure(label):
            one = best_of(options.repeat, pid, cursor, lambda number: cursor.execute(
                "UPDATE donations_donor SET phone = %s WHERE id = %s", [f"+8490{number:07d}", donors[number % 100]]
            ), options.statements)
            hundred = best_of(options.repeat, pid, cursor, lambda number: cursor.execute(
                "UPDATE donations_donor SET phone = '+8490' || (%s + id) WHERE id = ANY(%s)", [number, donors]
            ), max(options.statements // 20, 10))
            print(f"{label:<28} 1 row: {one * 1000:6.3f} ms   100 rows: {hundred * 1000:7.3f} ms a statement")

        measure("statement triggers (0005)")
        migration.to_row_triggers(cursor)
        cursor.execute(migration.MASK_0002)
        measure("row triggers (before 0005)")
        cursor.execute("ALTER TABLE donations_donor DISABLE TRIGGER USER")
        measure("no audit trigger")
        connection.rollback()


def best_of(repeat, pid, cursor, statement, count) -> float:
    best = None
    for _ in range(repeat):
        cursor.execute("SAVEPOINT measured")
        started = backend_cpu(pid)
        for number in range(count):
            statement(number)
        used = (backend_cpu(pid) - started) / count
        cursor.execute("ROLLBACK TO SAVEPOINT measured")
        best = used if best is None else min(best, used)
    return best


def backend_cpu(pid) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()

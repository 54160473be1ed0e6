"""Migration donations/0016: the imports an older upload stored without reading the file (layout
"" or the one asked for, no counts), still waiting for the worker, are read once; the worker then
has one path (it reads with the layout stored). A fresh database has none: every test run.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from donations.models import BankStatementImport, BankStatementLine
from donations.services.bank_statement import statement_import_run
from fundmgr.audit.models import AuditEvent

BEFORE = [("donations", "0015_schedule_descriptions_vi")]

VCB = """\
STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả
1;15/01/2026;5213.150126.093112;;5.000.000;105.000.000;NGUYEN VAN DUC chuyen tien ung ho
2;15/01/2026;5213.150126.101010;200.000;;104.800.000;Phi quan ly tai khoan
3;16/01/2026;5213.160126.080000;;1.500.000;106.300.000;ung ho quy khuyen hoc
""".encode()
GENERIC = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n15/01/2026,700.000,chuyen tien,FT1\n".encode()
UNREADABLE = b"a,b\n1,2\n"


@pytest.mark.django_db(transaction=True)
def test_waiting_imports_stored_unread_get_their_layout_and_counts_or_fail_with_the_reasons():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        user = apps.get_model("auth", "User").objects.create(username="thuquy")
        unit = apps.get_model("orgs", "OrgUnit").objects.create(name="Tỉnh", code="T", kind="province", path="0001")
        Import = apps.get_model("donations", "BankStatementImport")

        def stored(name, content, **fields):
            return Import.objects.create(unit=unit, file_name=name, file_sha256=name, content=content,
                                         created_by=user, **fields).pk

        ids = {
            # The older upload: the layout asked for ("" for automatic detection), no counts.
            "auto": stored("auto.csv", VCB),
            "asked": stored("asked.csv", GENERIC, format="generic"),
            "unreadable": stored("unreadable.csv", UNREADABLE),
            # Read already: a worker claimed it and filled it in, or it failed, or it is done.
            "running": stored("running.csv", GENERIC, format="generic", lines_credit=1, status="running"),
            "failed": stored("failed.csv", UNREADABLE, status="failed", last_error="Không nhận ra mẫu sao kê"),
            "done": stored("done.csv", GENERIC, format="", status="done"),
            # The current upload: read, counted.
            "new": stored("new.csv", VCB, format="vcb", lines_credit=2, lines_debit=1),
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    rows = {
        name: BankStatementImport.objects.filter(pk=pk).values_list(
            "status", "format", "lines_credit", "lines_debit", "last_error"
        ).get()
        for name, pk in ids.items()
    }
    unreadable_error = rows["unreadable"][4]
    assert rows == {
        "auto": ("pending", "vcb", 2, 1, ""),
        "asked": ("pending", "generic", 1, 0, ""),
        "unreadable": ("failed", "", 0, 0, unreadable_error),
        "running": ("running", "generic", 1, 0, ""),
        "failed": ("failed", "", 0, 0, "Không nhận ra mẫu sao kê"),
        "done": ("done", "", 0, 0, ""),
        "new": ("pending", "vcb", 2, 1, ""),
    }
    assert unreadable_error.startswith("Không nhận ra mẫu sao kê")
    # What changed has its audit row, in the import's unit; nothing else has one.
    events = AuditEvent.objects.filter(model_label="donations.bankstatementimport").order_by("object_id")
    assert sorted((event.object_id, event.action, event.before, event.after, event.actor_id, event.unit_id)
                  for event in events) == sorted([
        (str(ids["auto"]), "change", {"format": "", "lines_credit": 0, "lines_debit": 0},
         {"format": "vcb", "lines_credit": 2, "lines_debit": 1}, None, events[0].unit_id),
        (str(ids["asked"]), "change", {"lines_credit": 0}, {"lines_credit": 1}, None, events[0].unit_id),
    ])
    assert events[0].unit.code == "T" and events[0].source == "service"

    # The worker reads a row the migration read with the layout stored: one path.
    statement = statement_import_run(statement_id=ids["auto"])
    assert (statement.status, statement.lines_done, statement.lines_new) == ("done", 2, 2)
    assert BankStatementLine.objects.filter(statement_id=ids["auto"]).count() == 2

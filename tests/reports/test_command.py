"""`manage.py report`: any exporter as the system, to a file, with its manifest printed."""

import csv
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from fundmgr.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REPORT = "test_lines"  # after the merge: "general_journal"


def run_command(*args) -> dict:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return json.loads(out.getvalue())


def test_report_writes_the_file_and_prints_its_manifest(tmp_path):
    target = tmp_path / "so.csv"
    manifest = run_command(REPORT, "--param", "rows=3", "-o", str(target))
    content = target.read_bytes()
    assert manifest == {
        "file": str(target), "rows": 3, "totals": {"Số tiền": 6_000}, "last": {"Hash": "h0003"},
        "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
    }
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1] == ["1", "Dòng 1", "1000", "h0001"]
    event = AuditEvent.objects.get(model_label=f"reports.{REPORT}")
    assert (event.action, event.actor_label, event.after["sha256"]) == ("export", "system", manifest["sha256"])


def test_report_reads_one_units_subtree_or_every_unit(tmp_path, funds):
    one = tmp_path / "quy-hac-thanh.xlsx"
    assert run_command("test_funds", "--unit", "TH-HT", "--format", "xlsx", "-o", str(one))["rows"] == 2
    every = tmp_path / "quy.csv"
    assert run_command("test_funds", "-o", str(every))["rows"] == 4
    assert run_command("test_funds", "--param", "code_prefix=QKH-HT", "-o", str(every))["rows"] == 2


def test_report_refuses_what_it_cannot_run(tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="rows"):
        call_command("report", REPORT, "--param", "rows=-1", "-o", str(target))
    assert not target.exists()
    with pytest.raises(CommandError):
        call_command("report", "no_such_report", "-o", str(target))
    with pytest.raises(CommandError, match="unit"):
        call_command("report", REPORT, "--unit", "NOWHERE", "-o", str(target))
    with pytest.raises(CommandError):
        call_command("report", REPORT)


def test_report_list_names_the_exporters_and_their_parameters():
    out = io.StringIO()
    call_command("report", "--list", stdout=out)
    text = out.getvalue()
    assert "test_lines  (ledger)  Sổ thử" in text and "--param rows=…  Số dòng (required)" in text
    assert "test_funds  (money)" in text and "--param code_prefix=…" in text

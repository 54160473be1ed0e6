"""The auditor's script in docs/ledger.md recomputes the chain from an export, outside Django."""

import csv
import datetime
import re
import subprocess
import sys

import pytest
from django.conf import settings

from fundmgr.ledger import accounts
from fundmgr.ledger.exporters import AUDIT_COLUMNS, GENERAL_JOURNAL_COLUMNS, ledger_audit_rows
from fundmgr.ledger.models import LedgerChainHead
from fundmgr.ledger.services import Line, entry_post, entry_reverse, fund_transfer
from fundmgr.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 9, 1)


def auditor_script() -> str:
    text = (settings.BASE_DIR / "docs" / "ledger.md").read_text(encoding="utf-8")
    return re.search(r"<!-- auditor-script.*?-->\n```python\n(.*?)```", text, re.DOTALL).group(1)


def run_script(tmp_path, rows) -> subprocess.CompletedProcess:
    script, export = tmp_path / "check_ledger.py", tmp_path / "ledger.csv"
    script.write_text(auditor_script(), encoding="utf-8")
    with export.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows(rows)
    return subprocess.run([sys.executable, "-I", str(script), str(export)], capture_output=True, text=True)


@pytest.fixture
def rows(province, make_fund):
    general, dreams = make_fund("QKH-TH"), make_fund("QHB-NCUM")
    entry_post(
        unit=province, date=DAY, memo="Số dư đầu kỳ",
        lines=[Line(accounts.BANK, general, debit=5_000_000), Line(accounts.DONATION_INCOME, general, credit=5_000_000)],
    )
    donation = entry_post(
        unit=province, date=DAY, memo="Ủng hộ \"Nâng cánh ước mơ\",\ndòng hai", source=province,
        lines=[Line(accounts.BANK, general, debit=7_000_000), Line(accounts.DONATION_INCOME, general, credit=7_000_000)],
    )
    fund_transfer(from_fund=general, to_fund=dreams, amount=2_000_000, date=DAY, memo="Điều chuyển", unit=province)
    entry_reverse(entry=donation, reason="Chuyển nhầm tài khoản", date=DAY)  # reverses_hash, reason, source
    entry_post(
        unit=province, date=DAY, memo="Ủng hộ lại đúng tài khoản",
        lines=[Line(accounts.BANK, general, debit=7_000_000), Line(accounts.DONATION_INCOME, general, credit=7_000_000)],
    )
    return list(ledger_audit_rows(batch_size=2))


def test_a_clean_export_passes(tmp_path, rows):
    result = run_script(tmp_path, rows)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chain intact, last hash {LedgerChainHead.objects.get().last_hash}"
    sources = {row[4] for row in rows} - {""}
    assert sources == {f"orgs.orgunit:{OrgUnit.objects.get(code='TH').pk}"}  # the donation and its reversal
    assert len(rows) == 2 + 2 + 4 + 2 + 2


def test_an_edited_export_names_the_entry(tmp_path, rows):
    rows[4][3] = "Điều chuyển (đã sửa)"  # the transfer's memo, on its first line
    result = run_script(tmp_path, rows)
    assert result.returncode == 1
    assert result.stderr.strip() == f"entry {rows[4][0]}: hash does not match its content"


def test_export_ledger_writes_the_file_the_auditor_script_checks(tmp_path, rows):
    import hashlib
    from io import StringIO

    from django.core.management import call_command

    export, out = tmp_path / "so-cai.csv", StringIO()
    call_command("export_ledger", str(export), stdout=out)

    # The file is the general journal exporter's CSV: a BOM for Excel and Vietnamese labels
    # (the auditor's script reads the columns by position, in the order of AUDIT_COLUMNS).
    assert export.read_bytes().startswith("\ufeffSố bút toán,".encode())
    with export.open(newline="", encoding="utf-8-sig") as file:
        written = list(csv.reader(file))
    assert written[0] == [str(column.label) for column in GENERAL_JOURNAL_COLUMNS]
    assert len(written[0]) == len(AUDIT_COLUMNS)
    assert written[1:] == [[str(value) for value in row] for row in rows]
    head = LedgerChainHead.objects.get()
    debit = sum(row[-2] for row in rows)
    assert out.getvalue().splitlines() == [
        f"{len(rows)} lines, debit {debit}, credit {debit}, last hash {head.last_hash}",
        f"sha256 {hashlib.sha256(export.read_bytes()).hexdigest()}  {export}",
    ]
    script = tmp_path / "check_ledger.py"
    script.write_text(auditor_script(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(script), str(export)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chain intact, last hash {head.last_hash}"

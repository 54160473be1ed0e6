"""The exporter registry and the CSV/XLSX writers: one set of rows, two files, one manifest each."""

import csv
import datetime
import hashlib
import io

import pytest
from openpyxl import load_workbook

from fundmgr.core.exporting import (
    AMOUNT,
    DATE,
    EXACT,
    INTEGER,
    Column,
    Exporter,
    exporter_get,
    register,
    write_csv,
    write_xlsx,
)

COLUMNS = (
    Column("Họ tên"), Column("Số tiền", AMOUNT), Column("Ngày", DATE), Column("Số dòng", INTEGER),
    Column("Mã băm", EXACT, last_in_manifest=True),
)
ROWS = [
    ('=HYPERLINK("x")', -500_000, datetime.date(2026, 2, 17), 1, "=ab"),
    ("Nguyễn Thị Hằng", 1_250_000_000, datetime.date(2026, 2, 18), 2, "cd"),
    ("", 0, None, 3, "ef"),
]


def test_csv_escapes_people_s_text_keeps_numbers_and_says_what_it_holds():
    target = io.BytesIO()
    manifest = write_csv(COLUMNS, iter(ROWS), target)
    data = target.getvalue()
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 Vietnamese with the BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Họ tên", "Số tiền", "Ngày", "Số dòng", "Mã băm"]
    assert rows[1] == ["'=HYPERLINK(\"x\")", "-500000", "2026-02-17", "1", "=ab"]  # exact text is not escaped
    assert rows[2] == ["Nguyễn Thị Hằng", "1250000000", "2026-02-18", "2", "cd"]
    assert rows[3] == ["", "0", "", "3", "ef"]
    assert manifest.rows == 3
    assert manifest.totals == {"Số tiền": 1_249_500_000}
    assert manifest.last == {"Mã băm": "ef"}
    assert manifest.sha256 == hashlib.sha256(data).hexdigest() and manifest.size == len(data)


def test_xlsx_holds_the_same_cells_with_numbers_as_numbers():
    target = io.BytesIO()
    manifest = write_xlsx(COLUMNS, iter(ROWS), target, title="Sổ cái")
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet.title == "Sổ cái"
    values = list(sheet.iter_rows(values_only=True))
    assert values[1] == ("'=HYPERLINK(\"x\")", -500_000, datetime.datetime(2026, 2, 17), 1, "=ab")
    assert values[2][1] == 1_250_000_000 and sheet["B3"].number_format == "#,##0"
    assert values[3] == (None, 0, None, 3, "ef")
    assert sheet["E2"].data_type == "s"  # exact text that starts with "=" is text, not a formula
    assert manifest.rows == 3 and manifest.totals == {"Số tiền": 1_249_500_000}
    assert manifest.sha256 == hashlib.sha256(target.getvalue()).hexdigest()


def test_progress_is_reported_as_rows_are_written():
    seen = []
    write_csv(COLUMNS, iter(ROWS * 4), io.BytesIO(), progress=seen.append, every=5)
    assert seen == [5, 10, 12]


def test_two_exporters_may_not_share_a_name(monkeypatch):
    from fundmgr.core import exporting

    monkeypatch.setattr(exporting, "_exporters", {})  # the project's own exporters are not touched
    first = register(Exporter(name="test_only_exporter", title="x", domain="ledger", columns=COLUMNS, rows=lambda r: []))
    assert register(first) is first and exporter_get("test_only_exporter") is first
    with pytest.raises(ValueError):
        register(Exporter(name="test_only_exporter", title="y", domain="ledger", columns=COLUMNS, rows=lambda r: []))

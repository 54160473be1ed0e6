"""The exporter registry and the CSV/XLSX writers: one set of rows, two files, one manifest each."""

import csv
import dataclasses
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
    ExportRequest,
    FormatRefused,
    export_write,
    exporter_get,
    formats_allowed,
    register,
    write_csv,
    write_pdf,
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


def pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    from tests.conftest import require_executable

    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(data)
    return subprocess.run([require_executable("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_is_a_table_with_the_title_grouped_amounts_a_chart_and_page_numbers(tmp_path):
    target = io.BytesIO()
    chart = {"kind": "bars", "title": "Thu chi theo tháng", "labels": ["01/2026", "02/2026"],
             "series": [("Tiền thu", [1_500_000_000, 0]), ("Tiền chi", [0, 500_000_000])]}
    manifest = write_pdf(COLUMNS, iter(ROWS * 40), target, title="Sổ cái thử", chart=chart)
    data = target.getvalue()
    assert data[:5] == b"%PDF-" and manifest.sha256 == hashlib.sha256(data).hexdigest() and manifest.size == len(data)
    assert manifest.rows == 120 and manifest.totals == {"Số tiền": 40 * 1_249_500_000} and manifest.last == {"Mã băm": "ef"}
    text = pdf_text(data, tmp_path)
    assert "Sổ cái thử" in text and "Nguyễn Thị Hằng" in text and "Họ tên" in text
    assert "1.250.000.000" in text and "-500.000" in text and "2026-02-17" in text
    assert "Trang 1" in text and "Trang 2" in text  # 120 rows run over a page; the header repeats
    assert text.count("Họ tên") >= 2
    assert "Thu chi theo tháng" in text and "02/2026" in text and "Tiền chi" in text and "1,5 tỷ" in text
    # The same rows give the same bytes (the document is invariant: no date, no random id).
    again = io.BytesIO()
    write_pdf(COLUMNS, iter(ROWS * 40), again, title="Sổ cái thử", chart=chart)
    assert again.getvalue() == data


def test_pdf_only_for_an_exporter_that_allows_it_and_with_its_chart(tmp_path):
    long = Exporter(name="long", title="x", domain="ledger", columns=COLUMNS, rows=lambda request: iter(ROWS))
    with pytest.raises(FormatRefused):
        export_write(long, ExportRequest(params={}), "pdf", io.BytesIO())
    assert formats_allowed(long) == ["csv", "xlsx"]
    chart = {"kind": "progress", "title": "Đã nhận so với mục tiêu", "value": 300_000_000, "goal": 1_200_000_000}
    short = dataclasses.replace(long, pdf=True, pdf_chart=lambda request: chart)
    assert formats_allowed(short) == ["csv", "xlsx", "pdf"]
    target = io.BytesIO()
    export_write(short, ExportRequest(params={}), "pdf", target, title="Báo cáo chiến dịch")
    text = pdf_text(target.getvalue(), tmp_path)
    assert "Đã nhận so với mục tiêu" in text and "300 triệu / 1,2 tỷ (25%)" in text

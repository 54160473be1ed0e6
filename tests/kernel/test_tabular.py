"""`fundmgr.core.tabular.table_read`: every encoding and delimiter Excel writes, XLSX cells as CSV
text, the row numbers a spreadsheet shows, and refusals in words a treasurer can act on."""

import datetime
import io
import unicodedata
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fundmgr.core import tabular
from fundmgr.core.tabular import TableRow, columns_find, table_read
from tests.tabular_files import cp1258_bytes, xlsx_bytes

# Letters Windows-1258 writes as a base letter and a combining tone mark (ế, ặ, ữ, ỡ, ổ, ị) and
# letters it has precomposed (ư, ơ, đ, Đ, ă).
TEXT = (
    "Họ tên;Số tiền;Ghi chú\n"
    "Nguyễn Thị Tuyết;5.000.000;Lớp 12A, trường Đặng Thai Mai\n"
    "Trương Văn Đức;\"1.500.000\";Hỗ trợ ơn nghĩa\n"
)
EXPECTED = [
    (1, ("Họ tên", "Số tiền", "Ghi chú")),
    (2, ("Nguyễn Thị Tuyết", "5.000.000", "Lớp 12A, trường Đặng Thai Mai")),
    (3, ("Trương Văn Đức", "1.500.000", "Hỗ trợ ơn nghĩa")),
]


def numbered(table):
    return [(row.number, row.cells) for row in table.rows]


def message_of(content) -> tuple[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        table_read(content)
    return raised.value.code, raised.value.messages


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16"),  # Excel's "Unicode text": a BOM, little-endian here
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
        (cp1258_bytes(TEXT), "cp1258"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-le", "utf-16-be", "windows-1258"],
)
def test_every_encoding_gives_the_same_composed_text(content, encoding):
    table = table_read(content)

    assert table.encoding == encoding
    assert numbered(table) == EXPECTED
    assert all(unicodedata.is_normalized("NFC", cell) for row in table.rows for cell in row.cells)
    assert table.header.cells[0] == "Họ tên"  # no BOM left in the first header


def test_windows_1258_really_writes_combining_marks():
    # The guard of the test above: the file holds "ê" and a combining acute accent, not one "ế".
    content = cp1258_bytes("Tuyết")
    assert content == "Tuyê".encode("cp1258") + "\u0301".encode("cp1258") + b"t"
    assert content.decode("cp1258") != "Tuyết"
    assert table_read(content).header.cells == ("Tuyết",)


def test_decomposed_utf8_from_a_mac_is_composed():
    assert table_read(unicodedata.normalize("NFD", "Đặng Thị Ngọc\n").encode()).header.cells == ("Đặng Thị Ngọc",)


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("a,b,c\n1,\"2,5\",3\n", ("1", "2,5", "3")),
        ("a;b;c\n1;2,5;3\n", ("1", "2,5", "3")),  # a semicolon file with decimal commas
        ("a\tb\tc\n1\t2,5\t3\n", ("1", "2,5", "3")),
        ("a, b, c\n1, \"2, 5\", 3\n", ("1", "2, 5", "3")),  # spaces after the delimiter, then quotes
    ],
    ids=["comma", "semicolon", "tab", "spaces"],
)
def test_the_delimiter_is_detected(text, cells):
    table = table_read(text.encode())
    assert table.header.cells == ("a", "b", "c")
    assert [row.cells for row in table.body] == [cells]


def test_rows_keep_the_numbers_a_spreadsheet_shows_and_empty_rows_are_left_out():
    text = "\n\nTitle\n\n Name ; Amount \n  Lan ;  100 \n;;\n\n Hoa;200\n;\n\n\n"
    table = table_read(text.encode())
    assert numbered(table) == [
        (3, ("Title",)),
        (5, ("Name", "Amount")),
        (6, ("Lan", "100")),
        (9, ("Hoa", "200")),
    ]
    assert table.header.number == 3 and [row.number for row in table.body] == [5, 6, 9]


def test_a_quoted_cell_over_two_lines_is_one_row():
    table = table_read('Tên,Ghi chú\nLan,"dòng một\ndòng hai"\nHoa,x\n'.encode())
    assert numbered(table)[1:] == [(2, ("Lan", "dòng một\ndòng hai")), (3, ("Hoa", "x"))]


def test_a_cell_out_of_a_short_row_is_empty():
    row = TableRow(number=2, cells=("a", "b"))
    assert (row.cell(0), row.cell(1), row.cell(2), row.cell(None)) == ("a", "b", "", "")


def test_columns_are_found_by_any_spelling_without_diacritics_or_case():
    header = table_read("STT;HO TEN;so tien;Ghi chú\n".encode()).header
    spellings = {"name": ("Họ và tên", "Họ tên"), "amount": ("Số tiền",), "fund": ("Quỹ",)}
    assert columns_find(header, spellings) == {"name": 1, "amount": 2}


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_cells_read_as_the_text_a_csv_of_the_sheet_holds():
    content = xlsx_bytes([
        ["Họ tên", "Số tiền", "Điểm", "Ngày sinh", "Lúc", "Ẩn danh", "Điện thoại", "Ghi chú", "Số đợt"],
        ["  Nguyễn Thị Tuyết ", 5000000, 8.5, datetime.date(2013, 5, 9), datetime.datetime(2026, 1, 15, 9, 31, 12),
         True, 912345678, None, 2],
        ["Trương Văn Đức", 1500000.0, 9.1, datetime.datetime(2010, 2, 1), datetime.time(7, 5), False, "0912000001",
         "ơn", 0.1 + 0.2],
    ])

    table = table_read(content)

    assert table.encoding == "xlsx"
    assert numbered(table) == [
        (1, ("Họ tên", "Số tiền", "Điểm", "Ngày sinh", "Lúc", "Ẩn danh", "Điện thoại", "Ghi chú", "Số đợt")),
        (2, ("Nguyễn Thị Tuyết", "5000000", "8.5", "09/05/2013", "15/01/2026 09:31:12", "TRUE", "912345678", "", "2")),
        (3, ("Trương Văn Đức", "1500000", "9.1", "01/02/2010", "07:05:00", "FALSE", "0912000001", "ơn", "0.3")),
    ]


def test_xlsx_is_recognised_by_its_content_and_only_the_first_sheet_is_read():
    content = xlsx_bytes([["Tên"], ["Lan"]], more_sheets=[[["Khác"], ["x"]]])
    assert numbered(table_read(content)) == [(1, ("Tên",)), (2, ("Lan",))]


def test_xlsx_rows_keep_excel_s_numbers_and_empty_rows_are_left_out():
    content = xlsx_bytes([
        ["SAO KÊ TÀI KHOẢN"],
        [],
        [None, None, None],
        ["Ngày", "Số tiền"],
        [datetime.date(2026, 1, 15), 5000000],
        ["   ", None],
        [datetime.date(2026, 1, 16), 200000],
        [],
        [None],
    ])
    assert numbered(table_read(content)) == [
        (1, ("SAO KÊ TÀI KHOẢN",)),
        (4, ("Ngày", "Số tiền")),
        (5, ("15/01/2026", "5000000")),
        (7, ("16/01/2026", "200000")),
    ]


def test_xlsx_text_is_composed():
    content = xlsx_bytes([[unicodedata.normalize("NFD", "Đặng Thị Ngọc Tuyết")]])
    assert table_read(content).header.cells == ("Đặng Thị Ngọc Tuyết",)


def test_a_wrong_dimension_in_the_workbook_does_not_cut_rows_off():
    content = xlsx_bytes([["Tên"], ["Lan"], ["Hoa"], ["Mai"]])
    content = _replace_in_zip(
        content, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'<dimension ref="A1:A4" />', b'<dimension ref="A1" />')
    )
    assert [row.cells for row in table_read(content).rows] == [("Tên",), ("Lan",), ("Hoa",), ("Mai",)]


def _replace_in_zip(content: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == name:
                changed = change(data)
                assert changed != data, "the test's replacement matched nothing"
                data = changed
            target.writestr(item.filename, data)
    return buffer.getvalue()


# --- refusals -----------------------------------------------------------------------------------

UNREADABLE = "Không đọc được tệp: hãy lưu dưới dạng Excel (.xlsx) hoặc CSV (UTF-8)."
NOT_A_TABLE = (
    "Tệp không phải bảng tính Excel (.xlsx) hay CSV: hãy mở tệp trong Excel và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."
)


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", "empty", "Tệp trống."),
        (b"\n\n ; ;\n\t\n", "empty", "Tệp trống."),
        ("\ufeff".encode(), "empty", "Tệp trống."),
        # Invalid UTF-8, and bytes Windows-1258 leaves undefined (0x81, 0x8D, 0x8E).
        (b"T\xean;\x81\x8d\x8e\n", "encoding", UNREADABLE),
        # A UTF-16 byte-order mark, then an odd number of bytes.
        (b"\xff\xfeT\x00e", "encoding", UNREADABLE),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_table", NOT_A_TABLE),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00", "not_a_table", NOT_A_TABLE),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "not_a_table",
            "Tệp Excel dạng cũ (.xls) hoặc có đặt mật khẩu: hãy mở trong Excel, bỏ mật khẩu và lưu lại dưới "
            "dạng .xlsx hoặc CSV (UTF-8).",
        ),
        (b"PK\x03\x04 not really a zip", "not_a_table", NOT_A_TABLE),
    ],
    ids=["empty", "blank-rows", "only-a-bom", "no-encoding", "utf-16-odd", "png", "pdf", "xls", "broken-zip"],
)
def test_what_is_not_a_table_is_refused_with_a_clear_message(content, code, message):
    assert message_of(content) == (code, [message])


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert message_of(buffer.getvalue()) == ("not_a_table", [NOT_A_TABLE])


def test_a_truncated_workbook_is_refused():
    content = xlsx_bytes([["Tên"], ["Lan"]])
    assert message_of(content[: len(content) // 2]) == ("not_a_table", [NOT_A_TABLE])


def test_a_workbook_whose_sheet_breaks_half_way_is_refused():
    content = xlsx_bytes([["Tên"], ["Lan"], ["Hoa"]])
    content = _replace_in_zip(content, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", b"<row"))
    assert message_of(content) == ("not_a_table", [
        "Không đọc được tệp Excel (tệp bị hỏng): hãy mở trong Excel và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."
    ])


def test_an_empty_workbook_is_an_empty_file():
    assert message_of(xlsx_bytes([])) == ("empty", ["Tệp trống."])
    assert message_of(xlsx_bytes([[None, "  "], []])) == ("empty", ["Tệp trống."])


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    content = xlsx_bytes([["Tên"], *[[f"Người thứ {number}"] for number in range(200)]])
    monkeypatch.setattr(tabular, "XLSX_MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    assert table_read(content).body[-1].cells == ("Người thứ 199",)  # a small workbook reads

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in zipfile.ZipFile(io.BytesIO(content)).infolist():
            archive.writestr(item.filename, zipfile.ZipFile(io.BytesIO(content)).read(item.filename))
        archive.writestr("xl/media/padding.bin", b"\x00" * (3 * 1024 * 1024))  # 3 MB that pack into a few KB
    assert len(bomb.getvalue()) < 100_000
    assert message_of(bomb.getvalue()) == (
        "too_large", ["Tệp Excel quá lớn (hơn 2 MB khi giải nén): hãy chia thành nhiều tệp."]
    )


def test_a_row_the_csv_reader_cannot_read_is_named_by_its_number():
    text = "Tên,Ghi chú\nLan,ngắn\nHoa," + "x" * 200_000 + "\n"
    assert message_of(text.encode()) == (
        "invalid_row", ["Dòng 3: không đọc được dòng này (một ô quá dài, hoặc thiếu dấu ngoặc kép đóng)."]
    )


def test_the_messages_have_english_translations():
    with translation.override("en"):
        assert message_of(b"") == ("empty", ["The file is empty."])
        assert message_of(b"T\xean;\x81\x8d\x8e\n") == (
            "encoding", ["The file could not be read: save it as Excel (.xlsx) or CSV (UTF-8)."]
        )
        assert message_of(b"\x89PNG\r\n\x1a\n\x00") == ("not_a_table", [
            "The file is not an Excel (.xlsx) or CSV table: open it in Excel and save it again as .xlsx or CSV (UTF-8)."
        ])
        text = "a\n" + "x" * 200_000 + "\n"
        assert message_of(text.encode()) == ("invalid_row", [
            "Row 2: this row could not be read (a cell is too long, or a closing quotation mark is missing)."
        ])

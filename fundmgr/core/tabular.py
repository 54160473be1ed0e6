"""The one reader of the tables people upload (pledge lists, school lists, bank statements).

Treasurers have Excel, and Excel saves a table in many ways: a workbook (.xlsx), "CSV UTF-8"
(with a byte-order mark), plain "CSV" (Windows-1258 on a Vietnamese Windows), "Unicode text"
(UTF-16, tab-separated). `table_read` takes the file's bytes, whatever the file is called, and
gives the same strings for all of them, so an importer parses one kind of cell:

- a workbook is recognised by its content (a ZIP); its first sheet is read in openpyxl's
  read-only (streaming) mode, cached formula results rather than formulas;
- a workbook cell comes out as the text a CSV saved from the same sheet holds: 5000000.0 is
  "5000000", a date is "09/05/2013" (day/month/year, as the importers read dates), TRUE is
  "TRUE", an empty cell is "";
- text is stripped and composed (NFC): Windows-1258 writes tone marks as combining characters,
  and a name must compare equal to the same name typed in the admin;
- rows keep the number a spreadsheet shows (the first row of the file is 1), so an importer's
  "Dòng 7: …" points at row 7 in Excel; empty rows are left out but still counted.

Every refusal is a ValidationError with a message a treasurer can act on.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import unicodedata
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .contacts import name_normalize

# For the file inputs of the upload forms: what the file picker offers first.
TABLE_FILE_ACCEPT = (
    ".csv,.tsv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

# A workbook is compressed: a 2 MB upload may unpack to gigabytes of XML. The sheets of a real
# list or statement (10,000 statement lines are a few MB) stay far below this.
XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024

_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (";", "\t", ",")  # on a tie the first wins: ";" is what Excel writes here


@dataclasses.dataclass(frozen=True)
class TableRow:
    number: int  # as a spreadsheet shows it: the file's first row is 1
    cells: tuple[str, ...]

    def cell(self, column: int | None) -> str:
        """The text in `column`, "" when there is no such column or the row is shorter."""
        return self.cells[column] if column is not None and column < len(self.cells) else ""


@dataclasses.dataclass(frozen=True)
class Table:
    rows: list[TableRow]  # the rows with at least one non-empty cell, in file order; never empty
    encoding: str  # "utf-8", "utf-16", "cp1258", or "xlsx" for a workbook

    @property
    def header(self) -> TableRow:
        return self.rows[0]

    @property
    def body(self) -> list[TableRow]:
        return self.rows[1:]


def _unreadable() -> ValidationError:
    return ValidationError(
        _("Không đọc được tệp: hãy lưu dưới dạng Excel (.xlsx) hoặc CSV (UTF-8)."), code="encoding"
    )


def _not_a_table() -> ValidationError:
    return ValidationError(
        _("Tệp không phải bảng tính Excel (.xlsx) hay CSV: hãy mở tệp trong Excel và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."),
        code="not_a_table",
    )


def table_read(content: bytes) -> Table:
    """The table in a CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1258) or XLSX file.

    Raises ValidationError when the file is not one of these, or has no non-empty row.
    """
    if content.startswith(_ZIP_SIGNATURE):
        rows, encoding = _xlsx_rows(content), "xlsx"
    elif content.startswith(_OLE_SIGNATURE):
        raise ValidationError(
            _("Tệp Excel dạng cũ (.xls) hoặc có đặt mật khẩu: hãy mở trong Excel, bỏ mật khẩu và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."),
            code="not_a_table",
        )
    else:
        text, encoding = _decode(content)
        rows = _csv_rows(text)
    table_rows = []
    for number, cells in rows:
        if any(cells):
            table_rows.append(TableRow(number=number, cells=tuple(cells)))
    if not table_rows:
        raise ValidationError(_("Tệp trống."), code="empty")
    return Table(rows=table_rows, encoding=encoding)


def columns_find(
    header: TableRow, spellings: dict[str, tuple[str, ...]], *, key=name_normalize
) -> dict[str, int]:
    """Field → column index, for each field one of whose spellings is a header (compared by `key`).

    The first spelling found wins; a field none of whose spellings is there is left out.
    """
    keys = [key(cell) for cell in header.cells]
    columns = {}
    for field, names in spellings.items():
        for name in names:
            if key(name) in keys:
                columns[field] = keys.index(key(name))
                break
    return columns


# --- CSV --------------------------------------------------------------------------------------


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(_UTF16_BOMS):
        # A byte-order mark declares the encoding: no guessing past it.
        try:
            text, encoding = content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _unreadable() from None
    else:
        try:
            text, encoding = content.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = content.decode("cp1258"), "cp1258"
            except UnicodeDecodeError:
                raise _unreadable() from None
    if "\x00" in text:
        # Windows-1258 decodes almost any bytes; a NUL says they were never text (an image, a PDF).
        raise _not_a_table()
    # Windows-1258 (and some Mac software) writes tone marks as combining characters.
    return unicodedata.normalize("NFC", text), encoding


def _csv_rows(text: str):
    sample = text[:8192]
    delimiter = max(_DELIMITERS, key=sample.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', skipinitialspace=True)
    rows = []
    try:
        for row in reader:
            rows.append((len(rows) + 1, [cell.strip() for cell in row]))
    except csv.Error:
        raise ValidationError(
            _("Dòng %(line)d: không đọc được dòng này (một ô quá dài, hoặc thiếu dấu ngoặc kép đóng).")
            % {"line": len(rows) + 1},
            code="invalid_row",
        ) from None
    return rows


# --- XLSX -------------------------------------------------------------------------------------


def _xlsx_rows(content: bytes):
    import openpyxl  # loaded when a workbook comes, not by every process that imports this module

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_a_table() from None
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("Tệp Excel quá lớn (hơn %(megabytes)d MB khi giải nén): hãy chia thành nhiều tệp.")
            % {"megabytes": XLSX_MAX_UNPACKED_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - a ZIP that is no workbook: KeyError, ValueError, XML errors…
        raise _not_a_table() from None
    try:
        if not workbook.worksheets:
            raise _not_a_table()
        sheet = workbook.worksheets[0]
        # The stored dimension is wrong in files from some programs and would cut rows off.
        sheet.reset_dimensions()
        return [
            (number, [_xlsx_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - whatever a sheet whose XML breaks half-way makes openpyxl raise
        raise ValidationError(
            _("Không đọc được tệp Excel (tệp bị hỏng): hãy mở trong Excel và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."),
            code="not_a_table",
        ) from None
    finally:
        workbook.close()


def _xlsx_text(value) -> str:
    """A cell as the text Excel writes for it in a CSV (the importers parse that text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, bool):  # before int: a bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Every number in a workbook is a float: 5000000 dong is 5000000.0, and must not become "5000000.0".
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, datetime.time):
        return f"{value:%H:%M:%S}"
    return str(value).strip()

"""Files as Excel and Windows write them, built inside the tests (no fixtures on disk).

- `cp1258_bytes`: text in Windows-1258, the "CSV" a Vietnamese Windows saves: a precomposed letter
  where the code page has one (ư, ơ, đ, ê, ă …), else the base letter and a combining tone mark
  (ế is ê + U+0301), which Python's codec alone refuses to encode.
- `xlsx_bytes`: a workbook made with openpyxl, cells typed as a person types them in Excel
  (numbers as numbers, dates as dates, empty cells as None).
"""

import io
import unicodedata

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
            letter = unicodedata.normalize("NFC", "".join(mark for mark in decomposed if mark not in tones))
            out += (letter + tones).encode("cp1258")
    return out


def xlsx_bytes(rows, *, more_sheets=()) -> bytes:
    """A workbook whose first sheet holds `rows` (row 1 first); `more_sheets` are further sheets' rows."""
    import openpyxl

    workbook = openpyxl.Workbook()
    for index, sheet_rows in enumerate([rows, *more_sheets]):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        for row in sheet_rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

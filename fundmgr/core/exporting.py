"""The exporter registry and the file writers: every report of the product is a generator of rows.

An exporter is declared once, by the app whose data it reads, in its `AppConfig.ready()`:

    register(Exporter(
        name="receipts_register", title=_("Sổ đăng ký phiếu thu"), domain=Domain.MONEY,
        columns=(Column(_("Số phiếu")), Column(_("Ngày"), "date"), Column(_("Số tiền"), "amount")),
        rows=receipts_register_rows, form=ReceiptsRegisterForm,
    ))

`rows(request)` yields one sequence per row, in the order of `columns`, reading only the units in
`request.unit_ids` (None: every unit, the system itself); it must stream (batches by primary key,
`.iterator()`), never build the whole list. The same rows feed `write_csv` and `write_xlsx`, so a
CSV and an XLSX of one report hold the same cells.

A report that names people whose every look is logged (children: `docs/students.md`) adds the id
of each record it names to `request.shown` as it yields the row, and declares `views_record`: the
runner calls `views_record(request, run_id=...)` once the file is written, in a write transaction
(the rows themselves are read in a READ ONLY snapshot, where nothing can be logged), and the app
writes its view rows there. Nothing is logged for a file that was not written.

The registry is in the kernel so that the arrows point one way: features register here, the
reports app (`fundmgr.reports`: runs, jobs, the admin page, `manage.py report`) reads from here,
and no feature imports reports. Who may run an exporter is the reports app's question: it asks
the capability table for `Action.EXPORT` in the exporter's `domain`, per unit.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO

from .pdf_report import pdf_table
from .spreadsheet import spreadsheet_safe

# Column kinds: how a cell is written.
TEXT = "text"  # people's text: escaped so that a spreadsheet never runs it
EXACT = "exact"  # text written byte for byte (a memo a hash covers, a hash); never escaped
AMOUNT = "amount"  # whole dong: a number; XLSX shows it as #,##0; totalled in the manifest
INTEGER = "integer"  # a count or an id: a number
DATE = "date"  # ISO 8601 (2026-02-17) in CSV, a date cell in XLSX
KINDS = (TEXT, EXACT, AMOUNT, INTEGER, DATE)


@dataclasses.dataclass(frozen=True)
class Column:
    label: Any  # a (lazy) Vietnamese label: the header cell
    kind: str = TEXT
    # The manifest records the value of this column in the last row (the ledger's last hash).
    last_in_manifest: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclasses.dataclass(frozen=True)
class ExportRequest:
    """What an exporter is asked for: the parameters (its form's cleaned data) and the scope."""

    params: dict
    unit_ids: frozenset[int] | None = None  # the units whose rows may be read; None: all
    personal: bool = False  # may personal data (children's names) be shown unmasked
    user: Any = None
    # The ids of the records the rows named, filled by the rows as they are written (see the module's
    # docstring): read by the exporter's `views_record` after the file is written.
    shown: set = dataclasses.field(default_factory=set, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Exporter:
    name: str  # stable, ASCII: "general_journal" (the command's KIND, the run's kind)
    title: Any
    domain: str  # the capability domain whose EXPORT right runs it ("ledger", "money", "awards")
    columns: tuple[Column, ...] | Callable[[ExportRequest], tuple[Column, ...]]
    rows: Callable[[ExportRequest], Iterable[Sequence]]
    form: type | None = None  # a django Form class for the parameters (none: no parameters)
    count: Callable[[ExportRequest], int] | None = None  # how many rows, for the progress bar
    description: Any = ""
    # Runs that read one consistent snapshot of the database (a REPEATABLE READ transaction on
    # PostgreSQL): the ledger's books, whose totals must agree with the ledger at one moment.
    snapshot: bool = True
    # Writers of its own for some formats, faster than the generic ones but writing the same bytes
    # and manifest: {"csv": writer(request, target, *, progress, every) -> Manifest | None}; a
    # writer returns None where it does not apply (the general journal's COPY off PostgreSQL).
    # `export_write` picks them.
    fast_writers: dict = dataclasses.field(default_factory=dict)
    # May it be written as PDF: only short statements (a PDF is laid out in memory), see pdf_report.
    pdf: bool = False
    # The chart of its PDF: pdf_chart(request) -> a chart's data (pdf_report's docstring) or None.
    pdf_chart: Callable[[ExportRequest], dict | None] | None = None
    # Log who saw the records the file names: views_record(request, run_id=<the run's id, None for
    # the system's export>) -> rows logged, called by the runner after the file is written, in the
    # transaction that records it done; `request.shown` holds the ids the rows named.
    views_record: Callable[..., int] | None = None

    def columns_for(self, request: ExportRequest) -> tuple[Column, ...]:
        return self.columns(request) if callable(self.columns) else self.columns


_exporters: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    if exporter.name in _exporters and _exporters[exporter.name] is not exporter:
        raise ValueError(f"two exporters are named {exporter.name!r}")
    _exporters[exporter.name] = exporter
    return exporter


def exporter_get(name: str) -> Exporter:
    """The exporter named `name`; KeyError when there is none."""
    return _exporters[name]


def exporters() -> list[Exporter]:
    return sorted(_exporters.values(), key=lambda exporter: exporter.name)


# --- writing ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class Manifest:
    """What a file holds, to be checked against it: rows, totals of the amount columns, the SHA-256."""

    rows: int = 0
    totals: dict[str, int] = dataclasses.field(default_factory=dict)
    last: dict[str, str] = dataclasses.field(default_factory=dict)
    sha256: str = ""
    size: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _HashingWriter(io.RawIOBase):
    """A binary file that hashes and counts what goes through it."""

    def __init__(self, target: BinaryIO):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _text_cell(value, kind: str):
    if value is None:
        return ""
    if kind == TEXT:
        return spreadsheet_safe(str(value))
    if kind == DATE and isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Tally:
    def __init__(self, columns: Sequence[Column], manifest: Manifest, progress, every: int):
        self.amounts = [(index, str(column.label)) for index, column in enumerate(columns) if column.kind == AMOUNT]
        self.lasts = [(index, str(column.label)) for index, column in enumerate(columns) if column.last_in_manifest]
        self.manifest, self.progress, self.every = manifest, progress, every
        for _index, label in self.amounts:
            manifest.totals[label] = 0

    def count(self, row: Sequence) -> None:
        manifest = self.manifest
        manifest.rows += 1
        for index, label in self.amounts:
            if row[index] is not None:
                manifest.totals[label] += row[index]
        if self.progress is not None and manifest.rows % self.every == 0:
            self.progress(manifest.rows)

    def finish(self, last_row: Sequence | None) -> None:
        if last_row is not None:
            for index, label in self.lasts:
                self.manifest.last[label] = "" if last_row[index] is None else str(last_row[index])
        if self.progress is not None:
            self.progress(self.manifest.rows)


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence], target: BinaryIO, *, progress=None,
              every: int = 5000) -> Manifest:
    """Write a UTF-8 CSV with a BOM (Excel then reads Vietnamese right) and return its manifest.

    `progress(rows_done)` is called every `every` rows and at the end.
    """
    manifest = Manifest()
    sink = _HashingWriter(target)
    text = io.TextIOWrapper(io.BufferedWriter(sink, buffer_size=1 << 16), encoding="utf-8", newline="", write_through=False)
    tally = _Tally(columns, manifest, progress, every)
    kinds = [column.kind for column in columns]
    writer = csv.writer(text)
    text.write("\ufeff")
    writer.writerow([spreadsheet_safe(str(column.label)) for column in columns])
    last = None
    for row in rows:
        writer.writerow([_text_cell(value, kind) for value, kind in zip(row, kinds, strict=True)])
        tally.count(row)
        last = row
    text.flush()
    text.detach().flush()
    tally.finish(last)
    manifest.sha256, manifest.size = sink.digest.hexdigest(), sink.size
    return manifest


def write_xlsx(columns: Sequence[Column], rows: Iterable[Sequence], target: BinaryIO, *, title: str = "Báo cáo",
               progress=None, every: int = 5000) -> Manifest:
    """Write an XLSX workbook (openpyxl write-only: rows stream to disk) and return its manifest.

    Amounts are numbers shown as `#,##0`, dates are date cells, people's text is escaped.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    manifest = Manifest()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=spreadsheet_safe(str(column.label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    tally = _Tally(columns, manifest, progress, every)
    formats = {AMOUNT: "#,##0", INTEGER: "0", DATE: "yyyy-mm-dd"}
    kinds = [column.kind for column in columns]
    # One formatted cell per number or date column, reused row after row: a write-only sheet writes
    # a row out when it is appended, and a new styled cell for every value cost a third of the time.
    reused = {}
    for index, kind in enumerate(kinds):
        if kind in formats:
            reused[index] = WriteOnlyCell(sheet)
            reused[index].number_format = formats[kind]
    last = None
    for row in rows:
        cells = []
        for index, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            if value is None:
                cells.append("")
            elif index in reused:
                cell = reused[index]
                cell.value = value
                cells.append(cell)
            elif kind == TEXT:
                cells.append(spreadsheet_safe(str(value)))
            elif kind == EXACT and isinstance(value, str) and value[:1] in ("=", "#"):
                # Written byte for byte, but as text: openpyxl would make "=..." a formula and
                # "#N/A" an error cell (an EXACT memo is anybody's text: a donor's name).
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        tally.count(row)
        last = row
    sink = _HashingWriter(target)
    workbook.save(sink)
    tally.finish(last)
    manifest.sha256, manifest.size = sink.digest.hexdigest(), sink.size
    return manifest


def write_pdf(columns: Sequence[Column], rows: Iterable[Sequence], target: BinaryIO, *, title: str = "Báo cáo",
              progress=None, every: int = 5000, chart: dict | None = None) -> Manifest:
    """Write an A4 PDF table (`pdf_report.pdf_table`, with `chart` above it) and return its manifest.

    Amounts as `1.250.000` (the grouping of `format_vnd`, without a ₫ in every cell), dates ISO.
    """
    manifest = Manifest()
    tally = _Tally(columns, manifest, progress, every)
    kinds = [column.kind for column in columns]
    body, last = [], None
    for row in rows:
        body.append([_pdf_cell(value, kind) for value, kind in zip(row, kinds, strict=True)])
        tally.count(row)
        last = row
    tally.finish(last)
    right = [index for index, kind in enumerate(kinds) if kind in (AMOUNT, INTEGER)]
    sink = _HashingWriter(target)
    sink.write(pdf_table([str(column.label) for column in columns], body, right=right, title=title, chart=chart))
    manifest.sha256, manifest.size = sink.digest.hexdigest(), sink.size
    return manifest


def _pdf_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == AMOUNT:
        return f"{value:,}".replace(",", ".")
    if kind == DATE and isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
HashingWriter = _HashingWriter  # for an exporter's fast writer, which must hash the file the same way


class FormatRefused(ValueError):
    """The exporter cannot be written in this format (PDF of a long report)."""


def format_allowed(exporter: Exporter, file_format: str) -> bool:
    return file_format in WRITERS and (file_format != "pdf" or exporter.pdf)


def formats_allowed(exporter: Exporter) -> list[str]:
    return [file_format for file_format in WRITERS if format_allowed(exporter, file_format)]


def export_write(exporter: Exporter, request: ExportRequest, file_format: str, target: BinaryIO, *,
                 progress=None, every: int = 5000, **options) -> Manifest:
    """Write `exporter`'s rows for `request` as `file_format` ("csv", "xlsx", "pdf") into `target`.

    FormatRefused for a PDF of an exporter without `pdf=True`; a PDF gets the exporter's chart.

    The exporter's own writer for the format when it has one that applies here, else the generic
    writer over its rows (with `options`, e.g. the XLSX sheet's `title`): both give the same bytes
    and the same manifest.
    """
    if not format_allowed(exporter, file_format):
        raise FormatRefused(f"{exporter.name} cannot be written as {file_format!r}")
    if file_format == "pdf" and exporter.pdf_chart is not None:
        options["chart"] = exporter.pdf_chart(request)
    fast = exporter.fast_writers.get(file_format)
    if fast is not None:
        manifest = fast(request, target, progress=progress, every=every)
        if manifest is not None:
            return manifest
    return WRITERS[file_format](exporter.columns_for(request), exporter.rows(request), target, progress=progress,
                                every=every, **options)

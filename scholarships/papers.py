"""The papers of a scholarship payment: the payment voucher (phiếu chi), the signature list, the certificate.

- **Phiếu chi**, Mẫu số 02-TT (Thông tư 200/2014/TT-BTC, also 133/2016): the unit and its address
  top left, the form's number top right; "PHIẾU CHI" with its date; book, number and the accounts
  (Nợ 611 scholarship expense, Có 111 cash or 112 bank); the person who receives the money (the
  student, or the parent or guardian who receives for a minor), the student, the address, the
  reason, the amount in figures and in words, the attached documents; five signatures (head of
  the unit, chief accountant, cashier, the person who drew it up, the person who received the
  money) and "Đã nhận đủ số tiền (viết bằng chữ)". A reversed voucher carries the red stamp
  "ĐÃ HỦY / HOÀN" with the reversal's date and reason. A5 landscape (default) or A4 portrait.
- **Danh sách ký nhận** (signature list) of a program's payments in a unit, for a ceremony:
  A4 landscape, one row per payment (STT, student, school, class, guardian, amount in figures
  and in words, a box to sign), "Cộng trang" under each page's rows, the grand total in figures
  and in words on the last page, then the signatures.

- **Giấy chứng nhận** (award certificate), one landscape page per award (A4, or A5): the awarding
  unit and the national motto, the title, the child's name, class and school, the program and the
  school year, the amount when asked for, the date and the head of the unit's signature block.

Everything printed comes from plain data (`VoucherDocument`, `SignatureListDocument`) that the
services build, already masked for the reader (`services.papers`); this module reads no database.
The canvas is `invariant` (no timestamp, no random id): the same data gives the same bytes. The
form's pieces and the fonts are the kernel's (`fundmgr.core.pdf_form`, `pdf_report`), as the
receipt's.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.pdf_form import GREY, FormLayout, date_in_words, nfc
from fundmgr.core.pdf_report import BOLD, ITALIC, REGULAR, fonts_register

VOUCHER_PAGE_SIZES = {"A5": landscape(A5), "A4": A4}
VOUCHER_SIGNATURES = (
    ("Chủ tịch", "(Ký, họ tên, đóng dấu)"),
    ("Kế toán trưởng", "(Ký, họ tên)"),
    ("Thủ quỹ", "(Ký, họ tên)"),
    ("Người lập phiếu", "(Ký, họ tên)"),
    ("Người nhận tiền", "(Ký, họ tên)"),
)
DRAWN_UP_BY, RECEIVED_BY = 3, 4  # the columns of VOUCHER_SIGNATURES that print a name
LIST_SIGNATURES = (
    ("Người lập danh sách", "(Ký, họ tên)"),
    ("Kế toán trưởng", "(Ký, họ tên)"),
    ("Thủ quỹ", "(Ký, họ tên)"),
    ("Chủ tịch", "(Ký, họ tên, đóng dấu)"),
)
REVERSED_STAMP = "ĐÃ HỦY / HOÀN"


def _canvas(buffer, page, *, title: str, author: str, subject: str) -> Canvas:
    # The initial font is ours too: otherwise reportlab names Helvetica in every page (unembedded).
    canvas = Canvas(buffer, pagesize=page, invariant=1, pageCompression=1, initialFontName=REGULAR, initialFontSize=10)
    canvas.setTitle(nfc(title))
    canvas.setAuthor(nfc(author))
    canvas.setSubject(subject)
    return canvas


# --- the payment voucher ------------------------------------------------------------------------------

@dataclass(frozen=True)
class VoucherDocument:
    unit_name: str
    unit_address: str
    number: str
    book: str
    paid_on: datetime.date
    debit_account: str
    credit_account: str
    recipient_name: str
    student_line: str  # "Lò Thị Mai (HS-000001), lớp 7, Trường THCS Lam Sơn"
    guardian_name: str
    address: str
    reason: str
    amount: int
    attached_documents: str
    drawn_up_by: str
    method_label: str
    recorded_at: datetime.datetime
    reversed_on: datetime.date | None = None
    reversal_reason: str = ""


def voucher_pdf_render(document: VoucherDocument, *, page_size: str = "A5") -> bytes:
    """The PDF of one payment voucher, as bytes."""
    fonts_register()
    page_size = (page_size or "A5").upper()
    if page_size not in VOUCHER_PAGE_SIZES:
        raise ValueError(f"unknown voucher page size {page_size!r}; one of {sorted(VOUCHER_PAGE_SIZES)}")
    buffer = io.BytesIO()
    canvas = _canvas(
        buffer, VOUCHER_PAGE_SIZES[page_size], title=f"Phiếu chi {document.number}", author=document.unit_name,
        subject="Phiếu chi (Mẫu số 02-TT)",
    )
    _VoucherLayout(canvas, VOUCHER_PAGE_SIZES[page_size], large=page_size == "A4").draw(document)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _VoucherLayout(FormLayout):
    def __init__(self, canvas, page, *, large):
        super().__init__(canvas, page, large=large)
        if not large:
            # A5 holds two more lines than the receipt (the student and the guardian): a little tighter.
            self.leading = 5.1 * mm
            self.gap = 1.6 * mm

    def draw(self, doc: VoucherDocument):
        top = self.y
        self.unit_header(doc.unit_name, doc.unit_address, "Mẫu số 02 - TT")
        self.title_block("PHIẾU CHI", doc.paid_on, (
            ("Quyển số:", doc.book), ("Số:", doc.number), ("Nợ:", doc.debit_account), ("Có:", doc.credit_account),
        ))
        self.field("Họ và tên người nhận tiền:", doc.recipient_name)
        self.field("Học sinh được nhận:", doc.student_line, value_font=REGULAR)
        self.field("Cha, mẹ hoặc người giám hộ:", doc.guardian_name, value_font=REGULAR)
        self.field("Địa chỉ:", doc.address, value_font=REGULAR)
        self.field("Lý do chi:", doc.reason, value_font=REGULAR)
        self.field("Số tiền:", format_vnd(doc.amount))
        self.field("(Viết bằng chữ):", vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)
        self.attachments(doc.attached_documents)
        self.signature_row(doc.paid_on, VOUCHER_SIGNATURES, {DRAWN_UP_BY: doc.drawn_up_by, RECEIVED_BY: doc.recipient_name})
        self.field("Đã nhận đủ số tiền (viết bằng chữ):", vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)
        self.footer(doc)
        if doc.reversed_on is not None:
            when = doc.reversed_on.strftime("%d/%m/%Y")
            self.stamp(
                big=REVERSED_STAMP, big_size=40, center_y=(top + self.y) / 2,
                lines=[*self.stamp_reason_lines("Lý do: ", doc.reversal_reason), f"Ngày hủy / hoàn: {when}"],
            )
            self.foot_note(f"PHIẾU CHI ĐÃ HỦY / HOÀN {when} – Lý do: {doc.reversal_reason}", y=self.MARGIN * 0.6 + 16)

    def footer(self, doc: VoucherDocument):
        canvas = self.canvas
        y = self.MARGIN * 0.6
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.3)
        canvas.line(self.left, y + 9, self.right, y + 9)
        canvas.restoreState()
        self.text(
            self.right, y, f"Phiếu chi số {doc.number} · {doc.method_label} · lập lúc "
            f"{doc.recorded_at.strftime('%H:%M %d/%m/%Y')}", size=self.size - 2.5, align="right", color=GREY,
        )


# --- the signature list -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignatureRow:
    student_name: str
    student_code: str
    school: str
    grade: str
    guardian_name: str
    amount: int
    voucher_number: str


@dataclass(frozen=True)
class SignatureListDocument:
    unit_name: str  # the paying unit (top left)
    unit_address: str
    program_line: str  # "Nâng cánh ước mơ (NCUM-2026), năm học 2026-2027"
    ceremony_unit: str  # the unit whose students are listed
    day: datetime.date
    rows: Sequence[SignatureRow]

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)


LIST_PAGE = landscape(A4)
_MARGIN = 12 * mm
_ROW_HEIGHT = 11 * mm
_HEADER_HEIGHT = 11 * mm  # the table's column titles
_TOTAL_HEIGHT = 8 * mm  # one "Cộng trang" or "Tổng cộng" row
_FIRST_PAGE_TOP = 44 * mm  # the unit, the title, the program, the unit of the ceremony, the date
_NEXT_PAGE_TOP = 12 * mm
_CLOSING_HEIGHT = 52 * mm  # "Tổng cộng", the total in words, the date and the signatures
_CARRIED_ROWS = 2  # rows moved onto the closing page when it needs one: a total never stands alone
_COLUMNS = (  # (title, width)
    ("STT", 11 * mm),
    ("Họ và tên học sinh", 44 * mm),
    ("Trường", 46 * mm),
    ("Lớp", 11 * mm),
    ("Cha, mẹ hoặc người giám hộ", 36 * mm),
    ("Số tiền", 27 * mm),
    ("Số tiền bằng chữ", 57 * mm),
    ("Ký nhận", 41 * mm),
)
_AMOUNT_COLUMN = 5


def signature_pages(row_count: int) -> list[tuple[int, int]]:
    """Which rows go on which page: [(first, end), ...]; the last page has room for the closing.

    Fixed row heights make the layout arithmetic: the first page holds fewer rows (the heading),
    and when the last page cannot also hold the grand total and the signatures, they go on a new
    page with the last rows carried over (so the total is never alone on its page); a list of one
    row that does not fit (it cannot happen on A4) would put the closing on a page of its own.
    """
    usable = LIST_PAGE[1] - 2 * _MARGIN - _HEADER_HEIGHT - _TOTAL_HEIGHT
    capacity = [int((usable - _FIRST_PAGE_TOP) // _ROW_HEIGHT), int((usable - _NEXT_PAGE_TOP) // _ROW_HEIGHT)]
    pages, start = [], 0
    while start < row_count or not pages:
        room = capacity[0 if not pages else 1]
        end = min(row_count, start + room)
        pages.append((start, end))
        start = end
    first, end = pages[-1]
    top = _FIRST_PAGE_TOP if len(pages) == 1 else _NEXT_PAGE_TOP
    used = top + _HEADER_HEIGHT + (end - first) * _ROW_HEIGHT + _TOTAL_HEIGHT
    if used + _CLOSING_HEIGHT > LIST_PAGE[1] - 2 * _MARGIN:
        carried = min(_CARRIED_ROWS, end - first - 1) if end - first > 1 else 0
        pages[-1] = (first, end - carried)
        pages.append((end - carried, end))
    return pages


def signature_list_pdf_render(document: SignatureListDocument) -> bytes:
    """The PDF of a signature list, as bytes (see the module's docstring)."""
    fonts_register()
    buffer = io.BytesIO()
    canvas = _canvas(
        buffer, LIST_PAGE, title=f"Danh sách ký nhận – {document.program_line}", author=document.unit_name,
        subject="Danh sách ký nhận học bổng",
    )
    pages = signature_pages(len(document.rows))
    for page_index, (first, end) in enumerate(pages):
        y = LIST_PAGE[1] - _MARGIN
        y = _list_heading(canvas, document, y) if page_index == 0 else _list_running_head(canvas, document, y)
        rows = document.rows[first:end]
        if rows or first == end == 0:
            y = _list_table(canvas, rows, first, y)
        if page_index == len(pages) - 1:
            _list_closing(canvas, document, y)
        _page_number(canvas, page_index + 1, len(pages))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _list_heading(canvas: Canvas, doc: SignatureListDocument, y: float) -> float:
    layout = FormLayout(canvas, LIST_PAGE, large=True)
    layout.y = y - layout.size
    layout.text(layout.left, layout.y, nfc(doc.unit_name).upper(), font=BOLD)
    layout.text(layout.left, layout.y - layout.leading * 0.7, doc.unit_address, size=layout.size - 1.5)
    center = LIST_PAGE[0] / 2
    layout.text(center, layout.y - layout.leading * 1.7, "DANH SÁCH KÝ NHẬN HỌC BỔNG", font=BOLD, size=15, align="center")
    layout.text(center, layout.y - layout.leading * 2.6, f"Chương trình: {doc.program_line}", align="center")
    layout.text(center, layout.y - layout.leading * 3.4, f"Đơn vị nhận: {doc.ceremony_unit}", align="center")
    layout.text(center, layout.y - layout.leading * 4.2, date_in_words(doc.day), font=ITALIC, align="center")
    return y - _FIRST_PAGE_TOP


def _list_running_head(canvas: Canvas, doc: SignatureListDocument, y: float) -> float:
    layout = FormLayout(canvas, LIST_PAGE, large=True)
    layout.text(
        layout.left, y - layout.size, f"Danh sách ký nhận học bổng – {doc.program_line} – {doc.ceremony_unit} (tiếp theo)",
        font=ITALIC, size=layout.size - 1.5, color=GREY,
    )
    return y - _NEXT_PAGE_TOP


_CELL = ParagraphStyle("cell", fontName=REGULAR, fontSize=8, leading=9.6)
_CELL_SMALL = ParagraphStyle("cell_small", parent=_CELL, fontSize=7, leading=8.4, textColor=GREY)
_HEAD = ParagraphStyle("head", parent=_CELL, fontName=BOLD, alignment=1)


def _paragraph(text: str, style=_CELL) -> Paragraph:
    return Paragraph(nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)


def _list_table(canvas: Canvas, rows: Sequence[SignatureRow], first: int, y: float) -> float:
    """The rows `first`… of the list as a table topped at `y`, with the page's subtotal; the new y."""
    data = [[_paragraph(title, _HEAD) for title, _width in _COLUMNS]]
    for offset, row in enumerate(rows):
        data.append([
            str(first + offset + 1),
            [_paragraph(row.student_name), _paragraph(f"{row.student_code} · {row.voucher_number}", _CELL_SMALL)],
            _paragraph(row.school),
            row.grade,
            _paragraph(row.guardian_name),
            format_vnd(row.amount),
            _paragraph(vnd_in_words(row.amount)),
            "",
        ])
    subtotal = sum(row.amount for row in rows)
    data.append(["", _paragraph("Cộng trang", ParagraphStyle("sum", parent=_CELL, fontName=BOLD)), "", "", "",
                 format_vnd(subtotal), "", ""])
    heights = [_HEADER_HEIGHT] + [_ROW_HEIGHT] * len(rows) + [_TOTAL_HEIGHT]
    table = Table(data, colWidths=[width for _title, width in _COLUMNS], rowHeights=heights)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), REGULAR, 8),
        ("FONT", (0, -1), (-1, -1), BOLD, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (3, 1), (3, -1), "CENTER"),
        ("ALIGN", (_AMOUNT_COLUMN, 1), (_AMOUNT_COLUMN, -1), "RIGHT"),
        ("SPAN", (1, -1), (4, -1)),
    ]))
    _width, height = table.wrapOn(canvas, LIST_PAGE[0] - 2 * _MARGIN, y)
    table.drawOn(canvas, _MARGIN, y - height)
    return y - height


def _list_closing(canvas: Canvas, doc: SignatureListDocument, y: float) -> None:
    total = Table(
        [["", _paragraph("Tổng cộng", ParagraphStyle("total", parent=_CELL, fontName=BOLD)), "", "", "",
          format_vnd(doc.total), "", ""]],
        colWidths=[width for _title, width in _COLUMNS], rowHeights=[_TOTAL_HEIGHT],
    )
    total.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), BOLD, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.93, 0.93, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (_AMOUNT_COLUMN, 0), (_AMOUNT_COLUMN, 0), "RIGHT"),
        ("SPAN", (1, 0), (4, 0)),
    ]))
    _width, height = total.wrapOn(canvas, LIST_PAGE[0] - 2 * _MARGIN, y)
    total.drawOn(canvas, _MARGIN, y - height)
    layout = FormLayout(canvas, LIST_PAGE, large=True)
    layout.y = y - height - layout.leading * 0.9
    layout.field(
        f"Tổng số tiền ({len(doc.rows)} suất), viết bằng chữ:", vnd_in_words(doc.total, round_suffix=True),
        value_font=ITALIC,
    )
    layout.y -= layout.leading * 0.2
    layout.signature_row(doc.day, LIST_SIGNATURES, {}, space=layout.leading * 2.6)


def _page_number(canvas: Canvas, number: int, count: int) -> None:
    canvas.saveState()
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(GREY)
    canvas.drawRightString(LIST_PAGE[0] - _MARGIN, _MARGIN * 0.5, f"Trang {number}/{count}")
    canvas.restoreState()


# --- the award certificate ------------------------------------------------------------------------------

CERTIFICATE_PAGE_SIZES = {"A4": landscape(A4), "A5": landscape(A5)}
CERTIFICATE_RED = colors.Color(0.65, 0.08, 0.08)


@dataclass(frozen=True)
class Certificate:
    """One page: what a giấy chứng nhận prints (already masked for the reader by the service)."""

    unit_name: str  # the program's unit, which awards it
    student_name: str
    student_code: str
    class_line: str  # "học sinh lớp 7, Trường THCS Lam Sơn"
    program_name: str
    school_year: str
    number: str  # "GCN-HB-000012"
    day: datetime.date
    place: str = ""  # "Thanh Hóa", before the date
    amount: int | None = None  # printed only when given
    signer_title: str = "CHỦ TỊCH"


def certificates_pdf_render(certificates: Sequence[Certificate], *, page_size: str = "A4") -> bytes:
    """The certificates as one PDF, a landscape page each (A4 by default, or A5)."""
    fonts_register()
    page_size = (page_size or "A4").upper()
    if page_size not in CERTIFICATE_PAGE_SIZES:
        raise ValueError(f"unknown certificate page size {page_size!r}; one of {sorted(CERTIFICATE_PAGE_SIZES)}")
    page = CERTIFICATE_PAGE_SIZES[page_size]
    buffer = io.BytesIO()
    author = certificates[0].unit_name if certificates else ""
    canvas = _canvas(buffer, page, title="Giấy chứng nhận học bổng", author=author, subject="Giấy chứng nhận học bổng")
    for certificate in certificates:
        _certificate_page(canvas, page, certificate)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _certificate_page(canvas: Canvas, page, doc: Certificate) -> None:
    width, height = page
    scale = width / landscape(A4)[0]  # A5 is the same page at 0.71
    layout = FormLayout(canvas, page, large=True)
    margin = 10 * mm * scale
    canvas.saveState()
    canvas.setStrokeColor(CERTIFICATE_RED)
    canvas.setLineWidth(2.5 * scale)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    canvas.setLineWidth(0.8 * scale)
    inner = margin + 2.5 * mm * scale
    canvas.rect(inner, inner, width - 2 * inner, height - 2 * inner)
    canvas.restoreState()

    def line(y_mm: float, text: str, *, font=REGULAR, size: float = 13, x=None, align="center", color=colors.black):
        layout.text(width / 2 if x is None else x, height - y_mm * mm * scale, text, font=font, size=size * scale,
                    align=align, color=color)

    left, right = width * 0.24, width * 0.72
    line(24, nfc(doc.unit_name).upper(), font=BOLD, size=11.5, x=left)
    line(29.5, "———————", size=9, x=left)
    line(24, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=BOLD, size=11.5, x=right)
    line(29.5, "Độc lập – Tự do – Hạnh phúc", font=BOLD, size=11.5, x=right)
    line(35, f"Số: {doc.number}", size=9.5, x=left, color=GREY)
    line(58, "GIẤY CHỨNG NHẬN", font=BOLD, size=34, color=CERTIFICATE_RED)
    line(68, "HỌC BỔNG KHUYẾN HỌC", font=BOLD, size=15, color=CERTIFICATE_RED)
    line(84, f"{doc.unit_name} chứng nhận em", font=ITALIC, size=13)
    line(101, doc.student_name, font=BOLD, size=26)
    line(111, f"({doc.student_code}) {doc.class_line}", size=12)
    line(124, f"đã được nhận học bổng “{doc.program_name}” năm học {doc.school_year}", size=14)
    if doc.amount is not None:
        line(134, f"Trị giá: {format_vnd(doc.amount)} ({vnd_in_words(doc.amount, round_suffix=True)})", size=12)
    line(145, "vì đã có thành tích vượt khó, học tốt. Chúc em chăm ngoan, tiếp tục tiến bộ!", font=ITALIC, size=12)
    when = date_in_words(doc.day)
    place = f"{doc.place}, {when[0].lower()}{when[1:]}" if doc.place else when
    line(160, place, font=ITALIC, size=11.5, x=right)
    line(167, f"TM. {nfc(doc.unit_name).upper()}", font=BOLD, size=10.5, x=right)
    line(173, doc.signer_title, font=BOLD, size=11.5, x=right)
    line(179, "(Ký, họ tên, đóng dấu)", font=ITALIC, size=9.5, x=right, color=GREY)

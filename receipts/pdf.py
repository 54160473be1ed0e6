"""The receipt PDF, laid out like the Vietnamese cash receipt Mẫu số 01-TT (phiếu thu).

The form (Thông tư 200/2014/TT-BTC, also 133/2016): the unit and its address top left, the
form's number top right; "PHIẾU THU" with its date; book number, receipt number and the
debit/credit accounts (Nợ/Có); the payer's name and address, the reason, the amount in figures
and in words, the attached source documents; the date again and five signatures (head of the
unit, chief accountant, payer, the person who drew up the receipt, cashier); and "Đã nhận đủ số
tiền (viết bằng chữ)". Ours adds a footer with the receipt's verification code.

Everything printed comes from a `ReceiptDocument` (plain data, no database), built from the
frozen fields of a `Receipt` by `document_from_receipt`; so rendering twice gives the same
bytes (the canvas is `invariant`: no timestamp, no random document id). The text is drawn with
DejaVu Sans shipped in `fundmgr/core/fonts/` (never fonts of the machine), embedded as subsets with a
ToUnicode map: `pdftotext` reads the Vietnamese back.

Page sizes: "A5" (landscape, the usual half sheet of a receipt book) and "A4" (portrait, the
same width: the same layout with more air); the default is `settings.RECEIPT_PAGE_SIZE` or A5.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from donations.models import Payment
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.pdf_report import BOLD, ITALIC, REGULAR, fonts_register

PAGE_SIZES = {"A5": landscape(A5), "A4": A4}
GREY = Color(0.35, 0.35, 0.35)
VOID_RED = Color(0.8, 0.05, 0.05, alpha=0.6)



@dataclass(frozen=True)
class Wording:
    """What the document calls things. A gift in kind is not money handed to the cashier: its
    receipt must not say "người nộp tiền" or "Số tiền", nor carry the cash form's Mẫu 01-TT."""

    title: str
    form: tuple[str, str, str] | None  # the form's identification, top right
    payer: str
    reason: str
    amount: str
    received_in_words: str
    signatures: tuple[tuple[str, str], ...]


MONEY_WORDING = Wording(
    title="PHIẾU THU",
    form=("Mẫu số 01 - TT", "(Ban hành theo Thông tư số 200/2014/TT-BTC", "ngày 22/12/2014 của Bộ Tài chính)"),
    payer="Họ và tên người nộp tiền:",
    reason="Lý do nộp:",
    amount="Số tiền:",
    received_in_words="Đã nhận đủ số tiền (viết bằng chữ):",
    signatures=(
        ("Thủ trưởng đơn vị", "(Ký, họ tên, đóng dấu)"),
        ("Kế toán trưởng", "(Ký, họ tên)"),
        ("Người nộp tiền", "(Ký, họ tên)"),
        ("Người lập phiếu", "(Ký, họ tên)"),
        ("Thủ quỹ", "(Ký, họ tên)"),
    ),
)
_HEAD, _ACCOUNTANT, _PAYER, _PREPARER, _CASHIER = MONEY_WORDING.signatures
IN_KIND_WORDING = dataclasses.replace(
    MONEY_WORDING,
    title="BIÊN NHẬN HIỆN VẬT",
    form=None,
    payer="Họ và tên người trao hiện vật:",
    reason="Nội dung:",
    amount="Giá trị hiện vật:",
    received_in_words="Đã nhận đủ hiện vật trị giá (viết bằng chữ):",
    signatures=(_HEAD, _ACCOUNTANT, ("Người trao hiện vật", _PAYER[1]), _PREPARER, ("Người nhận hiện vật", _CASHIER[1])),
)


@dataclass(frozen=True)
class ReceiptDocument:
    unit_name: str
    unit_address: str
    number: str
    book: str
    receipt_date: datetime.date
    debit_account: str
    credit_account: str
    payer_name: str
    payer_address: str
    reason: str
    amount: int
    attached_documents: str
    issued_by_name: str
    verification_code: str
    issued_at: datetime.datetime
    payment_method_label: str
    in_kind: bool = False
    voided: bool = False
    void_reason: str = ""
    voided_at: datetime.datetime | None = None


def document_from_receipt(receipt) -> ReceiptDocument:
    """What the PDF prints, from the receipt's frozen copy (the issuer's name is read live)."""
    issued_by = receipt.issued_by if receipt.issued_by_id else None
    return ReceiptDocument(
        unit_name=receipt.unit_name,
        unit_address=receipt.unit_address,
        number=receipt.number,
        book=str(receipt.year),
        receipt_date=receipt.receipt_date,
        debit_account=receipt.debit_account,
        credit_account=receipt.credit_account,
        payer_name=receipt.payer_name,
        payer_address=receipt.payer_address,
        reason=receipt.reason,
        amount=receipt.amount,
        attached_documents=receipt.attached_documents,
        issued_by_name=(issued_by.get_full_name() or issued_by.get_username()) if issued_by else "",
        verification_code=receipt.verification_code_display,
        issued_at=receipt.issued_at,
        payment_method_label=receipt.get_payment_method_display(),
        in_kind=receipt.payment_method == Payment.Method.IN_KIND,
        voided=receipt.is_voided,
        void_reason=receipt.void_reason,
        voided_at=receipt.voided_at,
    )


def _wording(doc: ReceiptDocument) -> Wording:
    return IN_KIND_WORDING if doc.in_kind else MONEY_WORDING


def date_in_words(day: datetime.date) -> str:
    """`Ngày 25 tháng 11 năm 2026` (as a receipt writes its date)."""
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def page_size_resolve(page_size: str | None) -> str:
    page_size = (page_size or getattr(settings, "RECEIPT_PAGE_SIZE", "A5")).upper()
    if page_size not in PAGE_SIZES:
        raise ValueError(f"unknown receipt page size {page_size!r}; one of {sorted(PAGE_SIZES)}")
    return page_size


def receipt_pdf_render(document: ReceiptDocument, *, page_size: str | None = None) -> bytes:
    """The PDF of one receipt, as bytes."""
    fonts_register()
    page_size = page_size_resolve(page_size)
    buffer = io.BytesIO()
    # The initial font is ours too: otherwise reportlab names Helvetica in every page (unembedded).
    canvas = Canvas(
        buffer, pagesize=PAGE_SIZES[page_size], invariant=1, pageCompression=1, initialFontName=REGULAR,
        initialFontSize=10,
    )
    canvas.setTitle(f"Phiếu thu {document.number}")
    canvas.setAuthor(_nfc(document.unit_name))
    canvas.setSubject("Phiếu thu (Mẫu số 01-TT)")
    _Layout(canvas, page_size).draw(document)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _nfc(text: str) -> str:
    # Vietnamese typed on some keyboards arrives decomposed (a + combining marks); the font has
    # the precomposed letters, and pdftotext gives back what was drawn.
    return unicodedata.normalize("NFC", text or "")


class _Layout:
    """Draws the form top-down; `self.y` is the baseline of the next line."""

    MARGIN = 10 * mm

    def __init__(self, canvas: Canvas, page_size: str):
        self.canvas = canvas
        self.width, self.height = PAGE_SIZES[page_size]
        large = page_size == "A4"
        self.size = 11 if large else 9.5
        self.leading = (7.2 if large else 5.6) * mm
        self.gap = (5 if large else 2.2) * mm
        self.left = self.MARGIN
        self.right = self.width - self.MARGIN
        self.y = self.height - self.MARGIN - self.size

    # --- primitives ---------------------------------------------------------------------------
    def text(self, x, y, text, font=REGULAR, size=None, align="left", color=black):
        canvas = self.canvas
        canvas.setFillColor(color)
        canvas.setFont(font, size or self.size)
        text = _nfc(text)
        if align == "center":
            canvas.drawCentredString(x, y, text)
        elif align == "right":
            canvas.drawRightString(x, y, text)
        else:
            canvas.drawString(x, y, text)

    def field(self, label: str, value: str, *, value_font=BOLD, dotted=True):
        """`label value`, the value wrapped onto following lines when long; dots when empty."""
        label = _nfc(label) + " "
        value = _nfc(value)
        label_width = pdfmetrics.stringWidth(label, REGULAR, self.size)
        self.text(self.left, self.y, label)
        x, available = self.left + label_width, self.right - self.left - label_width
        if not value and dotted:
            self._dots(x, self.y, self.right)
            self.y -= self.leading
            return
        for line in _wrap(value, value_font, self.size, available, self.right - self.left):
            self.text(x, self.y, line, font=value_font)
            self.y -= self.leading
            x = self.left

    def _dots(self, x0, y, x1):
        canvas = self.canvas
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.4)
        canvas.setDash(0.6, 1.8)
        canvas.line(x0, y - 1, x1, y - 1)
        canvas.restoreState()

    # --- the form -------------------------------------------------------------------------------
    def draw(self, doc: ReceiptDocument):
        top = self.y
        self.header(doc)
        self.title(doc)
        self.body(doc)
        self.signatures(doc)
        self.footer(doc)
        if doc.voided:
            self.void_stamp(doc, center_y=(top + self.y) / 2)
            # Also as a plain line, for readers and text extraction that skip rotated text.
            when = timezone.localtime(doc.voided_at).strftime("%d/%m/%Y") if doc.voided_at else ""
            self.text(
                self.left, self.MARGIN * 0.6 + 16, f"{_wording(doc).title} ĐÃ HỦY {when} – Lý do: {doc.void_reason}"[:150],
                font=BOLD, size=self.size - 1, color=Color(0.78, 0.1, 0.1),
            )

    def header(self, doc):
        top = self.y
        half = (self.right - self.left) * 0.58
        indent = max(pdfmetrics.stringWidth(label, REGULAR, self.size) for label in ("Đơn vị: ", "Địa chỉ: "))
        width = half - indent
        self.text(self.left, self.y, "Đơn vị:")
        for line in _wrap(_nfc(doc.unit_name), BOLD, self.size, width, width)[:2]:
            self.text(self.left + indent, self.y, line, font=BOLD)
            self.y -= self.leading * 0.8
        self.text(self.left, self.y, "Địa chỉ:")
        for line in _wrap(_nfc(doc.unit_address) or "…", REGULAR, self.size, width, width)[:2]:
            self.text(self.left + indent, self.y, line)
            self.y -= self.leading * 0.8
        # The form's identification, top right.
        center = self.right - 36 * mm
        small = self.size - 2
        form = _wording(doc).form
        if form:
            self.text(center, top, form[0], font=BOLD, align="center")
            self.text(center, top - small * 1.5, form[1], font=ITALIC, size=small, align="center")
            self.text(center, top - small * 2.8, form[2], font=ITALIC, size=small, align="center")
        self.y = min(self.y, top - small * 3.2) - self.gap

    def title(self, doc):
        center = self.width / 2
        title_size = self.size + 7
        self.y -= title_size * 0.6
        self.text(center, self.y, _wording(doc).title, font=BOLD, size=title_size, align="center")
        block_top = self.y
        self.y -= self.leading
        self.text(center, self.y, date_in_words(doc.receipt_date), font=ITALIC, align="center")
        # Book, number and accounts: a column at the right of the title.
        step = self.leading * 0.82
        rows = (("Quyển số:", doc.book), ("Số:", doc.number), ("Nợ:", doc.debit_account), ("Có:", doc.credit_account))
        label_width = max(pdfmetrics.stringWidth(label + "  ", REGULAR, self.size) for label, _value in rows)
        value_width = max(pdfmetrics.stringWidth(_nfc(value), BOLD, self.size) for _label, value in rows)
        x = self.right - label_width - max(value_width, 28 * mm)
        for offset, (label, value) in enumerate(rows):
            y = block_top - offset * step
            self.text(x, y, label)
            self.text(x + label_width, y, value, font=BOLD)
        self.y = min(self.y, block_top - 3 * step) - self.leading * 0.9 - self.gap * 0.5

    def body(self, doc):
        wording = _wording(doc)
        self.field(wording.payer, doc.payer_name)
        self.field("Địa chỉ:", doc.payer_address)
        self.field(wording.reason, doc.reason, value_font=REGULAR)
        self.field(wording.amount, format_vnd(doc.amount))
        self.field("(Viết bằng chữ):", vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)
        label = "Kèm theo:"
        attached = _nfc(doc.attached_documents)
        self.text(self.left, self.y, label)
        suffix = "chứng từ gốc."
        x = self.left + pdfmetrics.stringWidth(label + " ", REGULAR, self.size)
        if attached:
            self.text(x, self.y, attached + " – " + suffix)
        else:
            self._dots(x, self.y, x + 30 * mm)
            self.text(x + 31 * mm, self.y, suffix)
        self.y -= self.leading

    def signatures(self, doc):
        self.text(self.right - 2 * mm, self.y, date_in_words(doc.receipt_date), font=ITALIC, align="right")
        self.y -= self.leading * 0.9
        wording = _wording(doc)
        column = (self.right - self.left) / len(wording.signatures)
        small = self.size - 1.5
        for index, (title, hint) in enumerate(wording.signatures):
            center = self.left + column * (index + 0.5)
            self.text(center, self.y, title, font=BOLD, size=small, align="center")
            self.text(center, self.y - small * 1.3, hint, font=ITALIC, size=small - 1, align="center")
        names = {2: doc.payer_name, 3: doc.issued_by_name}
        signature_space = self.leading * (4.0 if self.height > self.width else 3.4)
        names_y = self.y - signature_space
        lowest = names_y
        for index, name in names.items():
            if name:
                center = self.left + column * (index + 0.5)
                lines = _wrap(_nfc(name), REGULAR, small, column - 3 * mm, column - 3 * mm)[:2]
                for offset, line in enumerate(lines):
                    y = names_y - offset * small * 1.25
                    self.text(center, y, line, size=small, align="center")
                    lowest = min(lowest, y)
        self.y = lowest - self.leading * 1.2
        self.field(wording.received_in_words, vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)

    def footer(self, doc):
        canvas = self.canvas
        y = self.MARGIN * 0.6
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.3)
        canvas.line(self.left, y + 9, self.right, y + 9)
        canvas.restoreState()
        issued = timezone.localtime(doc.issued_at).strftime("%H:%M %d/%m/%Y")
        size = self.size - 2.5
        self.text(self.left, y, f"Mã xác thực: {doc.verification_code}", font=BOLD, size=size, color=GREY)
        self.text(
            self.right, y, f"Phiếu thu số {doc.number} · {doc.payment_method_label} · phát hành lúc {issued}",
            size=size, align="right", color=GREY,
        )

    def void_stamp(self, doc, *, center_y):
        """A red rubber stamp across the form: "ĐÃ HỦY", the reason and the date of the void, in
        a frame. Opaque enough to be seen at a glance and on a photocopy, translucent enough that
        the form under it can still be read (a voided receipt stays a document of the books)."""
        canvas = self.canvas
        when = timezone.localtime(doc.voided_at).strftime("%d/%m/%Y") if doc.voided_at else ""
        reason_lines = _wrap(_nfc(f"Lý do: {doc.void_reason}"), BOLD, 11, 118 * mm, 118 * mm)
        if len(reason_lines) > 2:  # the full reason is printed in the line at the foot of the page
            reason_lines = [reason_lines[0], reason_lines[1][:-1] + "…"]
        lines = [*reason_lines, f"Ngày hủy: {when}"]
        canvas.saveState()
        canvas.translate(self.width / 2, center_y)
        canvas.rotate(18)
        canvas.setFillColor(VOID_RED)
        canvas.setStrokeColor(VOID_RED)
        canvas.setFont(BOLD, 60)
        canvas.drawCentredString(0, 0, "ĐÃ HỦY")
        canvas.setFont(BOLD, 11)
        for index, line in enumerate(lines):
            canvas.drawCentredString(0, -20 - index * 14, line)
        text_width = max(
            [pdfmetrics.stringWidth("ĐÃ HỦY", BOLD, 60)] + [pdfmetrics.stringWidth(line, BOLD, 11) for line in lines]
        )
        canvas.setLineWidth(3)
        bottom = -20 - (len(lines) - 1) * 14 - 10
        canvas.roundRect(-text_width / 2 - 10, bottom, text_width + 20, 60 - bottom, 8, stroke=1, fill=0)
        canvas.restoreState()


def _wrap(text: str, font: str, size: float, first_width: float, width: float) -> list[str]:
    """Greedy word wrap: the first line has `first_width`, the others `width`; a word longer than
    a line is cut."""
    words = text.split()
    if not words:
        return [""]
    lines: list[str] = []
    current = ""
    limit = first_width
    for word in words:
        candidate = f"{current} {word}" if current else word
        if pdfmetrics.stringWidth(candidate, font, size) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
            limit = width
        while pdfmetrics.stringWidth(word, font, size) > limit:
            cut = len(word)
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > limit:
                cut -= 1
            lines.append(word[:cut])
            limit = width
            word = word[cut:]
        current = word
    lines.append(current)
    return lines

"""The receipt PDF, laid out like the Vietnamese cash receipt Mẫu số 01-TT (phiếu thu).

The form (Thông tư 200/2014/TT-BTC, also 133/2016): the unit and its address top left, the
form's number top right; "PHIẾU THU" with its date; book number, receipt number and the
debit/credit accounts (Nợ/Có); the payer's name and address, the reason, the amount in figures
and in words, the attached source documents; the date again and five signatures (head of the
unit, chief accountant, payer, the person who drew up the receipt, cashier); and "Đã nhận đủ số
tiền (viết bằng chữ)". Ours adds a footer with the receipt's verification code. The form's pieces
are the kernel's (`fundmgr.core.pdf_form`), shared with the scholarship payment voucher.

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
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.pdfgen.canvas import Canvas

from donations.models import Payment
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.pdf_form import GREY, FormLayout, date_in_words, nfc
from fundmgr.core.pdf_report import BOLD, ITALIC, REGULAR, fonts_register

PAGE_SIZES = {"A5": landscape(A5), "A4": A4}

@dataclass(frozen=True)
class Wording:
    """What the document calls things. A gift in kind is not money handed to the cashier: its
    receipt must not say "người nộp tiền" or "Số tiền", nor carry the cash form's Mẫu 01-TT."""

    title: str
    footer_name: str  # the document's name in the footer line, before its number
    form_number: str | None  # the form's identification, top right
    payer: str
    reason: str
    amount: str
    received_in_words: str
    signatures: tuple[tuple[str, str], ...]


MONEY_WORDING = Wording(
    title="PHIẾU THU",
    footer_name="Phiếu thu số",
    form_number="Mẫu số 01 - TT",
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
    footer_name="Biên nhận hiện vật số",
    form_number=None,
    payer="Họ và tên người trao hiện vật:",
    reason="Nội dung:",
    amount="Giá trị hiện vật:",
    received_in_words="Đã nhận đủ hiện vật trị giá (viết bằng chữ):",
    signatures=(_HEAD, _ACCOUNTANT, ("Người trao hiện vật", _PAYER[1]), _PREPARER, ("Người nhận hiện vật", _CASHIER[1])),
)


__all__ = [
    "PAGE_SIZES", "ReceiptDocument", "date_in_words", "document_from_receipt", "page_size_resolve", "receipt_pdf_render",
]


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
    canvas.setAuthor(nfc(document.unit_name))
    canvas.setSubject("Phiếu thu (Mẫu số 01-TT)")
    _Layout(canvas, page_size).draw(document)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _Layout(FormLayout):
    """The receipt on the shared form layout (`fundmgr.core.pdf_form`)."""

    def __init__(self, canvas: Canvas, page_size: str):
        super().__init__(canvas, PAGE_SIZES[page_size], large=page_size == "A4")

    def draw(self, doc: ReceiptDocument):
        top = self.y
        wording = _wording(doc)
        self.unit_header(doc.unit_name, doc.unit_address, wording.form_number)
        self.title_block(wording.title, doc.receipt_date, (
            ("Quyển số:", doc.book), ("Số:", doc.number), ("Nợ:", doc.debit_account), ("Có:", doc.credit_account),
        ))
        self.body(doc)
        self.signature_row(doc.receipt_date, wording.signatures, {2: doc.payer_name, 3: doc.issued_by_name})
        self.field(wording.received_in_words, vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)
        self.footer(doc)
        if doc.voided:
            when = timezone.localtime(doc.voided_at).strftime("%d/%m/%Y") if doc.voided_at else ""
            self.stamp(
                big="ĐÃ HỦY", lines=[*self.stamp_reason_lines("Lý do: ", doc.void_reason), f"Ngày hủy: {when}"],
                center_y=(top + self.y) / 2,
            )
            self.foot_note(f"{wording.title} ĐÃ HỦY {when} – Lý do: {doc.void_reason}", y=self.MARGIN * 0.6 + 16)

    def body(self, doc):
        wording = _wording(doc)
        self.field(wording.payer, doc.payer_name)
        self.field("Địa chỉ:", doc.payer_address)
        self.field(wording.reason, doc.reason, value_font=REGULAR)
        self.field(wording.amount, format_vnd(doc.amount))
        self.field("(Viết bằng chữ):", vnd_in_words(doc.amount, round_suffix=True), value_font=ITALIC)
        self.attachments(doc.attached_documents)

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
            self.right, y, f"{_wording(doc).footer_name} {doc.number} · {doc.payment_method_label} · phát hành lúc {issued}",
            size=size, align="right", color=GREY,
        )

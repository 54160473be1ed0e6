"""The receipt PDF: the Mẫu 01-TT layout, Vietnamese text that pdftotext gives back, A5 and A4.

The test run leaves PNGs of page 1 in var/test-artifacts/ for a person to look at.
"""

import subprocess
import unicodedata
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.utils import timezone

from donations.models import Payment
from donations.services import receipt_void
from receipts.models import Receipt
from receipts.pdf import date_in_words, document_from_receipt, receipt_pdf_render
from receipts.services import receipt_render
from tests.conftest import require_executable

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def pdf_text(path: Path) -> str:
    """pdftotext's reading, with runs of white space (no-break spaces too) made one space."""
    text = subprocess.run(
        [require_executable("pdftotext"), "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.replace("\u00a0", " ").split())


def page_png(pdf_path: Path, png_base: Path) -> Path:
    subprocess.run(
        [require_executable("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf_path), str(png_base)],
        check=True,
    )
    return png_base.with_suffix(".png")


@pytest.fixture
def rendered(province, fund, donor, treasurer):
    _payment, receipt = record_payment(
        donor=donor, fund=fund, unit=province, amount=1_500_000, recorded_by=treasurer, bank_reference="FT26329001"
    )
    assert receipt_render(receipt_id=receipt.pk) is True
    receipt = Receipt.objects.get(pk=receipt.pk)
    return receipt, Path(receipt.pdf.path)


def test_pdftotext_gives_back_the_number_payer_amount_and_amount_in_words(rendered, artifacts_dir):
    receipt, path = rendered
    assert path == Path(settings.MEDIA_ROOT) / "receipts" / str(receipt.year) / str(receipt.unit_id) / (
        f"{receipt.number}-{receipt.verification_code}.pdf"
    )
    text = pdf_text(path)

    assert receipt.number in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "Số tiền: 1.500.000 ₫" in text
    assert "(Viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text
    assert "Đã nhận đủ số tiền (viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text
    for words in (
        "Đơn vị: Hội Khuyến học tỉnh Thanh Hóa",
        "Địa chỉ: Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa",
        "Mẫu số 01 - TT",
        "PHIẾU THU",
        date_in_words(receipt.receipt_date),
        f"Quyển số: {receipt.year}",
        f"Số: {receipt.number}",
        "Nợ: 112",
        "Có: 511",
        "Họ và tên người nộp tiền: Nguyễn Thị Hồng Nhung",
        "Địa chỉ: Thôn Đông Sơn, xã Quảng Xương, tỉnh Thanh Hóa",
        "Lý do nộp: Ủng hộ Quỹ Khuyến học tỉnh Thanh Hóa",
        "Kèm theo: Giấy báo Có số FT26329001 – chứng từ gốc.",
        "Thủ trưởng đơn vị", "Kế toán trưởng", "Người nộp tiền", "Người lập phiếu", "Thủ quỹ",
        "(Ký, họ tên, đóng dấu)", "(Ký, họ tên)",
        "Lê Văn Thủ",  # the treasurer who recorded it drew up the receipt
        f"Mã xác thực: {receipt.verification_code_display}",
    ):
        assert words in text, words
    assert "VietQR" not in text
    png = page_png(path, artifacts_dir / "receipt-A5")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_date_reads_like_a_receipt(rendered):
    import datetime

    assert date_in_words(datetime.date(2026, 11, 25)) == "Ngày 25 tháng 11 năm 2026"
    assert date_in_words(datetime.date(2026, 2, 3)) == "Ngày 03 tháng 02 năm 2026"


@pytest.mark.parametrize("page_size, width, height", [("A5", 595, 420), ("A4", 595, 842)])
def test_a5_landscape_and_a4_portrait(rendered, artifacts_dir, page_size, width, height, settings):
    receipt, _path = rendered
    settings.RECEIPT_PAGE_SIZE = page_size  # the default; an argument overrides it
    content = receipt_pdf_render(document_from_receipt(receipt))
    target = artifacts_dir / f"receipt-{page_size}.pdf"
    target.write_bytes(content)
    page = pypdf.PdfReader(target).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (width, height)
    assert receipt.number in pdf_text(target)
    page_png(target, artifacts_dir / f"receipt-{page_size}")
    other = "A4" if page_size == "A5" else "A5"
    assert pypdf.PdfReader(__import__("io").BytesIO(receipt_pdf_render(document_from_receipt(receipt), page_size=other))).pages[0].mediabox.height != page.mediabox.height


def test_the_fonts_are_the_embedded_dejavu_of_the_repository(rendered):
    _receipt, path = rendered
    fonts = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded TrueType, not a font of the reader's machine
    assert fonts == {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"}


def test_decomposed_vietnamese_input_is_printed_composed(province, fund, donor):
    donor.name = unicodedata.normalize("NFD", "Trần Thị Ánh Tuyết")
    donor.save(update_fields=["name"])
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province, amount=2_000_000)
    receipt_render(receipt_id=receipt.pk)
    receipt.refresh_from_db()
    text = pdf_text(Path(receipt.pdf.path))
    assert "Trần Thị Ánh Tuyết" in text
    assert "Hai triệu đồng chẵn" in text


def test_rendering_is_deterministic(rendered):
    receipt, path = rendered
    assert receipt_pdf_render(document_from_receipt(receipt)) == path.read_bytes()


def test_a_voided_receipt_renders_with_the_stamp_and_reason(rendered, treasurer, artifacts_dir):
    receipt, _path = rendered
    receipt = receipt_void(receipt=receipt, reason="Ghi nhầm số tiền", voided_by=treasurer)
    target = artifacts_dir / "receipt-voided.pdf"
    target.write_bytes(receipt_pdf_render(document_from_receipt(Receipt.objects.get(pk=receipt.pk))))
    text = pdf_text(target)
    voided_on = timezone.localtime(receipt.voided_at).strftime("%d/%m/%Y")
    assert f"PHIẾU THU ĐÃ HỦY {voided_on} – Lý do: Ghi nhầm số tiền" in text
    raw = subprocess.run(["pdftotext", "-raw", str(target), "-"], check=True, capture_output=True, text=True).stdout
    assert "ĐÃ HỦY\nLý do: Ghi nhầm số tiền" in raw  # the rotated stamp
    page_png(target, artifacts_dir / "receipt-voided")


def test_an_unknown_page_size_is_refused(rendered):
    receipt, _path = rendered
    with pytest.raises(ValueError, match="unknown receipt page size 'LETTER'"):
        receipt_pdf_render(document_from_receipt(receipt), page_size="letter")


def test_a_gift_in_kind_gets_a_receipt_for_goods_not_the_cash_form(province, fund, donor, artifacts_dir):
    # A gift of books is not money handed to the cashier: no "người nộp tiền", no "Số tiền", no
    # Mẫu 01-TT (the cash receipt form); the value is still in figures and in words.
    _payment, receipt = record_payment(
        donor=donor, fund=fund, unit=province, method=Payment.Method.IN_KIND, amount=2_000_000,
        in_kind_description="50 bộ sách giáo khoa lớp 6",
    )
    target = artifacts_dir / "receipt-in-kind.pdf"
    target.write_bytes(receipt_pdf_render(document_from_receipt(receipt)))
    text = pdf_text(target)
    for words in (
        "BIÊN NHẬN HIỆN VẬT",
        "Họ và tên người trao hiện vật: Nguyễn Thị Hồng Nhung",
        "Nội dung: Ủng hộ Quỹ Khuyến học tỉnh Thanh Hóa; hiện vật: 50 bộ sách giáo khoa lớp 6",
        "Giá trị hiện vật: 2.000.000 ₫",
        "Đã nhận đủ hiện vật trị giá (viết bằng chữ): Hai triệu đồng chẵn",
        "Người trao hiện vật", "Người nhận hiện vật", f"Biên nhận hiện vật số {receipt.number}",
    ):
        assert words in text, words
    for cash_words in ("người nộp tiền", "Người nộp tiền", "Số tiền:", "PHIẾU THU", "Phiếu thu", "Mẫu số 01 - TT", "Thủ quỹ"):
        assert cash_words not in text, cash_words
    page_png(target, artifacts_dir / "receipt-in-kind")

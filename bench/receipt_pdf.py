"""How fast are receipt PDFs, against raw reportlab drawing the same page?

    .venv/bin/python bench/receipt_pdf.py [--receipts 300] [--repeat 3] [--processes 1]

Measured in the same run, on the same documents (varied Vietnamese names, addresses, reasons and
amounts, every one distinct), best of `--repeat`:
- `pdf.receipt_pdf_render`: the real path the render job takes, from a `ReceiptDocument` to the
  bytes of a PDF (layout, word wrap, amount in words, DejaVu Sans subset embedding, compression);
- raw reportlab: a bare `Canvas` replaying the very drawing calls the layout made for that
  document (same strings, positions, fonts and page size), recorded beforehand, so it pays for
  nothing but reportlab itself.
With `--processes N` each side also runs in N processes at once (a worker's concurrency).
Prints pages per second and the ratio. No database is needed. Not part of the test suite.
"""

import argparse
import datetime
import io
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from receipts import pdf  # noqa: E402

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Thị Hồng", "Minh", "Quốc", "Ngọc", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nhung", "Phúc", "Quyết", "Tuyết", "Yến"]
PLACES = ["xã Quảng Xương", "phường Hạc Thành", "xã Thọ Xuân", "xã Nga Sơn", "phường Sầm Sơn", "xã Ngọc Lặc"]
FUNDS = ["Quỹ Khuyến học tỉnh Thanh Hóa", "Quỹ Khuyến học – Khuyến tài Lam Sơn", "Quỹ học bổng \"Nâng cánh ước mơ\""]


def documents(count: int, page: str) -> list[pdf.ReceiptDocument]:
    issued = timezone.now()
    result = []
    for index in range(count):
        name = f"{SURNAMES[index % 14]} {MIDDLE[index % 9]} {GIVEN[index % 15]}"
        result.append(pdf.ReceiptDocument(
            unit_name="Hội Khuyến học tỉnh Thanh Hóa",
            unit_address="Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa",
            number=f"PT-2026-{index + 1:06d}", book="2026", receipt_date=datetime.date(2026, 2, 1 + index % 27),
            debit_account="112" if index % 3 else "111", credit_account="511",
            payer_name=name, payer_address=f"Thôn {index % 40 + 1}, {PLACES[index % 6]}, tỉnh Thanh Hóa",
            reason=f"Ủng hộ {FUNDS[index % 3]} theo cam kết TKH26-{index:05d} – Tết khuyến học Xuân Bính Ngọ 2026",
            amount=(index % 97 + 1) * 250_000 + (index % 7) * 1_000, attached_documents=f"Giấy báo Có số FT26{index:08d}",
            issued_by_name="Lê Văn Thủ", verification_code=f"{index:04d}-ABCD-EFGH", issued_at=issued,
            payment_method_label="Chuyển khoản",
        ))
    return result


class RecordingCanvas(Canvas):
    """Records the drawing calls the layout makes, to replay them on a bare canvas."""

    RECORDED = ("setFont", "setFillColor", "setStrokeColor", "setLineWidth", "setDash", "line", "drawString",
                "drawCentredString", "drawRightString", "saveState", "restoreState", "translate", "rotate")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []
        for name in self.RECORDED:
            original = getattr(self, name)
            setattr(self, name, self._recorder(name, original))

    def _recorder(self, name, original):
        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return original(*args, **kwargs)

        return record


def record_calls(document: pdf.ReceiptDocument, page: str) -> list:
    pdf.fonts_register()
    canvas = RecordingCanvas(io.BytesIO(), pagesize=pdf.PAGE_SIZES[page], initialFontName=pdf.REGULAR)
    pdf._Layout(canvas, page).draw(document)
    return canvas.calls


def raw_render(calls: list, page: str, title: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pdf.PAGE_SIZES[page], invariant=1, pageCompression=1, initialFontName=pdf.REGULAR)
    canvas.setTitle(title)
    for name, args, kwargs in calls:
        getattr(canvas, name)(*args, **kwargs)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def run_ours(args) -> int:
    count, page = args
    for document in documents(count, page):
        pdf.receipt_pdf_render(document, page_size=page)
    return count


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1)
    options = parser.parse_args()
    count = options.receipts
    pdf.fonts_register()
    sizes = []
    for page in ("A5", "A4"):
        docs = documents(count, page)
        ours_bytes = pdf.receipt_pdf_render(docs[0], page_size=page)
        raw_bytes = raw_render(record_calls(docs[0], page), page, f"Phiếu thu {docs[0].number}")
        sizes.append((page, len(ours_bytes), len(raw_bytes)))
        recorded = [(record_calls(document, page), document.number) for document in docs]
        ours = best_of(options.repeat, lambda page=page, docs=docs: [pdf.receipt_pdf_render(document, page_size=page) for document in docs])
        raw = best_of(options.repeat, lambda page=page, recorded=recorded: [raw_render(calls, page, f"Phiếu thu {number}") for calls, number in recorded])
        print(f"{page}: {count} receipts, best of {options.repeat}")
        print(f"  raw reportlab, same drawing calls: {raw:6.2f} s  {count / raw:7.1f} pages/s")
        print(f"  pdf.receipt_pdf_render:            {ours:6.2f} s  {count / ours:7.1f} pages/s")
        print(f"  ratio ours / raw (time):           {ours / raw:6.2f}")
        if options.processes > 1:
            with ProcessPoolExecutor(options.processes) as pool:
                started = time.perf_counter()
                list(pool.map(run_ours, [(count, page)] * options.processes))
                parallel = time.perf_counter() - started
            print(f"  pdf.receipt_pdf_render in {options.processes} processes: "
                  f"{count * options.processes / parallel:7.1f} pages/s")
    for page, ours_size, raw_size in sizes:
        print(f"size of one {page} PDF: ours {ours_size:,} bytes, raw {raw_size:,} bytes")


if __name__ == "__main__":
    main()

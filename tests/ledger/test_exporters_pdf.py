"""The short statements as PDF: the fund statement and the trial balance, read back with poppler."""

import datetime
import hashlib
import io
import subprocess
from pathlib import Path

import pytest

from fundmgr.core.exporting import ExportRequest, FormatRefused, export_write, exporter_get
from fundmgr.ledger import accounts
from fundmgr.ledger.services import Line, entry_post
from tests.conftest import require_executable

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


@pytest.fixture
def postings(province, make_fund):
    fund = make_fund("QKH", "Quỹ Khuyến học Hạc Thành")
    entry_post(unit=province, date=datetime.date(2026, 1, 10), memo="Ủng hộ của bà Nguyễn Thị Hằng", lines=[
        Line(accounts.CASH, fund, debit=1_250_000), Line(accounts.DONATION_INCOME, fund, credit=1_250_000)])
    entry_post(unit=province, date=datetime.date(2026, 2, 20), memo="Học bổng", lines=[
        Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=400_000), Line(accounts.CASH, fund, credit=400_000)])
    return fund


def pdf_of(name: str, tmp_path: Path, **data) -> tuple[Path, object]:
    exporter = exporter_get(name)
    form = exporter.form(data)
    assert form.is_valid(), form.errors
    target = tmp_path / f"{name}.pdf"
    with target.open("wb") as file:
        manifest = export_write(exporter, ExportRequest(params=form.cleaned_data), "pdf", file, title=str(exporter.title))
    return target, manifest


def pdf_text(path: Path) -> str:
    tool = require_executable("pdftotext")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_fund_statement_as_pdf_with_its_chart(postings, tmp_path):
    path, manifest = pdf_of("fund_statement", tmp_path, fund=postings.pk, date_from="2026-01-01", date_to="2026-03-31")
    assert path.read_bytes()[:5] == b"%PDF-"
    assert manifest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and manifest.size == path.stat().st_size
    assert manifest.rows > 0
    text = pdf_text(path)
    assert "Báo cáo thu chi quỹ" in text
    assert "Quỹ Khuyến học Hạc Thành" in text  # Vietnamese with its diacritics, read back
    assert "1.250.000" in text and "850.000" in text
    assert "Trang 1" in text
    # The chart: its title, the months on its axis and its legend.
    assert "Thu chi theo tháng" in text and "01/2026" in text and "02/2026" in text and "Tiền thu" in text
    assert "1 triệu" in text  # the axis, labelled with short_vnd
    # One page as a picture, to look at.
    tool = require_executable("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / "fund_statement")], check=True)
    assert (ARTIFACTS / "fund_statement.png").stat().st_size > 1000


def test_the_fund_statement_of_every_fund_has_no_chart(postings, tmp_path):
    path, _manifest = pdf_of("fund_statement", tmp_path, date_from="2026-01-01", date_to="2026-03-31")
    text = pdf_text(path)
    assert "1.250.000" in text and "Thu chi theo tháng" not in text


def test_the_trial_balance_as_pdf(postings, tmp_path):
    path, manifest = pdf_of("trial_balance", tmp_path, date_from="2026-01-01", date_to="2026-03-31")
    assert manifest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    text = pdf_text(path)
    assert "Bảng cân đối số phát sinh" in text and "Số dư cuối kỳ" in text
    assert "1.250.000" in text and "Trang 1" in text
    tool = require_executable("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / "trial_balance")], check=True)


def test_a_long_book_is_not_written_as_pdf(postings):
    exporter = exporter_get("general_journal")
    with pytest.raises(FormatRefused):
        export_write(exporter, ExportRequest(params={}), "pdf", io.BytesIO())

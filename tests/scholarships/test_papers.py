"""The papers of a payment: the phiếu chi (Mẫu 02-TT) and the signature list of a ceremony.

pdftotext gives back the amounts in figures and in Vietnamese words exactly; the test run leaves
PNGs of page 1 of each in var/test-artifacts/ for a person to look at. The signature list's grand
total is the sum of what it lists and the scholarship expense the ledger posted for them. The
names follow `docs/students.md`: the treasurer who pays reads them, an auditor reads initials, and
every rendering leaves a view row per child.
"""

import subprocess
from pathlib import Path

import pypdf
import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.urls import reverse

from fundmgr.audit.models import AuditEvent
from fundmgr.core.money import vnd_in_words
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from scholarships.papers import signature_pages
from scholarships.services import awards, papers
from tests.conftest import require_executable

from .ceremony import AWARD, DAY, ceremony_scene

pytestmark = pytest.mark.django_db


def pdf_text(path: Path, *options: str) -> str:
    """pdftotext's reading, with runs of white space (no-break spaces too) made one space."""
    text = subprocess.run(
        [require_executable("pdftotext"), "-layout", *options, str(path), "-"], check=True, capture_output=True, text=True,
    ).stdout
    return " ".join(text.replace("\u00a0", " ").split())


def page_png(pdf_path: Path, png_base: Path) -> Path:
    subprocess.run(
        [require_executable("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
         str(png_base)], check=True,
    )
    png = png_base.with_suffix(".png")
    assert png.stat().st_size > 10_000  # a page with something on it
    return png


def views_of(student, channel):
    return AuditEvent.objects.filter(
        action="view", model_label="scholarships.student", object_id=str(student.pk), after__channel=channel,
    )


@pytest.fixture
def ceremony(units, people):
    return ceremony_scene(units, people)


@pytest.fixture
def by_transfer(ceremony, people):
    """A twenty-first child, paid by bank transfer to her guardian."""
    _fund, program, _students, _paid = ceremony
    from .ceremony import make_student

    student = make_student(
        program.unit.children.get(code="T-A").children.get(code="T-A-1"), full_name="Lò Thị Mai",
        national_id="038313000999", average_score="9.00",
    )
    awards.nomination_create(program=program, student=student, by=people["nominator_a"])
    award = awards.award_grant(
        nomination=student.nominations.get(), fund=program.program_funds.get().fund, by=people["committee"],
        reason="Bổ sung sau khi xác minh hoàn cảnh",
    )
    return awards.award_disburse(
        award=award, method="bank_transfer", paid_on=DAY, recipient_name="Lò Văn Sáng", bank_reference="FT26324001",
        by=people["treasurer"],
    )


# --- the voucher -----------------------------------------------------------------------------------

def test_the_voucher_gives_back_the_amount_in_figures_and_in_words(by_transfer, people, artifacts_dir):
    pdf = papers.disbursement_voucher_pdf(disbursement=by_transfer, by=people["treasurer"])
    target = artifacts_dir / "phieu-chi.pdf"
    target.write_bytes(pdf)
    text = pdf_text(target)

    assert "Số tiền: 1.500.000 ₫" in text
    assert "(Viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text
    assert "Đã nhận đủ số tiền (viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text
    for words in (
        "Đơn vị: Hội Khuyến học tỉnh",
        "Địa chỉ: Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa",
        "Mẫu số 02 - TT", "(Ban hành theo Thông tư số 200/2014/TT-BTC",
        "PHIẾU CHI", "Ngày 20 tháng 11 năm 2026",
        "Quyển số: 2026", f"Số: {by_transfer.number}", "Nợ: 611", "Có: 112",
        "Họ và tên người nhận tiền: Lò Văn Sáng",
        f"Học sinh được nhận: Lò Thị Mai ({by_transfer.award.student.code}), lớp 7, Trường THCS Lam Sơn",
        "Cha, mẹ hoặc người giám hộ: Lò Văn Sáng",
        "Địa chỉ: Bản Khó, xã Lam Sơn",
        f"Lý do chi: Chi học bổng “Học bổng Lam Sơn” năm học 2026-2027 (chương trình LS-2026, suất {by_transfer.award})",
        "Kèm theo: Giấy báo Nợ số FT26324001 – chứng từ gốc.",
        "Chủ tịch", "Kế toán trưởng", "Thủ quỹ", "Người lập phiếu", "Người nhận tiền", "(Ký, họ tên, đóng dấu)",
        "Lê Văn Thủ",  # who drew it up
    ):
        assert words in text, words
    assert by_transfer.number == "PC-2026-000021"
    assert len(pypdf.PdfReader(target).pages) == 1
    page_png(target, artifacts_dir / "phieu-chi")

    a4 = artifacts_dir / "phieu-chi-a4.pdf"
    a4.write_bytes(papers.disbursement_voucher_pdf(disbursement=by_transfer, by=people["treasurer"], page_size="A4"))
    assert "(Viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in pdf_text(a4)
    page_png(a4, artifacts_dir / "phieu-chi-a4")


def test_the_voucher_names_the_child_for_the_treasurer_and_initials_for_the_auditor(by_transfer, people, tmp_path):
    student = by_transfer.award.student
    target = tmp_path / "auditor.pdf"
    target.write_bytes(papers.disbursement_voucher_pdf(disbursement=by_transfer, by=people["auditor"]))
    text = pdf_text(target)

    assert "Họ và tên người nhận tiền: L.V.S." in text
    assert f"Học sinh được nhận: L.T.M. ({student.code})" in text
    assert "Lò" not in text and "Bản Khó" not in text
    assert "(Viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text  # the money is not personal
    papers.disbursement_voucher_pdf(disbursement=by_transfer, by=people["treasurer"])

    rows = views_of(student, papers.VOUCHER_CHANNEL).order_by("pk")
    assert [(row.actor, row.after["personal"]) for row in rows] == [(people["auditor"], False), (people["treasurer"], True)]


def test_the_voucher_is_refused_to_a_reader_outside_the_paying_unit(by_transfer, people):
    for outsider in (people["nominator_a"], people["auditor_a"]):  # no money role in the province
        with pytest.raises(PermissionDenied):
            papers.disbursement_voucher_pdf(disbursement=by_transfer, by=outsider)
    assert not views_of(by_transfer.award.student, papers.VOUCHER_CHANNEL).exists()


# --- the signature list ----------------------------------------------------------------------------

def test_the_signature_list_pages_with_page_totals_and_the_grand_total_in_words(ceremony, units, people, artifacts_dir):
    _fund, program, students, paid = ceremony
    pdf, listed = papers.signature_list_pdf(program=program, unit=units.province, by=people["treasurer"], day=DAY)
    target = artifacts_dir / "danh-sach-ky-nhan.pdf"
    target.write_bytes(pdf)

    reader = pypdf.PdfReader(target)
    pages = signature_pages(20)
    assert len(reader.pages) == len(pages) > 1
    text = pdf_text(target)
    assert "DANH SÁCH KÝ NHẬN HỌC BỔNG" in text
    assert "Chương trình: Học bổng Lam Sơn (LS-2026), năm học 2026-2027" in text
    assert "Đơn vị nhận: Hội Khuyến học tỉnh" in text and "Ngày 20 tháng 11 năm 2026" in text
    assert text.count("1.500.000 ₫") == 20
    # Every row's amount in words, exactly (a known phrase, and the kernel's spelling of it).
    assert vnd_in_words(AWARD) == "Một triệu năm trăm nghìn đồng"
    assert text.count("Một triệu năm trăm nghìn đồng") == 20
    for number, (first, end) in enumerate(pages, start=1):
        page_text = " ".join(reader.pages[number - 1].extract_text().replace("\u00a0", " ").split())
        if end > first:
            assert f"Cộng trang {(end - first) * 1_500_000:,} ₫".replace(",", ".") in pdf_text(
                target, "-f", str(number), "-l", str(number))
        assert f"Trang {number}/{len(pages)}" in page_text
    assert "Tổng cộng 30.000.000 ₫" in text
    assert "Tổng số tiền (20 suất), viết bằng chữ: Ba mươi triệu đồng chẵn" in text
    for title in ("Người lập danh sách", "Kế toán trưởng", "Thủ quỹ", "Chủ tịch"):
        assert title in text
    assert "Lò Thị Mai" in text and "Lò Văn Sáng" in text  # the treasurer reads the names
    page_png(target, artifacts_dir / "danh-sach-ky-nhan")

    # What it lists: every payment of the program; its total is their sum and the ledger's expense.
    assert sorted(disbursement.pk for disbursement in listed) == sorted(disbursement.pk for disbursement in paid)
    expense = JournalLine.objects.filter(
        entry__in=[disbursement.entry_id for disbursement in listed], account__code=accounts.SCHOLARSHIP_EXPENSE,
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert sum(disbursement.award.amount for disbursement in listed) == expense["debit"] - expense["credit"] == 30_000_000


def test_the_signature_list_of_a_unit_lists_its_own_and_its_schools_children(ceremony, units, people, tmp_path):
    _fund, program, students, paid = ceremony
    pdf, listed = papers.signature_list_pdf(program=program, unit=units.commune_a, by=people["treasurer"], day=DAY)
    assert [disbursement.award.student.unit for disbursement in listed] == [units.school_a] * 16
    target = tmp_path / "a.pdf"
    target.write_bytes(pdf)
    assert "Tổng cộng 24.000.000 ₫" in pdf_text(target)
    assert "Hai mươi bốn triệu đồng chẵn" in pdf_text(target)

    # One view row per child listed, none for the others.
    assert all(views_of(student, papers.SIGNATURE_LIST_CHANNEL).get().after["personal"] for student in students[:16])
    assert not any(views_of(student, papers.SIGNATURE_LIST_CHANNEL).exists() for student in students[16:])


def test_the_signature_list_leaves_out_a_reversed_payment(ceremony, units, people):
    _fund, program, _students, paid = ceremony
    awards.disbursement_reverse(disbursement=paid[0], reason="Chi nhầm người", by=people["treasurer"])
    _pdf, listed = papers.signature_list_pdf(program=program, unit=units.province, by=people["treasurer"], day=DAY)
    assert paid[0].pk not in {disbursement.pk for disbursement in listed} and len(listed) == 19


def test_the_signature_list_masks_the_names_for_the_auditor(ceremony, units, people, tmp_path):
    _fund, program, students, _paid = ceremony
    pdf, _listed = papers.signature_list_pdf(program=program, unit=units.commune_b, by=people["auditor"], day=DAY)
    target = tmp_path / "b.pdf"
    target.write_bytes(pdf)
    text = pdf_text(target)
    assert "Lò" not in text and "Văn Sáng" not in text and students[16].code in text
    assert "Tổng số tiền (4 suất), viết bằng chữ: Sáu triệu đồng chẵn" in text
    assert views_of(students[16], papers.SIGNATURE_LIST_CHANNEL).get().after["personal"] is False


def test_the_signature_list_reads_the_payments_in_a_fixed_number_of_queries(
    ceremony, units, people, django_assert_max_num_queries,
):
    _fund, program, _students, _paid = ceremony
    treasurer = type(people["treasurer"]).objects.get(pk=people["treasurer"].pk)
    # The program; the treasurer's memberships; the payments with awards and students; the view rows
    # (one INSERT), in a savepoint; whatever the number of rows.
    with django_assert_max_num_queries(6):
        papers.signature_list_pdf(program=program, unit=units.province, by=treasurer, day=DAY)


# --- the admin -------------------------------------------------------------------------------------

def test_the_admin_downloads_a_voucher_and_a_signature_list(client, ceremony, units, people):
    _fund, program, students, paid = ceremony
    client.force_login(people["treasurer"])
    response = client.get(reverse("admin:scholarships_disbursement_voucher", args=[paid[0].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and f"{paid[0].number}.pdf" in response["Content-Disposition"]
    assert views_of(students[0], papers.VOUCHER_CHANNEL).count() == 1

    changelist = reverse("admin:scholarships_scholarshipprogram_changelist")
    form = client.post(changelist, {"action": "signature_list_action", "_selected_action": [program.pk]})
    assert form.status_code == 200 and "Đơn vị nhận" in form.content.decode()
    response = client.post(changelist, {
        "action": "signature_list_action", "_selected_action": [program.pk], "apply": "1",
        "unit": units.commune_b.pk, "day": "2026-11-20",
    })
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "danh-sach-ky-nhan-LS-2026-T-B.pdf" in response["Content-Disposition"]
    assert views_of(students[16], papers.SIGNATURE_LIST_CHANNEL).count() == 1


def test_the_admin_refuses_a_voucher_of_another_unit(client, ceremony, units, people):
    _fund, _program, _students, paid = ceremony
    client.force_login(people["nominator_a"])
    response = client.get(reverse("admin:scholarships_disbursement_voucher", args=[paid[0].pk]))
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="view", after__channel=papers.VOUCHER_CHANNEL).exists()

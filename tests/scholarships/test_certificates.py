"""Award certificates (giấy chứng nhận): a landscape page per award, the child's name with its
diacritics for who may read it, initials for the others, a view row per child either way; the PNG
of page 1 lands in var/test-artifacts/ for a person to look at.
"""

from pathlib import Path

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from scholarships.models import Award
from scholarships.services import papers

from .ceremony import DAY, ceremony_scene
from .test_papers import page_png, pdf_text, views_of

pytestmark = pytest.mark.django_db
ARTIFACTS = Path("var/test-artifacts")


@pytest.fixture
def scene(units, people):
    _fund, program, students, paid = ceremony_scene(units, people, in_a=2, in_b=1)
    return program, students, [disbursement.award for disbursement in paid]


def test_a_page_per_award_naming_the_child(scene, people, tmp_path):
    program, students, awards = scene
    pdf = papers.award_certificates_pdf(awards=awards, by=people["committee"], day=DAY, show_amount=True)
    path = tmp_path / "gcn.pdf"
    path.write_bytes(pdf)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape A4
    assert round(float(box.width)) == 842
    text = pdf_text(path, "-f", "1", "-l", "1")
    assert students[0].full_name == "Lò Thị Mai"
    for expected in ("GIẤY CHỨNG NHẬN", "HỘI KHUYẾN HỌC TỈNH", "Lò Thị Mai", f"({students[0].code})",
                     "lớp 1, Trường Tiểu học Xuân Lam", "“Học bổng Lam Sơn” năm học 2026-2027",
                     "Trị giá: 1.500.000 ₫ (Một triệu năm trăm nghìn đồng chẵn)", "Ngày 20 tháng 11 năm 2026",
                     "CHỦ TỊCH", "(Ký, họ tên, đóng dấu)", f"Số: GCN-{awards[0]}"):
        assert expected in text, expected
    assert "Hà Văn Dũng" in pdf_text(path, "-f", "2", "-l", "2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "giay-chung-nhan.pdf").write_bytes(pdf)
    page_png(path, ARTIFACTS / "giay-chung-nhan")
    for student in students:
        assert views_of(student, "giay_chung_nhan").filter(actor=people["committee"], after__personal=True).count() == 1


def test_the_amount_is_optional_and_a5_is_offered(scene, people, tmp_path):
    _program, _students, awards = scene
    path = tmp_path / "a5.pdf"
    path.write_bytes(papers.award_certificates_pdf(awards=awards[:1], by=people["treasurer"], day=DAY, page_size="A5"))
    assert round(float(pypdf.PdfReader(path).pages[0].mediabox.width)) == 595
    text = pdf_text(path)
    assert "Lò Thị Mai" in text  # the treasurer who pays reads the names on the papers
    assert "Trị giá" not in text


def test_an_auditor_reads_initials_and_is_logged(scene, people, tmp_path):
    _program, students, awards = scene
    path = tmp_path / "auditor.pdf"
    path.write_bytes(papers.award_certificates_pdf(awards=awards[:1], by=people["auditor"], day=DAY))
    text = pdf_text(path)
    assert "Lò Thị Mai" not in text and "L.T.M." in text
    assert views_of(students[0], "giay_chung_nhan").filter(actor=people["auditor"], after__personal=False).count() == 1


def test_only_awarded_and_only_in_scope(scene, units, people):
    program, students, awards = scene
    with pytest.raises(PermissionDenied):  # a commune's auditor reads no province award
        papers.award_certificates_pdf(awards=awards, by=people["auditor_a"])
    proposed = Award.objects.create(
        program=program, student=students[0], nomination=awards[0].nomination, school_year="2026-2027", amount=1,
        status=Award.Status.REJECTED,
    )
    with pytest.raises(ValidationError):
        papers.award_certificates_pdf(awards=[proposed], by=people["committee"])


def test_the_awards_admin_action(scene, client, people):
    _program, _students, awards = scene
    client.force_login(people["committee"])
    response = client.post(reverse("admin:scholarships_award_changelist"), {
        "action": "certificates_action", "_selected_action": [award.pk for award in awards[:2]],
    })
    assert response.status_code == 200 and b"ghi s\xe1\xbb\x91 ti\xe1\xbb\x81n" in response.content  # the form first
    response = client.post(reverse("admin:scholarships_award_changelist"), {
        "action": "certificates_action", "_selected_action": [award.pk for award in awards[:2]], "apply": "1",
        "day": "20/11/2026", "page_size": "A4",
    })
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

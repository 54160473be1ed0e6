"""The award list (danh sách nhận học bổng) as a report of the registry, run by `fundmgr.reports`:
its columns, the closing total row equal to the sum of the awards (XLSX read with openpyxl), the
PDF read with pdftotext, a commune's run that lists only its own children, names masked for a
reader without `view_personal`.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from openpyxl import load_workbook

from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from fundmgr.reports import services as reports
from scholarships.models import Award
from scholarships.services import awards

from .ceremony import AWARD, DAY, ceremony_scene
from .test_papers import page_png, pdf_text

pytestmark = pytest.mark.django_db
ARTIFACTS = Path("var/test-artifacts")

HEADER = ("chương trình", "mã suất", "mã hồ sơ", "học sinh", "trường", "lớp", "đơn vị", "số tiền", "chi từ quỹ",
          "trạng thái", "số phiếu chi")


@pytest.fixture
def scene(units, people):
    """Five children of commune A paid, two of commune B approved and not yet paid."""
    fund, program, students, paid = ceremony_scene(units, people, in_a=5, in_b=2, pay=False)
    for award in Award.objects.filter(student__in=students[:5]).order_by("pk"):
        awards.award_disburse(award=award, method="cash", paid_on=DAY, recipient_name="Lò Văn Sáng",
                              by=people["treasurer"])
    return fund, program, students


def run(people, user, unit, fmt, django_capture_on_commit_callbacks, program=None):
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_run_create(
            kind="award_list", data={"program": program.pk if program else ""}, format=fmt, by=user, unit=unit,
        )
    report.refresh_from_db()
    assert report.status == "done", report.last_error
    return report


def test_the_xlsx_lists_the_awards_and_their_total(scene, units, people, django_capture_on_commit_callbacks):
    _fund, program, students = scene
    report = run(people, people["superuser"], None, "xlsx", django_capture_on_commit_callbacks, program)
    rows = list(load_workbook(report.file.path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == HEADER
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 7
    first = next(row for row in body if row[2] == students[0].code)
    assert first[:4] == ("LS-2026", str(Award.objects.get(student=students[0])), students[0].code, "Lò Thị Mai")
    assert first[4:10] == ("Trường Tiểu học Xuân Lam", 1, "Chi hội Trường Tiểu học Lam Sơn", AWARD, "QLS: 1.500.000\u00a0₫",
                           "Đã chi")
    assert first[10].startswith("PC-")
    assert {row[9] for row in body} == {"Đã chi", "Đã duyệt"}
    assert [row[10] for row in body if row[9] == "Đã duyệt"] == [None, None]  # an empty cell
    # The closing row: the count and the sum, which is the awards' sum in the database.
    assert total[0] == "Cộng" and total[3] == "7 suất"
    assert total[7] == sum(row[7] for row in body) == Award.objects.aggregate(total=Sum("amount"))["total"] == 7 * AWARD
    # The manifest counts each award once.
    assert report.manifest["rows"] == 7 and report.manifest["totals"]["số tiền"] == 7 * AWARD


def test_the_pdf(scene, units, people, django_capture_on_commit_callbacks):
    _fund, program, students = scene
    report = run(people, people["superuser"], units.commune_a, "pdf", django_capture_on_commit_callbacks, program)
    text = pdf_text(report.file.path)
    assert "Danh sách học sinh nhận học bổng" in text
    assert "Lò Thị Mai" in text and "Hà Văn Dũng" in text and "Cộng" in text and "5 suất" in text
    assert "7.500.000" in text
    assert students[5].code not in text  # commune B's child is not on commune A's list
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_png(Path(report.file.path), ARTIFACTS / "danh-sach-nhan-hoc-bong")


def test_a_commune_sees_only_its_own_children_masked(scene, units, people, django_capture_on_commit_callbacks):
    _fund, program, students = scene
    report = run(people, people["auditor_a"], None, "xlsx", django_capture_on_commit_callbacks)
    rows = list(load_workbook(report.file.path, read_only=True).active.iter_rows(values_only=True))
    body = rows[1:-1]
    assert sorted(row[2] for row in body) == sorted(student.code for student in students[:5])
    assert "L.T.M." in {row[3] for row in body}  # an auditor reads initials
    assert "Lò Thị Mai" not in {row[3] for row in body}
    assert rows[-1][7] == 5 * AWARD
    # Commune B's nominator-turned-auditor gets B's two and nothing of A.
    auditor_b = get_user_model().objects.create_user(username="kiemtra_b", password="x")
    membership_grant(user=auditor_b, unit=units.commune_b, role=Membership.Role.AUDITOR)
    report = run(people, auditor_b, None, "csv", django_capture_on_commit_callbacks)
    with report.file.open("rb") as file:
        content = file.read().decode("utf-8-sig")
    assert students[5].code in content and students[6].code in content and students[0].code not in content
    assert "Cộng" in content and str(2 * AWARD) in content

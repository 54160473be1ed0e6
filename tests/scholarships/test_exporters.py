"""The awards book (awards and disbursements per program and unit) as a worked example.

The scene of `test_awards.py` (the province's program NCUM-2026, six students), plus a program of
the commune of Lam Sơn, LS-2026, with its own fund, that awards student C 1 million, approved and
paid in cash to the guardian Lò Văn Sáng. Students are masked unless the request is personal.
"""

import pytest

from fundmgr.core.exporting import ExportRequest, exporter_get
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import visible_units
from scholarships.exporters import AwardsDisbursementsForm
from scholarships.models import Award
from scholarships.services import awards
from tests.exporting import written_rows

from .conftest import DAY, RUBRIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune_award(units, funds, six, people):
    fund = Fund.objects.create(code="QKH-LS", name="Quỹ Khuyến học xã Lam Sơn", unit=units.commune_a)
    entry_post(unit=units.commune_a, date=DAY, memo="Thu ủng hộ", lines=[
        Line(accounts.CASH, fund, debit=3_000_000), Line(accounts.DONATION_INCOME, fund, credit=3_000_000),
    ])
    program = awards.program_create(
        unit=units.commune_a, code="ls-2026", name="Học bổng Lam Sơn", school_year="2025-2026",
        award_amount=1_000_000, rubric=RUBRIC, funds={fund: 1_000_000}, created_by=people["committee"],
    )
    awards.nomination_create(program=program, student=six["C"], by=people["nominator_a"])
    awards.allocation_run(program=program)
    award = awards.award_approve(award=Award.objects.get(program=program))
    disbursement = awards.award_disburse(
        award=award, method="cash", paid_on=DAY, recipient_name="Lò Văn Sáng", by=people["treasurer"],
    )
    return award, disbursement


def book(params=None, **request):
    exporter = exporter_get("awards_disbursements")
    return list(exporter.rows(ExportRequest(params=params or {}, **request)))


def commune_row(award, disbursement, student, *, name, recipient):
    return (
        "LS-2026", "Học bổng Lam Sơn", "2025-2026", "Hội Khuyến học xã Lam Sơn", "Chi hội Trường Tiểu học Lam Sơn",
        str(award), student.code, name, "Trường THCS Lam Sơn", 7, "Đã chi", 1_000_000, disbursement.number, DAY,
        "Tiền mặt (có ký nhận)", recipient, 1_000_000,
    )


def test_the_book_masks_students_and_recipients_unless_personal(commune_award, six, program):
    award, disbursement = commune_award
    form = AwardsDisbursementsForm({"program": award.program_id})
    assert form.is_valid(), form.errors

    assert book(form.cleaned_data) == [commune_row(award, disbursement, six["C"], name="H.s.C.", recipient="L.V.S.")]
    assert book(form.cleaned_data, personal=True) == [
        commune_row(award, disbursement, six["C"], name="Học sinh C", recipient="Lò Văn Sáng")
    ]


def test_the_book_runs_by_program_then_unit_and_filters_by_status(commune_award, six, program, units):
    awards.allocation_run(program=program)
    proposed = Award.objects.filter(program=program, status="proposed")

    rows = book()

    assert [row[0] for row in rows] == ["LS-2026"] + ["NCUM-2026"] * proposed.count()
    province_rows = rows[1:]
    # Inside a program, by the nominating unit's path: Lam Sơn's school before Hạc Thành.
    assert [row[4] for row in province_rows] == sorted(
        (row[4] for row in province_rows), key=lambda name: name != units.school_a.name
    )
    assert all(row[10] == "Đề xuất" and row[12:] == ("", None, "", "", 0) for row in province_rows)
    assert [row[0] for row in book({"status": "paid"})] == ["LS-2026"]


def test_a_commune_auditor_reads_only_the_communes_programs(commune_award, six, program, people):
    awards.allocation_run(program=program)
    units = frozenset(visible_units(people["auditor_a"], roles_with(Action.VIEW, Domain.AWARDS)).values_list("pk", flat=True))

    rows = book(unit_ids=units)

    assert [row[0] for row in rows] == ["LS-2026"]
    assert rows[0][7] == "H.s.C."
    assert book({"program": program}, unit_ids=units) == []


def test_a_student_named_like_a_formula_is_escaped(commune_award, six):
    six["C"].full_name = '=HYPERLINK("x")'
    six["C"].save(update_fields=["full_name"])
    csv_rows, xlsx_rows, _manifest = written_rows("awards_disbursements", ExportRequest(params={}, personal=True))

    assert csv_rows[1][7] == xlsx_rows[1][7] == "'=HYPERLINK(\"x\")"
    assert xlsx_rows[1][11] == 1_000_000 and xlsx_rows[1][16] == 1_000_000


def test_the_book_reads_two_queries_whatever_the_rows(commune_award, program, django_assert_num_queries):
    awards.allocation_run(program=program)
    # The awards joined to program, units and student; the vouchers of the (one) chunk.
    with django_assert_num_queries(2):
        rows = book()
    assert len(rows) > 1
    assert exporter_get("awards_disbursements").count(ExportRequest(params={})) == len(rows)  # the progress bar's total

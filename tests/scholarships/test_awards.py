"""Programs, nominations, allocation runs, the committee's decisions and payment, as worked examples.

The scene: the province association runs "Nâng cánh ước mơ 2026-2027", 2.000.000 ₫ an award,
paid from the general fund QKH (10.000.000 ₫ in the bank, 6.000.000 ₫ of it for this program)
and from a fund for poor households only, NCUM (4.000.000 ₫, all of it for the program). Six
students are nominated; the rubric gives points for the average score alone, so the ranking is
plain to read: A 95, B 90 (poor), C 85 (poor), D 80, E 75, F 70 (poor).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, JournalLine
from fundmgr.ledger.selectors import fund_balances, funds_available
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post, ledger_verify
from scholarships.models import Award, Disbursement, ScholarshipProgram
from scholarships.services import awards

from .conftest import DAY, RUBRIC, make_student

pytestmark = pytest.mark.django_db


def funded(run):
    return {decision["student"]: decision["shares"] for decision in run.decisions if decision["reason"] == "funded"}


def letters(six, student_ids):
    by_id = {student.pk: letter for letter, student in six.items()}
    return sorted(by_id[student_id] for student_id in student_ids)


# --- programs and nominations ----------------------------------------------------------------

def test_a_nomination_is_scored_by_the_programs_rubric_with_its_breakdown(program, six):
    nomination = six["B"].nominations.get()
    assert nomination.score == 90
    assert nomination.score_breakdown == [
        {"code": "gpa", "label": "Điểm trung bình", "value": "9.1", "points": 90},
    ]
    assert AuditEvent.objects.filter(source="service", model_label="scholarships.nomination", action="create").count() == 6


def test_nominations_are_refused_with_a_reason(program, six, units, people):
    with pytest.raises(ValidationError) as raised:
        awards.nomination_create(program=program, student=six["A"])
    assert raised.value.messages == ["Học sinh đã được đề cử vào chương trình này."]

    awards.program_close(program=program, by=people["committee"])
    late = make_student(units.school_a, national_id="038313009999")
    with pytest.raises(ValidationError) as raised:
        awards.nomination_create(program=program, student=late)
    assert raised.value.messages == ["Chương trình đã khóa, không nhận đề cử."]


def test_a_program_refuses_a_bad_rubric_and_a_foreign_fund(units, funds):
    general, _poor_only = funds
    foreign = Fund.objects.create(code="XA", name="Quỹ của xã B", unit=units.commune_b)
    with pytest.raises(ValidationError) as raised:
        awards.program_create(
            unit=units.commune_a, code="x", name="X", school_year="2026", award_amount=0, rubric=[{"code": "A"}],
            funds={foreign: 1_000_000, general: -5},
        )
    errors = raised.value.message_dict
    assert errors["award_amount"] == ["Mức học bổng phải là một số đồng lớn hơn 0."]
    assert errors["school_year"] == ["Năm học viết dạng 2026-2027 (hai năm liền nhau)."]
    assert errors["funds"] == [
        "Quỹ “Quỹ của xã B” do đơn vị khác quản lý; chỉ đơn vị quản lý quỹ mới lập chương trình chi từ quỹ.",
        "Quỹ “Quỹ Khuyến học tỉnh” do đơn vị khác quản lý; chỉ đơn vị quản lý quỹ mới lập chương trình chi từ quỹ.",
        "Ngân sách của quỹ “Quỹ Khuyến học tỉnh” phải là số đồng không âm.",
    ]
    assert "rubric" in errors
    assert not ScholarshipProgram.objects.exists()


# --- the allocation run --------------------------------------------------------------------

def test_the_run_moves_poor_students_onto_the_restricted_fund_to_make_room(program, six, funds, people):
    general, poor_only = funds
    run = awards.allocation_run(program=program, by=people["committee"])

    # QKH pays 3 awards and NCUM 2. Taken in order, B and C first took QKH money; D and E could
    # only be paid from QKH, so B and C were moved onto the poor-only fund. F, poor too, finds
    # both funds taken by higher-ranked students.
    shares = funded(run)
    assert letters(six, shares) == ["A", "B", "C", "D", "E"]
    assert shares[six["B"].pk] == {str(poor_only.pk): 2_000_000}
    assert shares[six["C"].pk] == {str(poor_only.pk): 2_000_000}
    assert shares[six["D"].pk] == {str(general.pk): 2_000_000}
    refused = {decision["student"]: decision for decision in run.decisions if decision["reason"] != "funded"}
    assert list(refused) == [six["F"].pk]
    assert refused[six["F"].pk]["reason"] == "budget_used_by_higher_priority"
    assert refused[six["F"].pk]["rank"] == 6
    assert (run.funded_count, run.funded_amount) == (5, 10_000_000)
    assert Award.objects.filter(status="proposed").count() == 5
    # Proposals are not commitments yet: the ledger's available money is untouched.
    assert funds_available([general, poor_only]) == {general.pk: 10_000_000, poor_only.pk: 4_000_000}


def test_a_run_is_deterministic_and_supersedes_undecided_proposals(program, six, people):
    first = awards.allocation_run(program=program, by=people["committee"])
    second = awards.allocation_run(program=program, by=people["committee"])
    assert second.inputs_sha256 == first.inputs_sha256
    assert second.decisions == first.decisions
    assert Award.objects.filter(run=first, status="superseded").count() == 5
    assert Award.objects.filter(run=second, status="proposed").count() == 5


def quota_program(units, funds, quota):
    """A program of 1.000.000 ₫ awards from the general fund, with a quota for commune A."""
    general, _poor_only = funds
    return awards.program_create(
        unit=units.province, code=f"q{quota}", name=f"Chỉ tiêu {quota} suất", school_year="2026-2027",
        award_amount=1_000_000, rubric=RUBRIC, funds={general: 10_000_000}, quotas={units.commune_a: quota},
    )


def test_unit_quotas_count_the_schools_below_the_commune(units, funds, people):
    program = quota_program(units, funds, 1)
    in_branch = make_student(units.school_a, national_id="038313000101", average_score="9.6")
    in_commune = make_student(units.commune_a, national_id="038313000102", average_score="9.1")
    elsewhere = make_student(units.commune_b, national_id="038313000103", average_score="7.1")
    for student in (in_branch, in_commune, elsewhere):
        awards.nomination_create(program=program, student=student)

    run = awards.allocation_run(program=program)

    reasons = {decision["student"]: decision["reason"] for decision in run.decisions}
    assert reasons == {in_branch.pk: "funded", in_commune.pk: "quota_reached", elsewhere.pk: "funded"}


def test_a_quota_explanation_names_the_programs_quota_and_what_used_it(units, funds, people):
    # The quota is 3; one award was approved in a first run, so a second run may fund 2 more.
    # It used to say "đủ chỉ tiêu 2 suất": the remainder, which nobody reading it had set.
    program = quota_program(units, funds, 3)
    first = make_student(units.school_a, national_id="038313000201", average_score="9.9")
    awards.nomination_create(program=program, student=first)
    awards.allocation_run(program=program)
    awards.award_approve(award=Award.objects.get(student=first, status="proposed"), by=people["committee"])
    later = [
        make_student(units.school_a, national_id=f"03831300021{number}", average_score=f"9.{8 - number}")
        for number in range(3)
    ]
    for student in later:
        awards.nomination_create(program=program, student=student)

    run = awards.allocation_run(program=program)

    refused = [decision for decision in run.decisions if decision["reason"] == "quota_reached"]
    assert [decision["student"] for decision in refused] == [later[2].pk]
    assert refused[0]["explanation"] == (
        f"Không được cấp: {units.commune_a.name} đã đủ chỉ tiêu 3 suất (1 suất đã duyệt trước đợt xét "
        "này, 2 suất còn lại đã dành cho các học sinh xếp trên)."
    )


# --- the committee's decisions -------------------------------------------------------------

def test_approved_awards_are_commitments_the_ledger_keeps_aside(program, six, funds, people):
    general, poor_only = funds
    awards.allocation_run(program=program)
    for award in Award.objects.filter(status="proposed").order_by("pk"):
        awards.award_approve(award=award, by=people["committee"])

    assert funds_available([general, poor_only]) == {general.pk: 4_000_000, poor_only.pk: 0}
    event = AuditEvent.objects.filter(source="service", model_label="scholarships.award", action="transition").first()
    # The decision's row names the decider and that they had declared no conflict of interest.
    assert event.before == {"status": "proposed"} and event.after == {
        "status": "approved", "decided_by_id": people["committee"].pk, "conflict_check": "none_declared",
    }
    assert event.unit_id == program.unit_id
    # Anyone else who now spends from the poor-only fund is refused: its money is promised.
    with pytest.raises(InsufficientFunds):
        entry_post(unit=program.unit, date=DAY, memo="Chi khác", lines=[
            Line(accounts.SCHOLARSHIP_EXPENSE, poor_only, debit=1), Line(accounts.BANK, poor_only, credit=1),
        ])


def test_approval_is_refused_when_the_money_is_gone_and_nothing_changes(program, six, funds, units):
    general, _poor_only = funds
    awards.allocation_run(program=program)
    # Meanwhile the treasurer pays 9.000.000 ₫ of prizes from QKH: only 1.000.000 ₫ is left.
    entry_post(unit=units.province, date=DAY, memo="Chi khen thưởng", lines=[
        Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=9_000_000), Line(accounts.BANK, general, credit=9_000_000),
    ])
    award = Award.objects.get(student=six["A"])

    with pytest.raises(InsufficientFunds) as raised:
        awards.award_approve(award=award)
    assert "Quỹ Khuyến học tỉnh" in raised.value.messages[0]
    award.refresh_from_db()
    assert award.status == "proposed"


def test_a_rejection_needs_a_reason_and_keeps_it(program, six, people):
    awards.allocation_run(program=program)
    award = Award.objects.get(student=six["E"])
    with pytest.raises(ValidationError) as raised:
        awards.award_reject(award=award, reason=" ")
    assert raised.value.message_dict == {"reason": ["Cần ghi lý do khi không duyệt một đề xuất."]}

    awards.award_reject(award=award, by=people["committee"], reason="Gia đình đã thoát nghèo")
    award.refresh_from_db()
    assert (award.status, award.decision_reason, award.decided_by) == ("rejected", "Gia đình đã thoát nghèo", people["committee"])


def test_one_award_per_student_per_school_year_across_programs(program, six, funds, units, people):
    general, _poor_only = funds
    awards.allocation_run(program=program)
    awards.award_approve(award=Award.objects.get(student=six["A"]))
    other = awards.program_create(
        unit=units.province, code="khac", name="Chương trình khác", school_year="2026-2027", award_amount=500_000,
        rubric=RUBRIC, funds={general: 1_000_000},
    )
    awards.nomination_create(program=other, student=six["A"])
    run = awards.allocation_run(program=other)
    assert [decision["reason"] for decision in run.decisions] == ["already_awarded"]


# --- payment -------------------------------------------------------------------------------

def test_paying_an_award_numbers_a_voucher_and_posts_the_expense(program, six, funds, people):
    general, poor_only = funds
    awards.allocation_run(program=program)
    award_b = Award.objects.get(student=six["B"])
    award_a = Award.objects.get(student=six["A"])
    for award in (award_a, award_b):
        awards.award_approve(award=award)

    first = awards.award_disburse(
        award=award_b, method="cash", paid_on=DAY, recipient_name="Lò Văn Sáng", by=people["treasurer"],
    )
    second = awards.award_disburse(
        award=award_a, method="bank_transfer", paid_on=DAY, recipient_name="Học sinh A",
        bank_reference="FT26324000111", by=people["treasurer"],
    )

    assert (first.number, second.number) == ("PC-2026-000001", "PC-2026-000002")
    lines = sorted(JournalLine.objects.filter(entry=first.entry).values_list("account__code", "fund__code", "debit", "credit"))
    assert lines == [("111", "NCUM", 0, 2_000_000), ("611", "NCUM", 2_000_000, 0)]
    assert "Lò" not in first.entry.memo and "Học sinh" not in first.entry.memo  # no child's name in the ledger
    assert first.entry.memo == f"Chi học bổng {award_b} – NCUM-2026 2026-2027 – phiếu chi PC-2026-000001"
    assert fund_balances()[poor_only.pk] == 2_000_000
    # Paid money is spent, no longer promised: available = balance − what is still approved.
    assert funds_available([general, poor_only]) == {general.pk: 8_000_000, poor_only.pk: 2_000_000}
    award_b.refresh_from_db()
    assert award_b.status == "paid"
    event = AuditEvent.objects.get(
        source="service", model_label="scholarships.disbursement", action="create", object_id=str(first.pk)
    )
    assert event.after["recipient_name"] == "L.V.S." and event.after["amount"] == 2_000_000
    assert ledger_verify().ok


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"recipient_name": " "}, {"recipient_name": ["Cần ghi tên người nhận (học sinh hoặc người giám hộ)."]}),
        ({"method": "bank_transfer"}, {"bank_reference": ["Chuyển khoản cần mã giao dịch ngân hàng."]}),
        ({"paid_on": datetime.date(2999, 1, 1)}, {"paid_on": ["Ngày chi không hợp lệ (không được ở tương lai)."]}),
    ],
)
def test_a_bad_payment_is_refused_and_writes_nothing(program, six, fields, errors):
    awards.allocation_run(program=program)
    award = Award.objects.get(student=six["A"])
    awards.award_approve(award=award)
    entries_before = JournalLine.objects.count()

    with pytest.raises(ValidationError) as raised:
        awards.award_disburse(award=award, **{"method": "cash", "paid_on": DAY, "recipient_name": "Bố", **fields})

    assert raised.value.message_dict == errors
    assert JournalLine.objects.count() == entries_before and not Disbursement.objects.exists()
    award.refresh_from_db()
    assert award.status == "approved"


def test_an_unapproved_award_cannot_be_paid(program, six):
    awards.allocation_run(program=program)
    with pytest.raises(ValidationError) as raised:
        awards.award_disburse(award=Award.objects.get(student=six["A"]), method="cash", paid_on=DAY, recipient_name="Bố")
    assert raised.value.messages == ["Chỉ chi được suất học bổng đã duyệt và chưa chi."]


def test_the_allocate_command_runs_the_program(program, six, capsys):
    call_command("allocate", "NCUM-2026")
    out = capsys.readouterr().out
    assert "5 of 6 funded, 10.000.000\u00a0₫" in out
    assert "#6 nomination" in out and "budget_used_by_higher_priority" in out


def test_a_runs_query_count_does_not_grow_with_the_nominations(units, funds, django_assert_max_num_queries):
    general, poor_only = funds

    def program_with(count, code, prefix):
        program = awards.program_create(
            unit=units.province, code=code, name=code, school_year="2026-2027", award_amount=100_000,
            rubric=RUBRIC, funds={general: 3_000_000, poor_only: 1_000_000},
        )
        for number in range(count):
            student = make_student(units.school_a, national_id=f"0383{prefix}{number:06d}", poor_household=number % 2 == 0)
            awards.nomination_create(program=program, student=student)
        return program

    small, large = program_with(3, "S1", "11"), program_with(30, "L1", "22")
    awards.allocation_run(program=small)
    with django_assert_max_num_queries(30) as few:
        awards.allocation_run(program=small)
    with django_assert_max_num_queries(len(few.captured_queries)):
        awards.allocation_run(program=large)


def test_a_run_is_stored_in_vietnamese_whatever_language_started_it(program, six):
    from django.utils import translation

    with translation.override("en"):
        run = awards.allocation_run(program=program)
    refused = [decision for decision in run.decisions if decision["reason"] != "funded"]
    assert refused[0]["explanation"].startswith("Không được cấp")


def test_closing_a_closed_program_is_refused(program, people):
    awards.program_close(program=program, by=people["committee"])
    with pytest.raises(ValidationError) as raised:
        awards.program_close(program=program)
    assert raised.value.messages == ["Chương trình đã khóa."]


# --- the committee's override --------------------------------------------------------------

def test_the_committee_grants_an_award_the_run_did_not_propose_with_a_reason(program, six, funds, people):
    general, poor_only = funds
    awards.allocation_run(program=program)
    awards.award_reject(award=Award.objects.get(student=six["E"]), reason="Gia đình đã thoát nghèo")
    nomination_f = six["F"].nominations.get()

    with pytest.raises(ValidationError) as raised:
        awards.award_grant(nomination=nomination_f, fund=general, reason=" ")
    assert raised.value.message_dict == {"reason": ["Cấp ngoài đề xuất cần ghi lý do."]}

    award = awards.award_grant(
        nomination=nomination_f, fund=general, by=people["committee"], reason="Em vừa mồ côi cha, hoàn cảnh đặc biệt",
    )

    assert (award.status, award.amount, award.decision_reason) == ("approved", 2_000_000, "Em vừa mồ côi cha, hoàn cảnh đặc biệt")
    assert [(share.fund, share.amount) for share in award.shares.all()] == [(general, 2_000_000)]
    assert funds_available([general])[general.pk] == 8_000_000
    event = AuditEvent.objects.get(source="service", model_label="scholarships.award", action="create", object_id=str(award.pk))
    assert event.after["override"] is True and event.after["fund"] == "QKH" and event.actor == people["committee"]


def test_an_override_still_respects_restrictions_budgets_and_proposals(program, six, funds, units):
    general, poor_only = funds
    awards.allocation_run(program=program)
    nomination_a, nomination_f = six["A"].nominations.get(), six["F"].nominations.get()
    outsider = Fund.objects.create(code="KHAC", name="Quỹ khác", unit=units.province)

    def refusal(**kwargs):
        with pytest.raises(ValidationError) as raised:
            awards.award_grant(reason="Ngoại lệ", **kwargs)
        return raised.value.messages

    assert refusal(nomination=nomination_a, fund=general) == [
        "Học sinh đã có đề xuất trong lần phân bổ gần nhất: hãy duyệt đề xuất đó.",
    ]
    assert refusal(nomination=nomination_f, fund=outsider) == ["Quỹ này không chi cho chương trình."]
    nomination_d = six["D"].nominations.get()
    awards.award_reject(award=Award.objects.get(student=six["D"]), reason="Đổi ý")
    assert refusal(nomination=nomination_d, fund=poor_only) == ["Quỹ này không được phép chi cho học sinh này."]
    # The program's budget on NCUM (4.000.000 ₫) is fully used once B and C are approved.
    for letter in "BC":
        awards.award_approve(award=Award.objects.get(student=six[letter]))
    assert refusal(nomination=nomination_f, fund=poor_only) == ["Ngân sách chương trình trên quỹ này chỉ còn 0\u00a0₫."]
    assert not Award.objects.filter(student=six["F"]).exists()

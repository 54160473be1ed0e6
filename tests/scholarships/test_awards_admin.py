"""The scholarship pipeline in the admin, as the people who use it go through it.

The committee creates a program on its add page and runs the allocation from the list; it
approves and rejects the proposed awards; the treasurer pays one; the auditor reads everything
and can do nothing; a nominator nominates the students of their own units and sees only theirs.
The scene is `test_awards.py`'s (conftest): QKH (6.000.000 ₫ for the program) and the poor-only
NCUM (4.000.000 ₫), 2.000.000 ₫ an award, six students A–F ranked by their average score; A, B,
C at a school of commune A, D, E, F in commune B.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from fundmgr.ledger.services import Line, entry_post
from scholarships.models import (
    AllocationJob,
    AllocationRun,
    Award,
    Disbursement,
    Nomination,
    ProgramFund,
    ProgramQuota,
    ScholarshipProgram,
)
from scholarships.services import awards

from .conftest import DAY, RUBRIC, make_student

pytestmark = pytest.mark.django_db

PROGRAMS = "admin:scholarships_scholarshipprogram_changelist"
AWARDS = "admin:scholarships_award_changelist"
NOMINATIONS = "admin:scholarships_nomination_changelist"
RUNS = "admin:scholarships_allocationrun_changelist"
DISBURSEMENTS = "admin:scholarships_disbursement_changelist"


def messages_of(client) -> list[str]:
    """The messages the user sees on the next page they open (which also clears them)."""
    return [str(message) for message in client.get(reverse("admin:index")).context["messages"]]


def act(client, url_name, action, objects, headers=None, **data):
    """Post an admin action on the changelist, as the action dropdown does."""
    return client.post(
        reverse(url_name), {"action": action, "_selected_action": [obj.pk for obj in objects], **data},
        headers=headers,
    )


def offered_actions(client) -> list[str]:
    choices = client.get(reverse(AWARDS)).context["action_form"].fields["action"].choices
    return [name for name, _label in choices if name]


def award_of(student) -> Award:
    return Award.objects.exclude(status=Award.Status.SUPERSEDED).get(student=student)


@pytest.fixture
def proposed(program, six):
    """The run has proposed A, B, C, D and E (F is left out: the money went to higher ranks)."""
    awards.allocation_run(program=program)
    return {letter: award_of(student) for letter, student in six.items() if letter != "F"}


# --- programs -------------------------------------------------------------------------------------

def program_form(units, funds, **overrides) -> dict:
    general, poor_only = funds
    data = {
        "unit": units.province.pk, "code": "hb-2026", "name": "Học bổng Tết khuyến học", "school_year": "2026-2027",
        "award_amount": "2 triệu", "rubric": json.dumps(RUBRIC, ensure_ascii=False),
        "fund_1_0": general.pk, "fund_1_1": "6 triệu", "fund_2_0": poor_only.pk, "fund_2_1": "4.000.000",
        "quota_1_0": units.commune_a.pk, "quota_1_1": "2",
    }
    data.update(overrides)
    return data


def test_the_committee_creates_a_program_on_the_add_page(client, people, units, funds):
    client.force_login(people["committee"])
    url = reverse("admin:scholarships_scholarshipprogram_add")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert {unit.code for unit in form.fields["unit"].queryset} == {"T", "T-A", "T-A-1", "T-B"}
    assert {fund.code for fund in form.fields["fund_1"].fields[0].queryset} == {"QKH", "NCUM"}
    assert json.loads(form["rubric"].initial)[0]["kind"] == "circumstance"  # a working example to edit

    response = client.post(url, program_form(units, funds))

    program = ScholarshipProgram.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:scholarships_scholarshipprogram_change", args=[program.pk])
    assert (program.code, program.award_amount, program.school_year, program.unit, program.created_by) == (
        "HB-2026", 2_000_000, "2026-2027", units.province, people["committee"],
    )
    assert program.rubric == RUBRIC
    assert sorted(ProgramFund.objects.values_list("fund__code", "budget")) == [("NCUM", 4_000_000), ("QKH", 6_000_000)]
    assert list(ProgramQuota.objects.values_list("unit__code", "max_awards")) == [("T-A", 2)]
    assert AuditEvent.objects.filter(
        source="service", model_label="scholarships.scholarshipprogram", action="create"
    ).count() == 1

    detail = client.get(response["Location"]).content.decode()
    assert "6.000.000\u00a0₫" in detail and "4.000.000\u00a0₫" in detail  # the funds, read-only
    assert "Hội Khuyến học xã Lam Sơn" in detail  # the quota's unit
    assert 'name="_save"' not in detail  # read-only: no save button


def test_a_bad_program_form_shows_each_error_and_creates_nothing(client, people, units, funds):
    client.force_login(people["committee"])
    general, _poor_only = funds
    response = client.post(reverse("admin:scholarships_scholarshipprogram_add"), program_form(
        units, funds, award_amount="hai triệu", rubric="[{", fund_2_0=general.pk, fund_2_1="", quota_1_1="",
    ))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["award_amount"] == ["Không đọc được số tiền. Hãy viết, ví dụ: 1.000.000, 5 triệu hoặc 500k."]
    assert errors["rubric"] == ["Thang điểm không phải JSON hợp lệ (dòng 1, cột 3)."]
    assert errors["fund_2"] == ["Hãy chọn quỹ và nhập ngân sách, hoặc để trống cả hai."]
    assert errors["quota_1"] == ["Hãy chọn đơn vị và nhập số suất, hoặc để trống cả hai."]
    assert not ScholarshipProgram.objects.exists()


def test_the_services_refusals_land_on_the_fields(client, people, units, funds):
    client.force_login(people["committee"])
    response = client.post(reverse("admin:scholarships_scholarshipprogram_add"), program_form(
        units, funds, school_year="2026", fund_1_0="", fund_1_1="", fund_2_0="", fund_2_1="",
        rubric=json.dumps([{"code": "A"}]),
    ))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["school_year"] == ["Năm học viết dạng 2026-2027 (hai năm liền nhau)."]
    assert errors["fund_1"] == ["Chương trình cần ít nhất một quỹ chi trả."]
    assert "rubric" in errors
    assert not ScholarshipProgram.objects.exists()


def test_the_committee_runs_the_allocation_from_the_list(client, people, program, six, django_capture_on_commit_callbacks):
    client.force_login(people["committee"])
    # The run is a job of the worker, enqueued after commit; the tests' tasks are eager.
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, PROGRAMS, "run_allocation_action", [program])

    job = AllocationJob.objects.get()
    job_url = reverse("admin:scholarships_allocationjob_change", args=[job.pk])
    assert (response.status_code, response.url) == (302, job_url)
    run = AllocationRun.objects.get()
    assert run.created_by == people["committee"]
    assert (job.status, job.progress, job.run, job.requested_by) == ("done", 100, run, people["committee"])
    assert messages_of(client) == [
        f'Nâng cánh ước mơ (2026-2027): đã bắt đầu chạy phân bổ. <a href="{job_url}">Xem tiến độ</a>'
    ]
    # The job's page: the progress bar at 100 % and the run it made; it no longer refreshes itself.
    page = client.get(job_url).content.decode()
    assert '<progress class="allocation-progress" max="100" value="100">' in page
    assert reverse("admin:scholarships_allocationrun_change", args=[run.pk]) in page
    assert 'http-equiv="refresh"' not in page
    assert Award.objects.filter(status="proposed").count() == 5
    assert run.decisions[0]["explanation"] == "Được cấp 2.000.000\u00a0₫ từ Quỹ Khuyến học tỉnh."

    # The run's page explains every decision; the list counts the nominations and approvals.
    page = client.get(reverse("admin:scholarships_allocationrun_change", args=[run.pk])).content.decode()
    assert run.inputs_sha256 in page
    assert six["F"].code in page and "Tiền của các quỹ được nhận đã dành cho học sinh xếp trên" in page
    assert "NCUM: 2.000.000\u00a0₫" in page
    assert "Học sinh A" not in page  # codes, never names
    programs = client.get(reverse(PROGRAMS))
    row = programs.context["cl"].result_list[0]
    assert (row.nominations_count, row.approved_count) == (6, 0)


def test_a_run_started_from_an_english_browser_is_stored_in_vietnamese(
    client, people, program, six, django_capture_on_commit_callbacks,
):
    client.force_login(people["committee"])
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, PROGRAMS, "run_allocation_action", [program], headers={"Accept-Language": "en"})
    assert response.status_code == 302
    explanations = {decision["reason"]: decision["explanation"] for decision in AllocationRun.objects.get().decisions}
    assert explanations["funded"].startswith("Được cấp")
    assert explanations["budget_used_by_higher_priority"].startswith("Không được cấp")


def test_closing_a_program_asks_first_then_stops_runs(client, people, program, six):
    client.force_login(people["committee"])
    page = act(client, PROGRAMS, "close_action", [program])
    assert page.status_code == 200 and "Khóa các chương trình này" in page.content.decode()
    program.refresh_from_db()
    assert program.status == "open"

    act(client, PROGRAMS, "close_action", [program], apply="1")
    assert messages_of(client) == ["Đã khóa 1 chương trình."]
    program.refresh_from_db()
    assert program.status == "closed"

    act(client, PROGRAMS, "run_allocation_action", [program])
    assert messages_of(client) == ["Nâng cánh ước mơ (2026-2027): Chương trình đã khóa."]
    assert not AllocationRun.objects.exists()


# --- the committee's decisions --------------------------------------------------------------------

def test_the_committee_approves_two_awards_and_rejects_one_with_a_reason(client, people, proposed):
    client.force_login(people["committee"])
    act(client, AWARDS, "approve_action", [proposed["A"], proposed["B"]])
    assert messages_of(client) == ["Đã duyệt 2 suất học bổng."]
    for letter in "AB":
        proposed[letter].refresh_from_db()
        assert (proposed[letter].status, proposed[letter].decided_by) == ("approved", people["committee"])

    # Without a reason: the form says so, and nothing changes.
    page = act(client, AWARDS, "reject_action", [proposed["E"]])
    assert page.status_code == 200 and not page.context["form"].is_bound
    refused = act(client, AWARDS, "reject_action", [proposed["E"]], apply="1", reason="   ")
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"reason": ["Trường này là bắt buộc."]}
    proposed["E"].refresh_from_db()
    assert proposed["E"].status == "proposed"

    act(client, AWARDS, "reject_action", [proposed["E"]], apply="1", reason="Gia đình đã thoát nghèo")
    assert messages_of(client) == ["Đã không duyệt 1 suất học bổng."]
    proposed["E"].refresh_from_db()
    assert (proposed["E"].status, proposed["E"].decision_reason) == ("rejected", "Gia đình đã thoát nghèo")


def test_one_refusal_does_not_undo_the_other_approvals(client, people, proposed, funds, units):
    general, _poor_only = funds
    awards.award_reject(award=proposed["E"], reason="Đã nhận học bổng khác")
    # The treasurer spends all of QKH but 2.000.000 ₫: D (QKH only) no longer fits once A takes it.
    entry_post(unit=units.province, date=DAY, memo="Chi khen thưởng", lines=[
        Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=8_000_000), Line(accounts.BANK, general, credit=8_000_000),
    ])
    client.force_login(people["committee"])

    act(client, AWARDS, "approve_action", [proposed["A"], proposed["D"], proposed["E"]])

    assert messages_of(client) == [
        f"{proposed['D']}: Quỹ “Quỹ Khuyến học tỉnh” không đủ tiền khả dụng để chi 2.000.000\u00a0₫: "
        "chỉ còn 0\u00a0₫.",
        f"{proposed['E']}: Chỉ duyệt được suất đang ở trạng thái đề xuất.",
        "Đã duyệt 1 suất học bổng.",
    ]
    decided = Award.objects.filter(pk__in=[award.pk for award in proposed.values()])
    assert dict(decided.values_list("student__full_name", "status")) == {
        "Học sinh A": "approved", "Học sinh B": "proposed", "Học sinh C": "proposed", "Học sinh D": "proposed",
        "Học sinh E": "rejected",
    }


def test_the_committee_cannot_pay(client, people, proposed):
    awards.award_approve(award=proposed["A"])
    client.force_login(people["committee"])
    assert offered_actions(client) == ["approve_action", "reject_action", "certificates_action"]

    act(client, AWARDS, "pay_action", [proposed["A"]], apply="1", method="cash",
        paid_on=timezone.localdate().isoformat(), recipient_name="Bố")
    assert not Disbursement.objects.exists()


# --- payment --------------------------------------------------------------------------------------

def test_the_treasurer_pays_one_award_and_gets_a_voucher_number(client, people, proposed):
    for letter in "AB":
        awards.award_approve(award=proposed[letter], by=people["committee"])
    client.force_login(people["treasurer"])
    assert offered_actions(client) == ["pay_action", "transfer_batch_action", "certificates_action"]

    act(client, AWARDS, "pay_action", [proposed["A"], proposed["B"]])
    assert messages_of(client) == ["Hãy chọn đúng một suất học bổng để chi trả."]

    page = act(client, AWARDS, "pay_action", [proposed["B"]])
    assert page.status_code == 200 and "Chi trả và lập phiếu chi" in page.content.decode()

    # A bad form shows its errors on the fields and writes nothing.
    lines_before = JournalLine.objects.count()
    bad = act(client, AWARDS, "pay_action", [proposed["B"]], apply="1", method="bank_transfer",
              paid_on=timezone.localdate().isoformat(), recipient_name=" ", bank_reference="")
    assert bad.status_code == 200
    assert bad.context["form"].errors == {
        "recipient_name": ["Cần ghi tên người nhận (học sinh hoặc người giám hộ)."],
        "bank_reference": ["Chuyển khoản cần mã giao dịch ngân hàng."],
    }
    assert not Disbursement.objects.exists() and JournalLine.objects.count() == lines_before
    proposed["B"].refresh_from_db()
    assert proposed["B"].status == "approved"

    today = timezone.localdate()
    paid = act(client, AWARDS, "pay_action", [proposed["B"]], apply="1", method="cash",
               paid_on=today.isoformat(), recipient_name="Lò Văn Sáng", bank_reference="")

    assert paid.status_code == 302
    assert messages_of(client) == [
        f"Đã chi 2.000.000\u00a0₫ cho suất {proposed['B']}: phiếu chi PC-{today.year}-000001."
    ]
    disbursement = Disbursement.objects.get()
    assert (disbursement.award, disbursement.number, disbursement.created_by) == (
        proposed["B"], f"PC-{today.year}-000001", people["treasurer"],
    )
    assert JournalLine.objects.filter(entry=disbursement.entry).count() == 2
    proposed["B"].refresh_from_db()
    assert proposed["B"].status == "paid"

    # The voucher list shows the treasurer the name they wrote, and links the ledger entry.
    vouchers = client.get(reverse(DISBURSEMENTS)).content.decode()
    assert f"PC-{today.year}-000001" in vouchers and "Lò Văn Sáng" in vouchers
    assert reverse("admin:ledger_journalentry_change", args=[disbursement.entry_id]) in vouchers


# --- the auditor reads, and does nothing -----------------------------------------------------------

@pytest.fixture
def paid(proposed, people):
    awards.award_approve(award=proposed["A"], by=people["committee"])
    awards.award_reject(award=proposed["E"], by=people["committee"], reason="Gia đình đã thoát nghèo")
    return awards.award_disburse(award=proposed["A"], method="cash", paid_on=timezone.localdate(),
                                 recipient_name="Lò Văn Sáng", by=people["treasurer"])


def test_the_auditor_sees_everything_read_only_and_has_no_actions(client, people, program, paid):
    client.force_login(people["auditor"])
    # No actions that write, not even delete; only the papers to read (masked for the auditor).
    read_actions = {PROGRAMS: ["signature_list_action"], DISBURSEMENTS: ["voucher_action"], AWARDS: ["certificates_action"]}
    for name in (PROGRAMS, AWARDS, RUNS, NOMINATIONS, DISBURSEMENTS):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert response.context["cl"].result_count > 0, name
        form = response.context["action_form"]
        actions = [] if form is None else [value for value, _label in form.fields["action"].choices if value]
        assert actions == read_actions.get(name, []), name
    for name in ("scholarshipprogram", "nomination", "allocationrun", "award", "disbursement"):
        assert client.get(reverse(f"admin:scholarships_{name}_add")).status_code == 403, name
    award_page = client.get(reverse("admin:scholarships_award_change", args=[paid.award_id])).content.decode()
    assert 'name="_save"' not in award_page and paid.number in award_page
    # The auditor checks the money went to someone, not who the family is: initials only.
    vouchers = client.get(reverse(DISBURSEMENTS)).content.decode()
    assert "Lò Văn Sáng" not in vouchers and "L.V.S." in vouchers

    statuses = dict(Award.objects.values_list("pk", "status"))
    for action in ("approve_action", "reject_action", "pay_action"):
        act(client, AWARDS, action, Award.objects.all(), apply="1", reason="x", method="cash",
            paid_on=timezone.localdate().isoformat(), recipient_name="x")
    act(client, PROGRAMS, "run_allocation_action", [program])
    assert dict(Award.objects.values_list("pk", "status")) == statuses
    assert AllocationRun.objects.count() == 1 and Disbursement.objects.count() == 1


def test_the_committee_reads_the_voucher_number_without_a_link_to_the_money_page(client, people, paid):
    voucher_url = reverse("admin:scholarships_disbursement_change", args=[paid.pk])
    client.force_login(people["committee"])
    page = client.get(reverse("admin:scholarships_award_change", args=[paid.award_id])).content.decode()
    assert paid.number in page and voucher_url not in page
    assert client.get(voucher_url).status_code == 403
    client.force_login(people["treasurer"])
    page = client.get(reverse("admin:scholarships_award_change", args=[paid.award_id])).content.decode()
    assert voucher_url in page


# --- nominators -----------------------------------------------------------------------------------

def test_a_nominator_nominates_a_student_of_their_units(client, people, units, program):
    mine = make_student(units.school_a, national_id="038313000201", average_score="9.2")
    theirs = make_student(units.commune_b, national_id="038313000202", average_score="9.4")
    client.force_login(people["nominator_a"])
    url = reverse("admin:scholarships_nomination_add")
    page = client.get(url)
    form = page.context["form"]
    assert list(form.fields["program"].queryset) == [program]
    assert list(form.fields["student"].queryset) == [mine]
    # The nominee is an autocomplete (the admin's own view, scoped: test_nominee_autocomplete.py).
    body = page.content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in body and 'data-model-name="nomination"' in body
    assert "Lò Thị Mai" not in body  # no child is listed in the page itself

    refused = client.post(url, {"program": program.pk, "student": theirs.pk})
    assert refused.status_code == 200 and "student" in refused.context["form"].errors
    assert not Nomination.objects.exists()

    response = client.post(url, {"program": program.pk, "student": mine.pk})

    nomination = Nomination.objects.get()
    assert response.status_code == 302
    assert (nomination.student, nomination.score, nomination.nominated_by) == (mine, 90, people["nominator_a"])
    assert messages_of(client) == [f"Đã đề cử {mine.code} vào chương trình Nâng cánh ước mơ (2026-2027): 90 điểm."]
    detail = client.get(response["Location"]).content.decode()
    assert "<td>Điểm trung bình</td><td>9.20</td><td>90</td>" in detail

    again = client.post(url, {"program": program.pk, "student": mine.pk})
    assert again.context["form"].non_field_errors() == ["Học sinh đã được đề cử vào chương trình này."]
    assert Nomination.objects.count() == 1


def test_a_closed_program_is_not_offered(client, people, program):
    awards.program_close(program=program)
    client.force_login(people["nominator_a"])
    page = client.get(reverse("admin:scholarships_nomination_add"))
    assert list(page.context["form"].fields["program"].queryset) == []


def test_a_nominator_of_commune_b_sees_neither_commune_as_nominations_nor_any_award(client, people, six, proposed):
    client.force_login(people["nominator_b"])
    response = client.get(reverse(NOMINATIONS))
    assert {n.student_id for n in response.context["cl"].result_list} == {six[x].pk for x in "DEF"}
    body = response.content.decode()
    assert six["D"].code in body and six["A"].code not in body
    assert "Học sinh D" not in body  # the list shows record codes, never names

    a_nomination = Nomination.objects.get(student=six["A"])
    assert client.get(reverse("admin:scholarships_nomination_change", args=[a_nomination.pk])).status_code == 302
    # Awards are the committee's: a nominator reads none of them, in any unit.
    assert client.get(reverse(AWARDS)).status_code == 403
    assert client.get(reverse("admin:scholarships_award_change", args=[proposed["D"].pk])).status_code == 403
    assert client.get(reverse(PROGRAMS)).status_code == 403


def test_the_nomination_list_does_not_offer_change_or_delete(client, people, six):
    client.force_login(people["nominator_a"])
    response = client.get(reverse(NOMINATIONS))
    assert response.context["action_form"] is None
    nomination = Nomination.objects.get(student=six["A"])
    page = client.get(reverse("admin:scholarships_nomination_change", args=[nomination.pk])).content.decode()
    assert 'name="_save"' not in page
    delete_url = reverse("admin:scholarships_nomination_delete", args=[nomination.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Nomination.objects.filter(pk=nomination.pk).exists()


# --- query counts ---------------------------------------------------------------------------------

def add_nominations(program, units, count, start):
    for number in range(start, start + count):
        student = make_student(units.school_a, national_id=f"0383140{number:05d}", average_score="8.0")
        awards.nomination_create(program=program, student=student)


def test_the_award_list_runs_a_fixed_number_of_queries(client, people, units, funds, django_assert_max_num_queries):
    """Eleven, for 3 rows or 33: session, user, memberships, the program and unit filters' choices, two
    counts (filtered, total), the user's Django permissions (two, asked by the admin's templates),
    the page's rows with their program and decider joined, and their shares with funds (one prefetch)."""
    general, _poor_only = funds
    entry_post(unit=units.province, date=DAY, memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, general, debit=100_000_000), Line(accounts.DONATION_INCOME, general, credit=100_000_000),
    ])
    program = awards.program_create(
        unit=units.province, code="many", name="Nhiều suất", school_year="2026-2027", award_amount=1_000_000,
        rubric=RUBRIC, funds={general: 100_000_000},
    )
    add_nominations(program, units, 3, 0)
    awards.allocation_run(program=program)
    client.force_login(people["committee"])
    url = reverse(AWARDS)
    client.get(url)
    with django_assert_max_num_queries(11) as small:
        assert client.get(url).context["cl"].result_count == 3
    add_nominations(program, units, 27, 3)
    awards.allocation_run(program=program)
    for award in Award.objects.filter(status="proposed")[:10]:
        awards.award_approve(award=award, by=people["committee"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).context["cl"].result_count == 33


def test_the_program_list_runs_a_fixed_number_of_queries(client, people, units, funds, django_assert_max_num_queries):
    """Ten, for 3 rows or 30: session, user, memberships, the unit and school-year filters' choices, two
    counts, the user's Django permissions (two), and the rows, whose counts of nominations and
    approvals are subqueries of the same query."""
    general, _poor_only = funds

    def programs(start, count):
        for number in range(start, start + count):
            program = awards.program_create(
                unit=units.province, code=f"p{number}", name=f"Chương trình {number}", school_year="2026-2027",
                award_amount=1_000_000, rubric=RUBRIC, funds={general: 1_000_000},
            )
            add_nominations(program, units, 1, number)

    programs(0, 3)
    client.force_login(people["committee"])
    url = reverse(PROGRAMS)
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        assert client.get(url).context["cl"].result_count == 3
    programs(3, 27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["cl"].result_count == 30
    assert {program.nominations_count for program in response.context["cl"].result_list} == {1}


def test_awards_are_found_by_their_code_and_by_the_students_code(client, people, six, proposed):
    client.force_login(people["committee"])
    by_award = client.get(reverse(AWARDS), {"q": str(proposed["C"])})
    assert [award.pk for award in by_award.context["cl"].result_list] == [proposed["C"].pk]
    by_student = client.get(reverse(AWARDS), {"q": six["D"].code.lower()})
    assert [award.pk for award in by_student.context["cl"].result_list] == [proposed["D"].pk]


@pytest.mark.parametrize("name", [PROGRAMS, AWARDS, RUNS, NOMINATIONS, DISBURSEMENTS])
@pytest.mark.parametrize("params", [{"program": "²"}, {"program": "<svg/onload=alert(1)>"}, {"unit": "abc"},
                                    {"unit": "²"}, {"q": "HB-²"}, {"q": "HS-²"}])
def test_odd_filter_and_search_values_find_nothing_instead_of_failing(client, people, paid, name, params):
    client.force_login(people["superuser"])
    response = client.get(reverse(name), params)
    assert response.status_code in (200, 302)  # 302: Django's "?e=1" for a parameter no filter knows
    assert "<svg/onload" not in response.content.decode()


# --- the committee's override -------------------------------------------------------------------

def test_the_committee_grants_an_award_to_a_nominee_the_run_left_out(client, people, proposed, six, funds):
    general, _poor_only = funds
    awards.award_reject(award=proposed["E"], reason="Gia đình đã thoát nghèo")
    nomination = six["F"].nominations.get()
    client.force_login(people["committee"])

    page = act(client, NOMINATIONS, "grant_action", [nomination])
    assert page.status_code == 200 and set(page.context["form"].fields) == {"fund", "reason"}
    without_reason = act(client, NOMINATIONS, "grant_action", [nomination], apply="1", fund=general.pk, reason="")
    assert without_reason.context["form"].errors == {"reason": ["Trường này là bắt buộc."]}
    assert not Award.objects.filter(student=six["F"]).exists()

    act(client, NOMINATIONS, "grant_action", [nomination], apply="1", fund=general.pk, reason="Hoàn cảnh đặc biệt")

    award = Award.objects.get(student=six["F"])
    assert messages_of(client) == [f"Đã cấp suất {award} cho {six['F'].code} (2.000.000\u00a0₫)."]
    assert (award.status, award.decision_reason, award.decided_by) == ("approved", "Hoàn cảnh đặc biệt", people["committee"])


def test_only_the_committee_is_offered_the_override(client, people, proposed):
    for who, offered in (("committee", ["score_action", "grant_action"]), ("nominator_a", []), ("auditor", [])):
        client.force_login(people[who])
        action_form = client.get(reverse(NOMINATIONS)).context["action_form"]  # None: no action at all
        choices = action_form.fields["action"].choices if action_form is not None else []
        assert [name for name, _label in choices if name] == offered, who

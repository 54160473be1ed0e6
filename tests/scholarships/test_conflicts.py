"""Declared conflicts of interest: a committee member is refused every decision on a student they
declared a conflict with — scoring a nomination again, approving, rejecting, granting — through the
admin and through the API alike (one rule, `services.conflicts.conflict_for`, asked by each service);
a member without a conflict decides, and the decision records that they had declared none.

The scene is `test_awards.py`'s (conftest): six students A–F; A, B and C at a school of commune A
(Lam Sơn), D, E, F in commune B; the run proposes A–E. A second member of the province's committee,
`hoidong_2`, declares commune A as their own unit (A, B and C) and F as a relative.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from scholarships.models import Award, ConflictDeclaration, Nomination
from scholarships.services import awards, conflicts

from .conftest import make_student

pytestmark = pytest.mark.django_db

AWARDS = "admin:scholarships_award_changelist"
NOMINATIONS = "admin:scholarships_nomination_changelist"
DECLARATIONS = "admin:scholarships_conflictdeclaration_changelist"


def act(client, url_name, action, objects, **data):
    return client.post(reverse(url_name), {"action": action, "_selected_action": [obj.pk for obj in objects], **data})


def messages_of(client) -> list[str]:
    return [str(message) for message in client.get(reverse("admin:index")).context["messages"]]


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


@pytest.fixture
def member(units):
    user = get_user_model().objects.create_user(username="hoidong_2", password="mật-khẩu-thử-1")
    membership_grant(user=user, unit=units.province, role=Membership.Role.COMMITTEE)
    return user


@pytest.fixture
def proposed(program, six):
    awards.allocation_run(program=program)
    return {letter: Award.objects.get(student=student, status="proposed") for letter, student in six.items() if letter != "F"}


@pytest.fixture
def declared(member, units, six):
    """hoidong_2's two declarations: their own unit (commune A: A, B, C) and a relative (F)."""
    return [
        conflicts.conflict_declare(member=member, unit=units.province, kind="unit", conflict_unit=units.commune_a,
                                   by=member, note="Tôi là chủ tịch hội xã Lam Sơn"),
        conflicts.conflict_declare(member=member, unit=units.province, kind="relative", student=six["F"], by=member),
    ]


def unit_refusal(student, what) -> str:
    return (f"Bạn đã khai xung đột lợi ích (đơn vị của mình: Hội Khuyến học xã Lam Sơn, khai ngày {today()}) với "
            f"hồ sơ {student.code}, nên không được {what}. Một thành viên khác của hội đồng cần quyết định.")


def relative_refusal(student, what) -> str:
    return (f"Bạn đã khai xung đột lợi ích (người thân: học sinh {student.code}, khai ngày {today()}) với "
            f"hồ sơ {student.code}, nên không được {what}. Một thành viên khác của hội đồng cần quyết định.")


def award_unchanged(award):
    award.refresh_from_db()
    return (award.status, award.decided_by_id, award.decider_declared_no_conflict) == ("proposed", None, False)


# --- the rule ---------------------------------------------------------------------------------------

def test_the_rule_covers_a_relative_a_school_by_its_name_and_a_unit_with_the_units_below(member, units, six):
    nomination = {letter: student.nominations.get() for letter, student in six.items()}
    assert conflicts.conflict_for(member, nomination["A"]) is None

    unit = conflicts.conflict_declare(member=member, unit=units.province, kind="unit", conflict_unit=units.commune_a, by=member)
    # commune A covers its school's students (A at school_a), not commune B's (D).
    assert conflicts.conflict_for(member, nomination["A"]) == unit
    assert conflicts.conflict_for(member, nomination["D"]) is None

    relative = conflicts.conflict_declare(member=member, unit=units.province, kind="relative", student=six["D"], by=member)
    assert conflicts.conflict_for(member, nomination["D"]) == relative
    assert conflicts.conflict_for(member, nomination["E"]) is None

    other_school = make_student(units.commune_b, national_id="038313000301", school_name="Trường  THPT Hàm Rồng")
    school = conflicts.conflict_declare(member=member, unit=units.province, kind="school",
                                        school_name="trường thpt hàm rồng", by=member)
    # The school's name as compared: case and spacing do not matter.
    assert conflicts.conflict_for(member, other_school) == school
    # Nobody else is bound by the member's declarations.
    assert conflicts.conflict_for(None, nomination["A"]) is None


def test_a_declaration_is_the_members_own_and_names_its_object(member, people, units, six):
    with pytest.raises(PermissionDenied):
        conflicts.conflict_declare(member=member, unit=units.province, kind="relative", student=six["A"], by=people["committee"])
    with pytest.raises(PermissionDenied):  # a nominator sits on no committee
        conflicts.conflict_declare(member=people["nominator_a"], unit=units.commune_a, kind="relative", student=six["A"],
                                   by=people["nominator_a"])
    with pytest.raises(ValidationError) as error:
        conflicts.conflict_declare(member=member, unit=units.province, kind="school", school_name="  ", by=member)
    assert error.value.message_dict == {"school_name": ["Trường của mình: hãy ghi tên trường như trong hồ sơ học sinh."]}
    assert not ConflictDeclaration.objects.exists()


def test_a_withdrawn_declaration_stays_on_record_and_no_longer_binds(member, units, six, proposed, declared):
    unit_declaration = declared[0]
    with pytest.raises(ValidationError):
        conflicts.conflict_withdraw(declaration=unit_declaration, reason=" ", by=member)
    conflicts.conflict_withdraw(declaration=unit_declaration, reason="Đã thôi chức ở xã", by=member)

    unit_declaration.refresh_from_db()
    assert (unit_declaration.withdrawn_by, unit_declaration.withdrawal_reason) == (member, "Đã thôi chức ở xã")
    assert ConflictDeclaration.objects.count() == 2  # nothing deleted
    awards.award_approve(award=proposed["A"], by=member)
    assert Award.objects.get(pk=proposed["A"].pk).status == "approved"
    with pytest.raises(ValidationError):
        conflicts.conflict_withdraw(declaration=unit_declaration, reason="lần nữa", by=member)


# --- the must-show: refused on each action, through the admin and the API ---------------------------

def test_a_member_with_a_declared_conflict_is_refused_on_each_action_through_the_admin(
    client, member, six, funds, proposed, declared,
):
    general, _poor_only = funds
    client.force_login(member)
    nomination_a = six["A"].nominations.get()

    # Scoring the nomination again.
    act(client, NOMINATIONS, "score_action", [nomination_a])
    assert messages_of(client) == [f"{nomination_a}: {unit_refusal(six['A'], 'chấm điểm hồ sơ này')}"]
    nomination_a.refresh_from_db()
    assert nomination_a.scored_by is None

    # Approving.
    act(client, AWARDS, "approve_action", [proposed["A"]])
    what = f"duyệt suất {proposed['A']}"
    assert messages_of(client) == [f"{proposed['A']}: {unit_refusal(six['A'], what)}"]
    assert award_unchanged(proposed["A"])

    # Rejecting (with a reason).
    act(client, AWARDS, "reject_action", [proposed["B"]], apply="1", reason="Không đủ điều kiện")
    what = f"quyết định không duyệt suất {proposed['B']}"
    assert messages_of(client) == [f"{proposed['B']}: {unit_refusal(six['B'], what)}"]
    assert award_unchanged(proposed["B"])

    # Granting an override to a relative.
    nomination_f = six["F"].nominations.get()
    page = act(client, NOMINATIONS, "grant_action", [nomination_f], apply="1", fund=general.pk, reason="Hoàn cảnh khó")
    assert page.status_code == 200
    assert page.context["form"].non_field_errors() == [relative_refusal(six["F"], "cấp học bổng ngoài đề xuất")]
    assert not Award.objects.filter(student=six["F"]).exists()
    assert not AuditEvent.objects.filter(model_label="scholarships.award", action="transition").exists()


def test_a_member_without_a_conflict_decides_through_the_admin_and_the_record_says_so(
    client, member, people, six, funds, proposed, declared,
):
    general, _poor_only = funds
    # hoidong_2 has no conflict with D (commune B): they decide it.
    client.force_login(member)
    act(client, AWARDS, "approve_action", [proposed["D"]])
    assert messages_of(client) == ["Đã duyệt 1 suất học bổng."]
    proposed["D"].refresh_from_db()
    assert (proposed["D"].status, proposed["D"].decided_by, proposed["D"].decider_declared_no_conflict) == (
        "approved", member, True,
    )
    event = AuditEvent.objects.get(model_label="scholarships.award", object_id=str(proposed["D"].pk), action="transition")
    assert event.actor == member and event.after["conflict_check"] == "none_declared"

    # The other member (no declaration) scores A, approves A, rejects B and grants F.
    client.force_login(people["committee"])
    nomination_a = six["A"].nominations.get()
    act(client, NOMINATIONS, "score_action", [nomination_a])
    assert messages_of(client) == ["Đã chấm lại 1 đề cử."]
    nomination_a.refresh_from_db()
    assert (nomination_a.scored_by, nomination_a.scorer_declared_no_conflict, nomination_a.score) == (people["committee"], True, 95)
    act(client, AWARDS, "approve_action", [proposed["A"]])
    act(client, AWARDS, "reject_action", [proposed["B"]], apply="1", reason="Không đủ điều kiện")
    assert messages_of(client) == ["Đã duyệt 1 suất học bổng.", "Đã không duyệt 1 suất học bổng."]
    act(client, NOMINATIONS, "grant_action", [six["F"].nominations.get()], apply="1", fund=general.pk, reason="Hoàn cảnh khó")
    granted = Award.objects.get(student=six["F"])
    assert (granted.status, granted.decided_by, granted.decider_declared_no_conflict) == ("approved", people["committee"], True)
    for letter, status in (("A", "approved"), ("B", "rejected")):
        proposed[letter].refresh_from_db()
        assert (proposed[letter].status, proposed[letter].decided_by, proposed[letter].decider_declared_no_conflict) == (
            status, people["committee"], True,
        )


def test_a_member_with_a_declared_conflict_is_refused_on_each_action_through_the_api(
    client, member, six, funds, proposed, declared,
):
    client.force_login(member)
    nomination_a = six["A"].nominations.get()

    scored = client.post(f"/api/v1/nominations/{nomination_a.pk}/score/")
    assert scored.status_code == 400
    assert scored.json()["errors"] == {"non_field_errors": [unit_refusal(six["A"], "chấm điểm hồ sơ này")]}
    nomination_a.refresh_from_db()
    assert nomination_a.scored_by is None

    approved = client.post(f"/api/v1/awards/{proposed['A'].pk}/approve/")
    assert approved.status_code == 400
    assert approved.json()["errors"] == {"non_field_errors": [unit_refusal(six["A"], f"duyệt suất {proposed['A']}")]}
    assert award_unchanged(proposed["A"])

    rejected = client.post(f"/api/v1/awards/{proposed['C'].pk}/reject/", {"reason": "Không đủ"}, content_type="application/json")
    assert rejected.status_code == 400
    assert rejected.json()["errors"] == {
        "non_field_errors": [unit_refusal(six["C"], f"quyết định không duyệt suất {proposed['C']}")]
    }
    assert award_unchanged(proposed["C"])

    nomination_f = Nomination.objects.get(student=six["F"])
    granted = client.post("/api/v1/awards/grant/", {"nomination": nomination_f.pk, "fund": "QKH", "reason": "Hoàn cảnh"},
                          content_type="application/json")
    assert granted.status_code == 400
    assert granted.json()["errors"] == {"non_field_errors": [relative_refusal(six["F"], "cấp học bổng ngoài đề xuất")]}
    assert not Award.objects.filter(student=six["F"]).exists()


def test_a_member_without_a_conflict_decides_through_the_api(client, member, people, six, proposed, declared):
    client.force_login(member)
    approved = client.post(f"/api/v1/awards/{proposed['D'].pk}/approve/")  # no conflict with D
    assert approved.status_code == 200 and approved.json()["decider_declared_no_conflict"] is True

    client.force_login(people["committee"])
    nomination_a = six["A"].nominations.get()
    scored = client.post(f"/api/v1/nominations/{nomination_a.pk}/score/")
    assert scored.status_code == 200
    assert (scored.json()["score"], scored.json()["scorer_declared_no_conflict"]) == (95, True)
    rejected = client.post(f"/api/v1/awards/{proposed['E'].pk}/reject/", {"reason": "Nhường suất"}, content_type="application/json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    granted = client.post("/api/v1/awards/grant/", {"nomination": six["F"].nominations.get().pk, "fund": "QKH",
                                                    "reason": "Hoàn cảnh"}, content_type="application/json")
    assert granted.status_code == 201 and granted.json()["decider_declared_no_conflict"] is True


# --- the declarations' admin ------------------------------------------------------------------------

def test_a_member_declares_and_withdraws_their_own_in_the_admin_and_others_read_as_their_role_allows(
    client, member, people, units, six,
):
    client.force_login(member)
    add = reverse("admin:scholarships_conflictdeclaration_add")
    refused = client.post(add, {"unit": units.province.pk, "kind": "relative", "student_code": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"student_code": ["Người thân: hãy chọn học sinh là người thân của bạn."]}
    assert not ConflictDeclaration.objects.exists()

    response = client.post(add, {"unit": units.province.pk, "kind": "relative", "student_code": six["B"].code,
                                 "note": "Cháu ruột"})
    assert response.status_code == 302
    declaration = ConflictDeclaration.objects.get()
    assert (declaration.member, declaration.kind, declaration.student, declaration.note) == (member, "relative", six["B"], "Cháu ruột")
    assert [row.pk for row in client.get(reverse(DECLARATIONS)).context["cl"].result_list] == [declaration.pk]

    # Another member does not see it; the province's auditor reads it (and may not add one).
    client.force_login(people["committee"])
    assert list(client.get(reverse(DECLARATIONS)).context["cl"].result_list) == []
    client.force_login(people["auditor"])
    assert [row.pk for row in client.get(reverse(DECLARATIONS)).context["cl"].result_list] == [declaration.pk]
    assert client.get(add).status_code == 403

    client.force_login(member)
    act(client, DECLARATIONS, "withdraw_action", [declaration], apply="1", reason="Khai nhầm")
    assert messages_of(client) == ["Đã rút lại 1 khai báo."]
    declaration.refresh_from_db()
    assert (declaration.withdrawn_by, declaration.withdrawal_reason) == (member, "Khai nhầm")

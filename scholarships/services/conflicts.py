"""The committee's integrity: declared conflicts of interest, and the one rule that reads them.

A committee member declares what they must not decide on (`conflict_declare`): a relative (one
student), their own school (the school's name as the students' records write it), or their own
unit (its students and those of every unit below it). `conflict_for(member, nomination)` is the
rule: the member's first active declaration that covers the nominee, or None. `conflict_refuse`
turns it into the refusal every deciding service raises before it decides: scoring a nomination
again (`awards.nomination_score`), approving, rejecting and granting an award (`awards.award_*`).
So the admin, the API and any command are refused alike, with a message that names the conflict.

A declaration is never deleted: `conflict_withdraw` keeps the row with who withdrew it, when and
why (an audit row each), so what a member had declared when they decided stays on the record.
Each decision stores `decider_declared_no_conflict` (award) or `scorer_declared_no_conflict`
(nomination), and its audit row says `"conflict_check": "none_declared"`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import visible_units

from ..models import ConflictDeclaration, Nomination, Student

Kind = ConflictDeclaration.Kind

# What a decision's audit row says about conflicts (the decider had declared none for it).
NO_CONFLICT = {"conflict_check": "none_declared"}


def school_key(name: str) -> str:
    """A school's name as compared: case and spacing do not matter ("THCS  Lam Sơn" = "thcs lam sơn")."""
    return " ".join((name or "").split()).casefold()


def conflict_for(member, nomination: Nomination | Student) -> ConflictDeclaration | None:
    """The member's first active declaration that covers the nomination's student, or None.

    One query. A relative covers that student; a school covers every student whose record names
    that school; a unit covers the students of that unit and of the units below it. `member=None`
    (the system: the demo, a command run by the operator) has declared nothing.
    """
    if member is None or not getattr(member, "is_authenticated", False):
        return None
    student = nomination.student if isinstance(nomination, Nomination) else nomination
    declarations = (
        ConflictDeclaration.objects.filter(member=member, withdrawn_at__isnull=True)
        .select_related("conflict_unit").order_by("pk")
    )
    unit_path = student.unit.path
    school = school_key(student.school_name)
    for declaration in declarations:
        if declaration.kind == Kind.RELATIVE and declaration.student_id == student.pk:
            return declaration
        if declaration.kind == Kind.SCHOOL and school_key(declaration.school_name) == school:
            return declaration
        if declaration.kind == Kind.UNIT and unit_path.startswith(declaration.conflict_unit.path):
            return declaration
    return None


def conflict_refuse(member, nomination: Nomination | Student, *, what: str) -> None:
    """Refuse (ValidationError, code `conflict_of_interest`) when `member` declared a conflict
    with the nomination's student (or `student`, with its unit loaded); `what` says which decision
    ("duyệt suất HB-000012")."""
    student = nomination.student if isinstance(nomination, Nomination) else nomination
    declaration = conflict_for(member, student)
    if declaration is not None:
        raise ValidationError(
            _("Bạn đã khai xung đột lợi ích (%(conflict)s, khai ngày %(date)s) với hồ sơ %(student)s, nên không "
              "được %(what)s. Một thành viên khác của hội đồng cần quyết định.")
            % {"conflict": declaration.describe(), "date": timezone.localtime(declaration.declared_at).strftime("%d/%m/%Y"),
               "student": student.code, "what": what},
            code="conflict_of_interest",
        )


def committee_units(member):
    """The units where `member` may decide on awards: the committees a declaration may be made in."""
    return visible_units(member, roles_with(Action.APPROVE, Domain.AWARDS))


def conflict_declare(
    *, member, unit: OrgUnit, kind: str, student: Student | None = None, school_name: str = "",
    conflict_unit: OrgUnit | None = None, note: str = "", by=None,
) -> ConflictDeclaration:
    """A member declares a conflict of interest (their own: nobody declares for another person).

    `unit` is the committee the member sits on (they may approve awards there). The declaration
    binds every decision of the member, in every program, from now on.
    """
    if by is not None and by.pk != member.pk:
        raise PermissionDenied(_("Mỗi thành viên chỉ tự khai xung đột lợi ích của chính mình."))
    if not user_can(member, Action.APPROVE, Domain.AWARDS, unit):
        raise PermissionDenied(_("Bạn không phải thành viên hội đồng xét học bổng của đơn vị “%(unit)s”.") % {"unit": unit.name})
    school_name = " ".join((school_name or "").split())
    note = " ".join((note or "").split())
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Hãy chọn loại xung đột: người thân, trường của mình hoặc đơn vị của mình.")]
    elif kind == Kind.RELATIVE and student is None:
        errors["student"] = [_("Người thân: hãy chọn học sinh là người thân của bạn.")]
    elif kind == Kind.SCHOOL and not school_name:
        errors["school_name"] = [_("Trường của mình: hãy ghi tên trường như trong hồ sơ học sinh.")]
    elif kind == Kind.UNIT and conflict_unit is None:
        errors["conflict_unit"] = [_("Đơn vị của mình: hãy chọn đơn vị.")]
    if len(school_name) > 200:
        errors["school_name"] = [_("Tên trường dài quá 200 ký tự.")]
    if len(note) > 500:
        errors["note"] = [_("Ghi chú dài quá 500 ký tự.")]
    if errors:
        raise ValidationError(errors)
    # Only the field of the kind is kept: a declaration names exactly one thing.
    declaration = ConflictDeclaration(
        member=member, unit=unit, kind=kind, note=note, declared_by=by or member,
        student=student if kind == Kind.RELATIVE else None,
        school_name=school_name if kind == Kind.SCHOOL else "",
        conflict_unit=conflict_unit if kind == Kind.UNIT else None,
    )
    with transaction.atomic():
        declaration.save()
        audit_create(declaration, ["member", "unit", "kind", "student", "school_name", "conflict_unit", "note"], actor=by or member)
    return declaration


def conflict_withdraw(*, declaration: ConflictDeclaration, reason: str, by) -> ConflictDeclaration:
    """The member withdraws their own declaration (it was a mistake, the relative left school): the
    row stays, marked withdrawn with when, who and why; decisions from now on are no longer refused."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Cần ghi lý do rút lại khai báo.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Lý do rút lại dài quá 500 ký tự.")]})
    with transaction.atomic():
        declaration = ConflictDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if by is not None and by.pk != declaration.member_id and not by.is_superuser:
            raise PermissionDenied(_("Chỉ người đã khai mới rút lại được khai báo của mình."))
        if declaration.withdrawn_at is not None:
            raise ValidationError(_("Khai báo này đã được rút lại."), code="already_withdrawn")
        before = audit_fields(declaration, ["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        declaration.withdrawn_at, declaration.withdrawn_by, declaration.withdrawal_reason = timezone.now(), by, reason
        declaration.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit_change(declaration, before, actor=by, action=AuditEvent.Action.TRANSITION)
    return declaration

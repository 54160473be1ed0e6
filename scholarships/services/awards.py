"""Scholarship programs, nominations, allocation runs, awards and their payment: the services.

One function per use case, keyword-only arguments, one transaction, an audit row each:
- `program_create`: a program with its funds (each with a budget) and unit quotas;
- `nomination_create`: a student proposed for a program, scored by the program's rubric;
- `allocation_run`: rank the nominations and decide who is funded from which funds
  (`allocation.allocate`), store the run with its inputs and every decision, propose awards;
- `award_approve`, `award_reject`: the committee's decision on a proposal; a rejection needs a reason;
- `award_grant`: the committee's override, an award the run did not propose, with a reason;
- `award_disburse`: the treasurer pays an approved award: a voucher number (phiếu chi) per unit
  and year without gaps, and the journal entry Dr scholarship expense / Cr cash or bank per fund;
- `disbursement_reverse`: a payment that bounced or was made in error is undone: the reversing
  entry, the award back to approved (a commitment again, payable with a new voucher), the voucher
  kept with its number and marked reversed.

An approved award is money promised: `approved_unpaid_awards` is registered with the ledger
(`fundmgr.ledger.commitments`), so a fund's available balance, and every spend guard, already
leaves it aside. Approving locks the award's funds and refuses what they cannot cover.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record
from fundmgr.core.money import format_vnd
from fundmgr.core.numbering import number_next
from fundmgr.idempotency.services import idempotent_create, scope_of
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.ledger.selectors import fund_can_pay, funds_available
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post, entry_reverse, funds_lock
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from scholarships import allocation, scoring
from scholarships.models import (
    CIRCUMSTANCE_FIELDS,
    AllocationRun,
    Award,
    AwardShare,
    Disbursement,
    DisbursementCounter,
    Nomination,
    ProgramFund,
    ProgramQuota,
    ScholarshipProgram,
    Student,
)

from .conflicts import NO_CONFLICT, conflict_refuse

VOUCHER_PREFIX = "PC"


# --- the ledger's view of approved awards ---------------------------------------------------------

def approved_unpaid_awards(fund_ids: list[int]) -> dict[int, int]:
    """{fund_id: dong of approved, unpaid awards}: a commitment source of the ledger (one query)."""
    rows = (
        AwardShare.objects.filter(fund_id__in=fund_ids, award__status=Award.Status.APPROVED)
        .order_by().values("fund_id").annotate(total=Sum("amount"))
    )
    return {row["fund_id"]: row["total"] for row in rows}


def disbursement_programs(ids: list[str]) -> dict[str, str]:
    """{disbursement id: "Chương trình <code> – <name>"}: the ledger's fund statement groups money
    out by program with it (`fundmgr.ledger.sources`; one query for all the ids)."""
    rows = Disbursement.objects.filter(pk__in=ids).values_list("pk", "award__program__code", "award__program__name")
    return {str(pk): _("Chương trình %(code)s – %(name)s") % {"code": code, "name": name} for pk, code, name in rows}


# --- programs ---------------------------------------------------------------------------------------

def program_create(
    *, unit: OrgUnit, code: str, name: str, school_year: str, award_amount: int, rubric,
    funds: Mapping[Fund, int], quotas: Mapping[OrgUnit, int] | None = None, created_by=None,
) -> ScholarshipProgram:
    """A program paying `award_amount` from `funds` (fund → budget in dong), with unit `quotas`."""
    program = ScholarshipProgram(
        unit=unit, code=(code or "").strip().upper(), name=(name or "").strip(), school_year=(school_year or "").strip(),
        award_amount=award_amount, rubric=rubric, created_by=created_by,
    )
    errors: dict[str, list[str]] = {}
    try:
        scoring.rubric_validate(rubric)
    except scoring.RubricError as error:
        errors["rubric"] = [error.message]
    if not isinstance(award_amount, int) or isinstance(award_amount, bool) or award_amount <= 0:
        errors["award_amount"] = [_("Mức học bổng phải là một số đồng lớn hơn 0.")]
    if not funds:
        errors["funds"] = [_("Chương trình cần ít nhất một quỹ chi trả.")]
    for fund, budget in funds.items():
        # Only the unit that manages a fund decides what it pays for: a commune's committee cannot
        # budget the province's fund (a province program may still pay that commune's students).
        if fund.unit_id != unit.pk:
            errors.setdefault("funds", []).append(
                _("Quỹ “%(fund)s” do đơn vị khác quản lý; chỉ đơn vị quản lý quỹ mới lập chương trình chi từ quỹ.")
                % {"fund": fund.name}
            )
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
            errors.setdefault("funds", []).append(_("Ngân sách của quỹ “%(fund)s” phải là số đồng không âm.") % {"fund": fund.name})
    for quota_unit, max_awards in (quotas or {}).items():
        if not quota_unit.path.startswith(unit.path):
            errors.setdefault("quotas", []).append(
                _("Đơn vị “%(unit)s” không thuộc đơn vị tổ chức chương trình.") % {"unit": quota_unit.name}
            )
        if not isinstance(max_awards, int) or max_awards < 0:
            errors.setdefault("quotas", []).append(_("Chỉ tiêu phải là số suất không âm."))
    try:
        program.full_clean(exclude=["created_by", "rubric", "award_amount"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        program.save()
        ProgramFund.objects.bulk_create(
            [ProgramFund(program=program, fund=fund, budget=budget) for fund, budget in funds.items()]
        )
        ProgramQuota.objects.bulk_create(
            [ProgramQuota(program=program, unit=quota_unit, max_awards=count) for quota_unit, count in (quotas or {}).items()]
        )
        audit_create(
            program, ["unit", "code", "name", "school_year", "award_amount", "rubric"], actor=created_by,
            extra={
                "funds": {fund.code: budget for fund, budget in funds.items()},
                "quotas": {quota_unit.code: count for quota_unit, count in (quotas or {}).items()},
            },
        )
    return program


def program_close(*, program: ScholarshipProgram, by=None) -> ScholarshipProgram:
    """No more nominations or runs; awards already decided stay."""
    if program.status == ScholarshipProgram.Status.CLOSED:
        raise ValidationError(_("Chương trình đã khóa."), code="closed")
    with transaction.atomic():
        before = audit_fields(program, ["status"])
        program.status = ScholarshipProgram.Status.CLOSED
        program.save(update_fields=["status"])
        audit_change(program, before, actor=by, action=AuditEvent.Action.TRANSITION)
    return program


# --- nominations ----------------------------------------------------------------------------------

def student_facts(student: Student) -> dict:
    """What a rubric may score: circumstances, the average score, grade and academic rank."""
    return {
        "circumstances": sorted(student.circumstances),
        "average_score": None if student.average_score is None else str(student.average_score),
        "grade": student.grade,
        "excellent_rank": student.academic_rank == Student.AcademicRank.EXCELLENT,
        "very_good_rank": student.academic_rank == Student.AcademicRank.VERY_GOOD,
    }


def nomination_create(
    *, program: ScholarshipProgram, student: Student, by=None, channel: str = "admin",
    idempotency_key: str | None = None,
) -> Nomination:
    """Propose `student` for `program`, scored now by the program's rubric (with its breakdown).

    `by` must hold `add` on students in the child's unit: the nominator's right, as in the admin.
    A repeat of `idempotency_key` (scoped to `channel` and the child's unit) with the same program
    and student returns the first nomination (with `replayed` set); with another request it is refused.
    """
    access_units(by, [student.unit], action=Action.ADD, domain=Domain.STUDENTS)
    with transaction.atomic():
        nomination, created = idempotent_create(
            scope=scope_of(channel, student.unit_id), key=idempotency_key,
            content={"program": program.pk, "student": student.pk}, model=Nomination,
            create=lambda: _nomination_create(program=program, student=student, by=by),
        )
    nomination.replayed = not created
    return nomination


def _nomination_create(*, program: ScholarshipProgram, student: Student, by) -> Nomination:
    if program.status != ScholarshipProgram.Status.OPEN:
        raise ValidationError(_("Chương trình đã khóa, không nhận đề cử."), code="closed")
    if student.is_anonymised:
        raise ValidationError(_("Hồ sơ đã được ẩn danh, không thể đề cử."), code="anonymised")
    if not student.unit.path.startswith(program.unit.path):
        raise ValidationError(_("Học sinh không thuộc địa bàn của chương trình."), code="outside_program")
    try:
        result = scoring.score(program.rubric, student_facts(student))
    except scoring.FactsError as error:
        raise ValidationError(error.message, code="facts") from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                nomination = Nomination.objects.create(
                    program=program, student=student, nominated_by=by, score=result.total,
                    score_breakdown=result.as_json()["breakdown"],
                )
        except IntegrityError:
            raise ValidationError(_("Học sinh đã được đề cử vào chương trình này."), code="duplicate") from None
        Student.objects.filter(pk=student.pk).update(last_activity_on=timezone.localdate())
        audit_create(nomination, ["program", "student", "score"], actor=by)
    return nomination


def nomination_score(*, nomination: Nomination, by=None) -> Nomination:
    """A committee member scores the nomination again with the program's rubric as it is now
    (after the rubric was edited), with its breakdown; refused to a member who declared a conflict
    with the student. `by` must hold `change` on awards in the program's unit.
    """
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update(of=("self",)).select_related("program__unit", "student__unit")
            .get(pk=nomination.pk)
        )
        program, student = nomination.program, nomination.student
        access_units(by, [program.unit], action=Action.CHANGE, domain=Domain.AWARDS)
        conflict_refuse(by, student, what=_("chấm điểm hồ sơ này"))
        if program.status != ScholarshipProgram.Status.OPEN:
            raise ValidationError(_("Chương trình đã khóa."), code="closed")
        try:
            result = scoring.score(program.rubric, student_facts(student))
        except scoring.FactsError as error:
            raise ValidationError(error.message, code="facts") from None
        before = audit_fields(nomination, ["score", "score_breakdown"])
        nomination.score, nomination.score_breakdown = result.total, result.as_json()["breakdown"]
        nomination.scored_by, nomination.scored_at, nomination.scorer_declared_no_conflict = by, timezone.now(), True
        nomination.save(update_fields=["score", "score_breakdown", "scored_by", "scored_at", "scorer_declared_no_conflict"])
        audit_record(
            action=AuditEvent.Action.TRANSITION, instance=nomination, actor=by, before=before,
            after={**audit_fields(nomination, ["score", "score_breakdown", "scored_by"]), **NO_CONFLICT},
        )
    return nomination


# --- the rubric -----------------------------------------------------------------------------------

def program_rubric_update(*, program: ScholarshipProgram, rubric, by=None) -> ScholarshipProgram:
    """Replace the program's rubric (validated: `scoring.rubric_validate`). Scores already given stay
    as they are until the committee scores the nominations again (`nomination_score`): a score is a
    decision on the record, not a view of the rubric. `by` must hold `change` on awards there."""
    access_units(by, [program.unit], action=Action.CHANGE, domain=Domain.AWARDS)
    try:
        scoring.rubric_validate(rubric)
    except scoring.RubricError as error:
        raise ValidationError({"rubric": [error.message]}) from None
    with transaction.atomic():
        program = ScholarshipProgram.objects.select_for_update().select_related("unit").get(pk=program.pk)
        if program.status != ScholarshipProgram.Status.OPEN:
            raise ValidationError(_("Chương trình đã khóa."), code="closed")
        before = audit_fields(program, ["rubric"])
        program.rubric = rubric
        program.save(update_fields=["rubric"])
        audit_change(program, before, actor=by)
    return program


def rubric_preview(*, program: ScholarshipProgram, rubric) -> list[tuple[Nomination, scoring.Score | None, str]]:
    """The program's nominations scored under `rubric` (not saved): [(nomination, score or None,
    error message)], highest new score first. The same function and facts as `nomination_create`
    and `nomination_score`, so the preview is what saving and scoring again would give."""
    scoring.rubric_validate(rubric)
    rows = []
    for nomination in program.nominations.select_related("student").order_by("pk"):
        try:
            rows.append((nomination, scoring.score(rubric, student_facts(nomination.student)), ""))
        except scoring.FactsError as error:
            rows.append((nomination, None, error.message))
    rows.sort(key=lambda row: (-(row[1].total if row[1] else -1), row[0].pk))
    return rows


# --- allocation runs ------------------------------------------------------------------------------

def _restriction(fund: Fund) -> allocation.FundRestriction | None:
    if fund.restriction == Fund.Restriction.UNITS:
        return allocation.FundRestriction(unit_path_prefixes=frozenset(unit.path for unit in fund.restricted_units.all()))
    if fund.restriction == Fund.Restriction.CIRCUMSTANCES:
        return allocation.FundRestriction(circumstances=frozenset(str(code) for code in fund.restricted_circumstances))
    # Unrestricted and purpose funds: a purpose ("high achievers") is matched when the program
    # chooses its funds, not per student (`fundmgr.ledger.selectors.fund_can_pay`).
    return None


def _quota_unit(path: str, quota_units: list[OrgUnit]) -> OrgUnit | None:
    """The deepest quota unit containing `path` (a commune's quota covers its schools' branches)."""
    covering = [unit for unit in quota_units if path.startswith(unit.path)]
    return max(covering, key=lambda unit: len(unit.path)) if covering else None


def _program_funds_used(program: ScholarshipProgram) -> dict[int, int]:
    rows = (
        AwardShare.objects.filter(award__program=program, award__status__in=Award.HOLDS_THE_STUDENTS_YEAR)
        .order_by().values("fund_id").annotate(total=Sum("amount"))
    )
    return {row["fund_id"]: row["total"] for row in rows}


def allocation_run(
    *, program: ScholarshipProgram, by=None, channel: str = "admin", idempotency_key: str | None = None, progress=None,
) -> AllocationRun:
    """Decide the program's awards now (`_allocation_run`).

    A repeat of `idempotency_key` (scoped to `channel` and the program's unit) for the same program
    returns the first run (with `replayed` set) and decides nothing again; another program is refused.
    """
    access_units(by, [program.unit], action=Action.ADD, domain=Domain.AWARDS)
    with transaction.atomic():
        run, created = idempotent_create(
            scope=scope_of(channel, program.unit_id), key=idempotency_key, content={"program": program.pk},
            model=AllocationRun, create=lambda: _allocation_run(program=program, by=by, progress=progress),
        )
    run.replayed = not created
    return run


def _allocation_run(*, program: ScholarshipProgram, by, progress=None) -> AllocationRun:
    """Decide the program's awards now: who is funded, from which funds, and why not the others.

    `by` must hold `add` on awards in the program's unit (`allocation_run` checks it). Deterministic
    for the same database state. Candidates: the nominations without an approved
    or paid award. Budgets: what the program may still use of each fund (its budget minus this
    program's approved and paid awards), never more than the fund has available in the ledger
    (which already leaves aside every approved award). Earlier proposals of the program that the
    committee has not decided are superseded.
    """
    if program.status != ScholarshipProgram.Status.OPEN:
        raise ValidationError(_("Chương trình đã khóa."), code="closed")
    # `progress(percent)`, when given (the worker's job), hears how far the run has got: reading
    # 0–10 %, deciding 10–80 %, writing the run and its proposals 80–99 %.
    report = progress or (lambda percent: None)
    with transaction.atomic():
        report(1)
        # Lock the program's funds: approvals and payments wait, so the budgets read here hold.
        program_funds = list(program.program_funds.select_related("fund").prefetch_related("fund__restricted_units").order_by("fund_id"))
        funds_lock([pf.fund for pf in program_funds])
        available = funds_available([pf.fund for pf in program_funds])
        used = _program_funds_used(program)
        decided = set(
            Award.objects.filter(program=program, status__in=Award.HOLDS_THE_STUDENTS_YEAR).values_list("student_id", flat=True)
        )
        awarded_elsewhere = set(
            Award.objects.filter(school_year=program.school_year, status__in=Award.HOLDS_THE_STUDENTS_YEAR)
            .exclude(program=program).values_list("student_id", flat=True)
        )
        quotas = list(program.quotas.select_related("unit"))
        quota_units = [quota.unit for quota in quotas]
        approved_per_quota_unit: dict[int, int] = {}
        for path in Award.objects.filter(program=program, status__in=Award.HOLDS_THE_STUDENTS_YEAR).values_list(
            "student__unit__path", flat=True
        ):
            unit = _quota_unit(path, quota_units)
            if unit is not None:
                approved_per_quota_unit[unit.pk] = approved_per_quota_unit.get(unit.pk, 0) + 1
        # Tuples, not three model instances per nomination: a Tết program has 100,000 of them.
        # Students share a handful of units and of circumstance sets; each is worked out once.
        nominations = list(
            program.nominations.exclude(student_id__in=decided).order_by("pk").values_list(
                "pk", "score", "student_id", "student__unit_id", "student__unit__path",
                *(f"student__{field}" for field in CIRCUMSTANCE_FIELDS.values()),
            )
        )
        codes = [str(code) for code in CIRCUMSTANCE_FIELDS]
        circumstance_sets: dict[tuple[bool, ...], frozenset[str]] = {}
        quota_unit_ids: dict[tuple[int, str], int] = {}
        candidates = []
        for nomination_id, score, student_id, unit_id, path, *flags in nominations:
            flags = tuple(flags)
            circumstances = circumstance_sets.get(flags)
            if circumstances is None:
                circumstances = circumstance_sets[flags] = frozenset(
                    code for code, flag in zip(codes, flags, strict=True) if flag
                )
            counted_in = quota_unit_ids.get((unit_id, path))
            if counted_in is None:
                quota_unit = _quota_unit(path, quota_units)
                counted_in = quota_unit_ids[unit_id, path] = quota_unit.pk if quota_unit else unit_id
            candidates.append(allocation.Candidate(
                candidate_id=nomination_id, priority=score, amount=program.award_amount,
                unit_id=counted_in, unit_path=path, circumstances=circumstances,
                already_awarded_this_cycle=student_id in awarded_elsewhere,
            ))
        funds = [
            allocation.Fund(
                fund_id=pf.fund_id, name=pf.fund.name, restriction=_restriction(pf.fund),
                budget=max(0, min(pf.budget - used.get(pf.fund_id, 0), available[pf.fund_id])) if pf.fund.is_active else 0,
            )
            for pf in program_funds
        ]
        quota_left = {
            quota.unit_id: max(0, quota.max_awards - approved_per_quota_unit.get(quota.unit_id, 0)) for quota in quotas
        }
        # A run is a record: its explanations are stored in Vietnamese whatever language the
        # person who started it reads (the same data must give the same stored run).
        with translation.override(settings.LANGUAGE_CODE):
            quota_labels = {
                quota.unit_id: allocation.QuotaLabel(
                    unit_name=quota.unit.name, total=quota.max_awards,
                    approved_before=approved_per_quota_unit.get(quota.unit_id, 0),
                )
                for quota in quotas
            }
            report(10)
            result = allocation.allocate(
                candidates=candidates, funds=funds, quotas=quota_left, quota_labels=quota_labels,
                progress=lambda done, total: report(10 + 70 * done // max(total, 1)),
            )
            report(80)
            explanations = {decision.candidate_id: str(decision.explanation) for decision in result.decisions}

        inputs = {
            "program": program.code, "school_year": program.school_year, "award_amount": program.award_amount,
            "candidates": [
                {"nomination": c.candidate_id, "score": c.priority, "unit": c.unit_id, "unit_path": c.unit_path,
                 "circumstances": sorted(c.circumstances), "already_awarded": c.already_awarded_this_cycle}
                for c in candidates
            ],
            "funds": [
                {"fund": f.fund_id, "budget": f.budget,
                 "units": sorted(f.restriction.unit_path_prefixes or []) if f.restriction else None,
                 "circumstances": sorted(f.restriction.circumstances or []) if f.restriction else None}
                for f in funds
            ],
            "quotas": {str(unit_id): left for unit_id, left in sorted(quota_left.items())},
        }
        canonical = json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        students_by_nomination = {row[0]: row[2] for row in nominations}
        decisions = [
            {
                "nomination": decision.candidate_id, "student": students_by_nomination[decision.candidate_id],
                "rank": decision.rank, "reason": str(decision.reason), "amount": decision.amount,
                "shares": {str(share.fund_id): share.amount for share in decision.shares},
                "explanation": explanations[decision.candidate_id],
            }
            for decision in result.decisions
        ]
        run = AllocationRun.objects.create(
            program=program, created_by=by, inputs=inputs,
            inputs_sha256=hashlib.sha256(canonical.encode()).hexdigest(), decisions=decisions,
            funded_count=len(result.funded), funded_amount=sum(decision.amount for decision in result.funded),
        )
        report(90)
        Award.objects.filter(program=program, status=Award.Status.PROPOSED).update(status=Award.Status.SUPERSEDED)
        # Two INSERTs for every proposal of the run (bulk_create sets the awards' ids on
        # PostgreSQL and SQLite), not two per award: a large program proposes thousands.
        proposals = Award.objects.bulk_create([
            Award(
                program=program, student_id=students_by_nomination[decision.candidate_id],
                nomination_id=decision.candidate_id, run=run, school_year=program.school_year, amount=decision.amount,
            )
            for decision in result.funded
        ])
        AwardShare.objects.bulk_create([
            AwardShare(award=award, fund_id=share.fund_id, amount=share.amount)
            for award, decision in zip(proposals, result.funded, strict=True)
            for share in decision.shares
        ])
        audit_record(
            action=AuditEvent.Action.CREATE, instance=run, actor=by,
            after={"inputs_sha256": run.inputs_sha256, "funded_count": run.funded_count,
                   "funded_amount": run.funded_amount, "candidates": len(candidates)},
        )
    return run


# --- the committee's decision ---------------------------------------------------------------------

def _locked_award(award: Award, *, by, action: str, domain: str) -> Award:
    """The award's row, locked, once `by` may `action` in `domain` in the program's unit."""
    award = Award.objects.select_for_update(of=("self",)).select_related("program__unit", "student__unit").get(pk=award.pk)
    access_units(by, [award.program.unit], action=action, domain=domain)
    return award


def _audit_decision(award: Award, before: dict, *, by) -> None:
    """The decision's audit row: what changed, who decided, and that they had declared no conflict."""
    audit_record(
        action=AuditEvent.Action.TRANSITION, instance=award, actor=by, before=before,
        after={**audit_fields(award, before), "decided_by_id": award.decided_by_id, **NO_CONFLICT},
    )


def award_approve(*, award: Award, by=None) -> Award:
    """Approve a proposed award; its funds must be able to cover it (they are locked to check)."""
    with transaction.atomic():
        award = _locked_award(award, by=by, action=Action.APPROVE, domain=Domain.AWARDS)
        conflict_refuse(by, award.student, what=_("duyệt suất %(award)s") % {"award": award})
        if award.status != Award.Status.PROPOSED:
            raise ValidationError(_("Chỉ duyệt được suất đang ở trạng thái đề xuất."), code="not_proposed")
        shares = list(award.shares.select_related("fund").order_by("fund_id"))
        locked = funds_lock([share.fund for share in shares])
        available = funds_available(locked)
        for share in shares:
            if share.amount > available[share.fund_id]:
                raise InsufficientFunds(fund=share.fund, available=available[share.fund_id], requested=share.amount)
        before = audit_fields(award, ["status"])
        award.status = Award.Status.APPROVED
        award.decided_by, award.decided_at = by, timezone.now()
        award.decider_declared_no_conflict = True
        try:
            with transaction.atomic():
                award.save(update_fields=["status", "decided_by", "decided_at", "decider_declared_no_conflict"])
        except IntegrityError:
            raise ValidationError(
                _("Học sinh đã có một suất học bổng được duyệt trong năm học %(year)s.") % {"year": award.school_year},
                code="one_per_year",
            ) from None
        Student.objects.filter(pk=award.student_id).update(last_activity_on=timezone.localdate())
        _audit_decision(award, before, by=by)
    return award


def award_reject(*, award: Award, by=None, reason: str) -> Award:
    """The committee overrides a proposal: not awarded, with the reason on the record."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Cần ghi lý do khi không duyệt một đề xuất.")]})
    with transaction.atomic():
        award = _locked_award(award, by=by, action=Action.APPROVE, domain=Domain.AWARDS)
        conflict_refuse(by, award.student, what=_("quyết định không duyệt suất %(award)s") % {"award": award})
        if award.status != Award.Status.PROPOSED:
            raise ValidationError(_("Chỉ quyết định được suất đang ở trạng thái đề xuất."), code="not_proposed")
        before = audit_fields(award, ["status", "decision_reason"])
        award.status = Award.Status.REJECTED
        award.decided_by, award.decided_at, award.decision_reason = by, timezone.now(), reason[:500]
        award.decider_declared_no_conflict = True
        award.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "decider_declared_no_conflict"])
        _audit_decision(award, before, by=by)
    return award


def award_grant(
    *, nomination: Nomination, fund: Fund, by=None, reason: str, channel: str = "admin",
    idempotency_key: str | None = None,
) -> Award:
    """The committee's override (`_award_grant`): an approved award, a commitment of the fund's money.

    A repeat of `idempotency_key` (scoped to `channel` and the program's unit) with the same
    nomination, fund and reason returns the first award (with `replayed` set); with another
    request it is refused.
    """
    request = {"nomination": nomination.pk, "fund": fund.pk, "reason": (reason or "").strip()}
    unit_id = (
        ScholarshipProgram.objects.filter(nominations=nomination.pk).values_list("unit_id", flat=True).first()
        if idempotency_key else None
    )
    with transaction.atomic():
        award, created = idempotent_create(
            scope=scope_of(channel, unit_id), key=idempotency_key, content=request, model=Award,
            create=lambda: _award_grant(nomination=nomination, fund=fund, by=by, reason=reason),
        )
    award.replayed = not created
    return award


def _award_grant(*, nomination: Nomination, fund: Fund, by, reason: str) -> Award:
    """The committee awards a nominee the run did not fund (an override), from one fund, with a reason.

    The award is approved at once and is a commitment like any other. Still refused: a fund
    outside the program or whose restriction does not admit the student, more than the program's
    budget left on that fund or than the fund has available, a second award in the school year,
    and a nominee who has a proposal (approve that one instead). Unit quotas do not bind an override:
    going past them is what an override is for, and the reason says why.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Cấp ngoài đề xuất cần ghi lý do.")]})
    with transaction.atomic():
        nomination = Nomination.objects.select_related("program__unit", "student__unit").get(pk=nomination.pk)
        program, student = nomination.program, nomination.student
        access_units(by, [program.unit], action=Action.APPROVE, domain=Domain.AWARDS)
        conflict_refuse(by, student, what=_("cấp học bổng ngoài đề xuất"))
        if program.status != ScholarshipProgram.Status.OPEN:
            raise ValidationError(_("Chương trình đã khóa."), code="closed")
        program_fund = program.program_funds.filter(fund=fund).first()
        if program_fund is None:
            raise ValidationError({"fund": [_("Quỹ này không chi cho chương trình.")]})
        if not fund_can_pay(fund, unit=student.unit, circumstances=student.circumstances):
            raise ValidationError({"fund": [_("Quỹ này không được phép chi cho học sinh này.")]})
        if Award.objects.filter(nomination=nomination, status=Award.Status.PROPOSED).exists():
            raise ValidationError(_("Học sinh đã có đề xuất trong lần phân bổ gần nhất: hãy duyệt đề xuất đó."),
                                  code="has_proposal")
        (locked,) = funds_lock([fund])
        amount = program.award_amount
        budget_left = program_fund.budget - _program_funds_used(program).get(fund.pk, 0)
        if amount > budget_left:
            raise ValidationError({"fund": [
                _("Ngân sách chương trình trên quỹ này chỉ còn %(left)s.") % {"left": format_vnd(max(budget_left, 0))}
            ]})
        available = funds_available([locked])[fund.pk]
        if amount > available:
            raise InsufficientFunds(fund=locked, available=available, requested=amount)
        try:
            with transaction.atomic():
                award = Award.objects.create(
                    program=program, student=student, nomination=nomination, school_year=program.school_year,
                    amount=amount, status=Award.Status.APPROVED, decided_by=by, decided_at=timezone.now(),
                    decision_reason=reason[:500], decider_declared_no_conflict=True,
                )
        except IntegrityError:
            raise ValidationError(
                _("Học sinh đã có một suất học bổng được duyệt trong năm học %(year)s.") % {"year": program.school_year},
                code="one_per_year",
            ) from None
        AwardShare.objects.create(award=award, fund=fund, amount=amount)
        Student.objects.filter(pk=student.pk).update(last_activity_on=timezone.localdate())
        audit_create(
            award, ["program", "student", "nomination", "amount", "status", "decision_reason"], actor=by,
            extra={"override": True, "fund": fund.code, **NO_CONFLICT},
        )
    return award


# --- payment --------------------------------------------------------------------------------------

_CREDIT_ACCOUNT = {method: accounts.METHOD_ACCOUNTS[method] for method in Disbursement.Method.values}


def award_disburse(
    *, award: Award, method: str, paid_on, recipient_name: str, bank_reference: str = "", by=None,
    channel: str = "admin", idempotency_key: str | None = None,
) -> Disbursement:
    """Pay an approved award: a voucher and its journal entry, in one transaction.

    The ledger memo names the award and the voucher, never the child (ledger exports go to
    auditors and their hashes are permanent). The award leaves the fund's commitments as it is
    paid, so the spend guard counts the money once. `by` must hold the money capability in the
    program's unit. A repeat of `idempotency_key` (scoped to `channel` and the program's unit) with
    the same request returns the first voucher (with `replayed` set); with another request it is refused.
    """
    request = {
        "award": award.pk, "method": method, "paid_on": paid_on, "recipient_name": recipient_name,
        "bank_reference": bank_reference,
    }
    unit_id = (
        ScholarshipProgram.objects.filter(awards=award.pk).values_list("unit_id", flat=True).first()
        if idempotency_key else None
    )
    with transaction.atomic():
        disbursement, created = idempotent_create(
            scope=scope_of(channel, unit_id), key=idempotency_key, content=request, model=Disbursement,
            create=lambda: _award_disburse(
                award=award, method=method, paid_on=paid_on, recipient_name=recipient_name,
                bank_reference=bank_reference, by=by,
            ),
        )
    disbursement.replayed = not created
    return disbursement


def _award_disburse(*, award: Award, method: str, paid_on, recipient_name: str, bank_reference: str, by) -> Disbursement:
    errors = {}
    recipient_name = " ".join((recipient_name or "").split())
    if not recipient_name:
        errors["recipient_name"] = [_("Cần ghi tên người nhận (học sinh hoặc người giám hộ).")]
    if method not in _CREDIT_ACCOUNT:
        errors["method"] = [_("Hình thức chi không hợp lệ.")]
    if method == Disbursement.Method.BANK_TRANSFER and not (bank_reference or "").strip():
        errors["bank_reference"] = [_("Chuyển khoản cần mã giao dịch ngân hàng.")]
    if paid_on is None or paid_on > timezone.localdate():
        errors["paid_on"] = [_("Ngày chi không hợp lệ (không được ở tương lai).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        award = _locked_award(award, by=by, action=Action.ADD, domain=Domain.MONEY)
        if award.status != Award.Status.APPROVED:
            raise ValidationError(_("Chỉ chi được suất học bổng đã duyệt và chưa chi."), code="not_approved")
        unit = award.program.unit
        shares = list(award.shares.select_related("fund").order_by("fund_id"))
        before = audit_fields(award, ["status"])
        award.status = Award.Status.PAID
        award.save(update_fields=["status"])
        # Gapless (`fundmgr.core.numbering`): a rollback gives the number back.
        sequence = number_next(DisbursementCounter, unit=unit, year=paid_on.year)
        disbursement = Disbursement.objects.create(
            award=award, unit=unit, year=paid_on.year, sequence=sequence,
            number=f"{VOUCHER_PREFIX}-{paid_on.year}-{sequence:06d}", method=method, paid_on=paid_on,
            recipient_name=recipient_name[:120], bank_reference=(bank_reference or "").strip()[:100], created_by=by,
        )
        credit = _CREDIT_ACCOUNT[method]
        lines = []
        for share in shares:
            lines += [Line(accounts.SCHOLARSHIP_EXPENSE, share.fund, debit=share.amount),
                      Line(credit, share.fund, credit=share.amount)]
        entry = entry_post(
            unit=unit, date=paid_on, lines=lines, source=disbursement, created_by=by,
            memo=f"Chi học bổng {award} – {award.program.code} {award.school_year} – phiếu chi {disbursement.number}",
        )
        disbursement.entry = entry
        disbursement.save(update_fields=["entry"])
        audit_change(award, before, actor=by, action=AuditEvent.Action.TRANSITION)
        audit_create(
            disbursement, ["award", "unit", "number", "method", "paid_on", "recipient_name", "bank_reference", "entry"],
            actor=by, extra={"amount": award.amount, "amount_display": format_vnd(award.amount)},
        )
    return disbursement


# --- reversal ---------------------------------------------------------------------------------------

REVERSAL_FIELDS = ["reversed_at", "reversed_by", "reversal_reason", "reversal_entry"]


def disbursement_reverse(*, disbursement: Disbursement, reason: str, by=None) -> Disbursement:
    """Undo a payment that bounced or was made in error, in one transaction.

    The disbursement's journal entry is reversed (the money is back in its funds), the award is
    approved again (a commitment on its funds, so the available balance is what it was before the
    payment) and may be paid again with a new voucher; this voucher keeps its number (numbers are
    never reused, so the register has no gap) and is marked reversed with when, who and why; its
    PDF carries the stamp "ĐÃ HỦY / HOÀN". A voucher is reversed once. `by` must hold the money
    change capability in the paying unit (as for voiding a receipt).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Cần ghi lý do hủy / hoàn phiếu chi.")]}, code="reason_required")
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Lý do hủy / hoàn dài quá 500 ký tự.")]}, code="max_length")
    with transaction.atomic():
        # The award first, as `award_disburse` locks it: a payment and a reversal of one award queue.
        award = _locked_award(disbursement.award, by=by, action=Action.CHANGE, domain=Domain.MONEY)
        disbursement = Disbursement.objects.select_for_update(of=("self",)).select_related("entry", "unit").get(
            pk=disbursement.pk
        )
        access_units(by, [disbursement.unit], action=Action.CHANGE, domain=Domain.MONEY)
        if disbursement.is_reversed:
            raise ValidationError(
                _("Phiếu chi %(number)s đã được hủy / hoàn ngày %(date)s; không hủy lần thứ hai.")
                % {"number": disbursement.number, "date": timezone.localtime(disbursement.reversed_at).strftime("%d/%m/%Y")},
                code="already_reversed",
            )
        if award.status != Award.Status.PAID:  # the data is wrong somewhere: say so, change nothing
            raise ValidationError(_("Suất học bổng của phiếu chi này không ở trạng thái đã chi."), code="not_paid")
        before = audit_fields(disbursement, REVERSAL_FIELDS)
        award_before = audit_fields(award, ["status"])
        # The ledger's reason is data of the book (Vietnamese), and names the voucher.
        disbursement.reversal_entry = entry_reverse(
            entry=disbursement.entry, reason=f"Hủy / hoàn phiếu chi {disbursement.number}: {reason}"[:500],
            created_by=by, date=timezone.localdate(),
        )
        disbursement.reversed_at, disbursement.reversed_by, disbursement.reversal_reason = timezone.now(), by, reason
        disbursement.save(update_fields=REVERSAL_FIELDS)
        award.status = Award.Status.APPROVED
        award.save(update_fields=["status"])
        audit_change(disbursement, before, actor=by, action=AuditEvent.Action.TRANSITION)
        audit_change(award, award_before, actor=by, action=AuditEvent.Action.TRANSITION)
    return disbursement

"""The papers of a scholarship payment, for a reader: the voucher (phiếu chi), the signature list and the
award certificates (giấy chứng nhận).

Each rendering is a use case: the reader must see the payments of the paying unit (money `view`:
the treasurer, the auditor), the names on the paper follow `privacy.RecipientAccess` (the
treasurer who pays and the roles with `view_personal` read them; an auditor reads initials), and
every child the paper names gets a view row in the audit trail (`student_views_record`), masked or
not: a printed paper leaves the building. The layout is `scholarships.papers`.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.masking import REDACT, mask_value
from fundmgr.ledger import accounts
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from scholarships import papers, selectors
from scholarships.models import Award, Disbursement, ScholarshipProgram, Student
from scholarships.privacy import PersonalAccess, RecipientAccess, masked_name

from .students import student_views_record

VOUCHER_CHANNEL = "phieu_chi"
SIGNATURE_LIST_CHANNEL = "danh_sach_ky_nhan"


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _class_line(student: Student) -> str:
    if student.school_level == Student.SchoolLevel.HIGHER:
        return f"năm thứ {student.grade}"
    return f"lớp {student.grade}"


def voucher_document(disbursement: Disbursement, *, shows_names: bool) -> papers.VoucherDocument:
    """What the voucher prints, from the disbursement, its award, program, student and unit."""
    award, unit = disbursement.award, disbursement.unit
    program, student = award.program, award.student
    student_name = masked_name(student.full_name, shows_names)
    attached = f"Giấy báo Nợ số {disbursement.bank_reference}" if disbursement.bank_reference else ""
    return papers.VoucherDocument(
        unit_name=unit.name, unit_address=unit.address, number=disbursement.number, book=str(disbursement.year),
        paid_on=disbursement.paid_on, debit_account=accounts.SCHOLARSHIP_EXPENSE,
        credit_account=accounts.METHOD_ACCOUNTS[disbursement.method],
        recipient_name=masked_name(disbursement.recipient_name, shows_names),
        student_line=f"{student_name} ({student.code}), {_class_line(student)}, {student.school_name}",
        guardian_name=masked_name(student.guardian_name, shows_names),
        address=student.address if shows_names else mask_value(student.address, REDACT),
        reason=f"Chi học bổng “{program.name}” năm học {award.school_year} (chương trình {program.code}, suất {award})",
        amount=award.amount, attached_documents=attached, drawn_up_by=_person(disbursement.created_by),
        method_label=str(disbursement.get_method_display()),
        recorded_at=timezone.localtime(disbursement.created_at),
        reversed_on=timezone.localtime(disbursement.reversed_at).date() if disbursement.reversed_at else None,
        reversal_reason=disbursement.reversal_reason,
    )


def disbursement_voucher_pdf(*, disbursement: Disbursement, by, page_size: str = "A5") -> bytes:
    """The voucher of `disbursement` as a PDF for `by`, with a view row for its child."""
    disbursement = Disbursement.objects.select_related(
        "unit", "award__program", "award__student__unit", "created_by",
    ).get(pk=disbursement.pk)
    access_units(by, [disbursement.unit], action=Action.VIEW, domain=Domain.MONEY)
    shows_names = RecipientAccess(by).allows(disbursement.unit)
    pdf = papers.voucher_pdf_render(voucher_document(disbursement, shows_names=shows_names), page_size=page_size)
    with transaction.atomic():
        student_views_record(
            students=[disbursement.award.student], viewer=by, channel=VOUCHER_CHANNEL, shows_personal=shows_names,
        )
    return pdf


def signature_list_document(
    *, program: ScholarshipProgram, unit: OrgUnit, disbursements, day: datetime.date, shows_names: bool,
) -> papers.SignatureListDocument:
    rows = []
    for disbursement in disbursements:
        student = disbursement.award.student
        rows.append(papers.SignatureRow(
            student_name=masked_name(student.full_name, shows_names), student_code=student.code,
            school=student.school_name, grade=str(student.grade),
            guardian_name=masked_name(student.guardian_name, shows_names), amount=disbursement.award.amount,
            voucher_number=disbursement.number,
        ))
    return papers.SignatureListDocument(
        unit_name=program.unit.name, unit_address=program.unit.address,
        program_line=f"{program.name} ({program.code}), năm học {program.school_year}", ceremony_unit=unit.name,
        day=day, rows=rows,
    )


def signature_list_pdf(
    *, program: ScholarshipProgram, unit: OrgUnit, by, day: datetime.date | None = None,
) -> tuple[bytes, list[Disbursement]]:
    """The signature list of `program`'s standing payments to students of `unit` (and below) for a
    ceremony on `day` (default today), and the payments it lists; a view row for each child."""
    program = ScholarshipProgram.objects.select_related("unit").get(pk=program.pk)
    access_units(by, [program.unit], action=Action.VIEW, domain=Domain.MONEY)
    shows_names = RecipientAccess(by).allows(program.unit)
    disbursements = list(selectors.signature_list_disbursements(program, unit))
    document = signature_list_document(
        program=program, unit=unit, disbursements=disbursements, day=day or timezone.localdate(),
        shows_names=shows_names,
    )
    pdf = papers.signature_list_pdf_render(document)
    with transaction.atomic():
        student_views_record(
            students=[disbursement.award.student for disbursement in disbursements], viewer=by,
            channel=SIGNATURE_LIST_CHANNEL, shows_personal=shows_names,
        )
    return pdf, disbursements


# --- award certificates ---------------------------------------------------------------------------------

CERTIFICATE_CHANNEL = "giay_chung_nhan"


def certificate_shows_name(*, by, award: Award, personal: PersonalAccess, recipients: RecipientAccess) -> bool:
    """A certificate names the child for who may read the child's name: `view_personal` in the
    child's unit (the committee, the nominator) or the papers of the program's payments (the
    treasurer who pays, `privacy.RecipientAccess`); anyone else prints initials."""
    return personal.allows(award.student) or recipients.allows(award.program.unit)


def award_certificates_pdf(
    *, awards, by, day: datetime.date | None = None, show_amount: bool = False, page_size: str = "A4",
) -> bytes:
    """One PDF, a page per award (approved or paid), in the order given; a view row for each child.

    `by` must read awards in each program's unit (awards `view`), as the awards admin scopes them.
    """
    ids = [award.pk for award in awards]
    by_id = Award.objects.select_related("program__unit", "student__unit").in_bulk(ids)
    chosen = [by_id[pk] for pk in ids if pk in by_id]
    access_units(by, {award.program.unit for award in chosen}, action=Action.VIEW, domain=Domain.AWARDS)
    refused = [str(award) for award in chosen if award.status not in Award.HOLDS_THE_STUDENTS_YEAR]
    if refused:
        raise ValidationError(
            _("Chỉ cấp giấy chứng nhận cho suất đã duyệt hoặc đã chi: %(awards)s.") % {"awards": ", ".join(refused)},
            code="not_awarded",
        )
    if not chosen:
        raise ValidationError(_("Hãy chọn ít nhất một suất học bổng."), code="empty")
    personal, recipients = PersonalAccess(by), RecipientAccess(by)
    day = day or timezone.localdate()
    pages, shown = [], {}
    for award in chosen:
        student, program = award.student, award.program
        shows = certificate_shows_name(by=by, award=award, personal=personal, recipients=recipients)
        shown[student.pk] = shows
        pages.append(papers.Certificate(
            unit_name=program.unit.name, student_name=masked_name(student.full_name, shows), student_code=student.code,
            class_line=f"học sinh {_class_line(student)}, {student.school_name}"
            if student.school_level != Student.SchoolLevel.HIGHER else f"sinh viên {_class_line(student)}, {student.school_name}",
            program_name=program.name, school_year=award.school_year, number=f"GCN-{award}", day=day,
            amount=award.amount if show_amount else None,
        ))
    pdf = papers.certificates_pdf_render(pages, page_size=page_size)
    with transaction.atomic():
        for shows in (True, False):
            students = [award.student for award in chosen if shown[award.student_id] is shows]
            if students:
                student_views_record(students=students, viewer=by, channel=CERTIFICATE_CHANNEL, shows_personal=shows)
    return pdf

"""Student lists and the awards book as rows: students masked by default, personal data only when allowed.

- `student_rows`: the student list (header first) that the admin action and the API stream; every
  text cell people typed goes through `spreadsheet_safe`, so a name such as `=HYPERLINK(...)` stays
  text in Excel.
- `award_list`: the list of students awarded (danh sách nhận học bổng) per program and unit, with
  its closing total row, as CSV, XLSX or PDF (an exporter of the registry, like the next one);
- `awards_disbursements`: the awards and their payment vouchers per program and unit, an exporter of
  the registry (`fundmgr.core.exporting`) registered by `ScholarshipsConfig.ready()`. Its student
  cells are the student list's (`student_cell`), so the two mask a child the same way.

Nothing is held in memory but one row (or one chunk of rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from fundmgr.audit.masking import NAME, PHONE, mask_value
from fundmgr.core.contacts import phone_national
from fundmgr.core.exporting import (
    AMOUNT,
    DATE,
    EXACT,
    INTEGER,
    Column,
    Exporter,
    ExportRequest,
    write_csv,
    write_pdf,
    write_xlsx,
)
from fundmgr.core.money import format_vnd
from fundmgr.core.spreadsheet import spreadsheet_safe_row
from fundmgr.orgs.roles import Domain
from fundmgr.orgs.scoping import units_queryset

from .models import PERSONAL_FIELDS, Award, AwardShare, ScholarshipProgram, Student
from .privacy import masked_value

COLUMNS = (
    ("code", _("Mã hồ sơ")),
    ("full_name", _("Họ và tên")),
    ("date_of_birth", _("Ngày sinh")),
    ("gender", _("Giới tính")),
    ("unit", _("Đơn vị đề cử")),
    ("school_name", _("Trường")),
    ("school_level", _("Cấp học")),
    ("grade", _("Lớp")),
    ("average_score", _("Điểm trung bình")),
    ("academic_rank", _("Học lực")),
    ("circumstances", _("Hoàn cảnh")),
    ("guardian_name", _("Người giám hộ")),
    ("guardian_phone", _("Điện thoại")),
    ("address", _("Địa chỉ")),
    ("national_id", _("Số định danh")),
    ("circumstances_note", _("Ghi chú hoàn cảnh")),
)


def student_cell(student: Student, name: str, personal: bool):
    """One cell of a student's row: personal fields masked unless `personal` (`scholarships.privacy`)."""
    if name == "code":
        return student.code
    if name == "unit":
        return student.unit.name
    if name == "circumstances":
        return ", ".join(student.circumstance_labels())
    if name in ("gender", "school_level", "academic_rank"):
        return getattr(student, f"get_{name}_display")()
    if name == "guardian_phone":
        national = phone_national(student.guardian_phone)
        return mask_value(national, PHONE) if not personal else national
    if name in PERSONAL_FIELDS and not personal:
        value = masked_value(student, name)
    else:
        value = getattr(student, name)
    if value is None:
        return ""
    if name == "date_of_birth" and personal:
        return value.strftime("%d/%m/%Y")
    return value if isinstance(value, (int, str)) else str(value)


def student_rows(students: Iterable[Student], *, personal: bool) -> Iterator[list]:
    """The header, then one row per student; personal fields masked unless `personal`.

    `personal` is the caller's decision after checking the user may see every row unmasked.
    """
    yield [str(label) for _name, label in COLUMNS]
    for student in students:
        yield spreadsheet_safe_row([student_cell(student, name, personal) for name, _label in COLUMNS])


# --- awards and disbursements -------------------------------------------------------------------------
CHUNK = 2_000


class AwardsDisbursementsForm(forms.Form):
    program = forms.ModelChoiceField(
        label=_("chương trình"), queryset=ScholarshipProgram.objects.order_by("code"), required=False,
        help_text=_("Để trống: mọi chương trình."),
    )
    status = forms.ChoiceField(
        label=_("trạng thái"), required=False, choices=[("", _("Tất cả"))] + list(Award.Status.choices),
    )


AWARD_COLUMNS = (
    Column(_("mã chương trình")),
    Column(_("tên chương trình")),
    Column(_("năm học"), EXACT),
    Column(_("đơn vị tổ chức")),
    Column(_("đơn vị đề cử")),
    Column(_("mã suất"), EXACT),
    Column(_("mã hồ sơ"), EXACT),
    Column(_("họ và tên")),
    Column(_("trường")),
    Column(_("lớp"), INTEGER),
    Column(_("trạng thái")),
    Column(_("số tiền"), AMOUNT),
    Column(_("số phiếu chi"), EXACT),
    Column(_("ngày chi"), DATE),
    Column(_("hình thức chi")),
    Column(_("người nhận")),
    Column(_("đã chi"), AMOUNT),
)


def awards_queryset(request: ExportRequest):
    """The awards of the request's units, program and status.

    An award belongs to its program's unit (as the awards admin and the audit trail scope it).
    """
    params = request.params
    awards = units_queryset(Award.objects.all(), request.unit_ids, "program__unit")
    if params.get("program") is not None:
        awards = awards.filter(program=params["program"])
    if params.get("status"):
        awards = awards.filter(status=params["status"])
    return awards


def awards_disbursements_rows(request: ExportRequest):
    """Awards by program, nominating unit and number, each with its voucher when paid: two queries
    per chunk (the awards with their program, units and student; the chunk's vouchers).

    The student's name and the voucher's recipient (a student or a guardian) are shown as initials
    unless `request.personal`, the way the student list and the voucher admin show them. Each child
    listed goes into `request.shown`, for the view rows of the run (`Exporter.views_record`).
    """
    # The vouchers of each chunk in one more query; `award.disbursement` is the one that stands.
    awards = awards_queryset(request).select_related("program__unit", "student__unit").prefetch_related(
        "disbursements"
    ).order_by("program__code", "student__unit__path", "pk")
    personal, shown = request.personal, request.shown
    for award in awards.iterator(chunk_size=CHUNK):
        program, student = award.program, award.student
        disbursement = getattr(award, "disbursement", None)
        paid = disbursement is not None
        recipient = "" if not paid else (
            disbursement.recipient_name if personal else mask_value(disbursement.recipient_name, NAME)
        )
        shown.add(student.pk)
        yield (
            program.code, program.name, award.school_year, program.unit.name, student.unit.name, str(award),
            student.code, student_cell(student, "full_name", personal), student.school_name, student.grade,
            award.get_status_display(), award.amount, disbursement.number if paid else "",
            disbursement.paid_on if paid else None, disbursement.get_method_display() if paid else "", recipient,
            award.amount if paid else 0,
        )


AWARDS_DISBURSEMENTS = Exporter(
    name="awards_disbursements", title=_("Học bổng đã xét và đã chi"), domain=Domain.AWARDS, columns=AWARD_COLUMNS,
    rows=awards_disbursements_rows, form=AwardsDisbursementsForm, count=lambda request: awards_queryset(request).count(),
    description=_("Theo chương trình và đơn vị; tên học sinh được che nếu vai trò không được xem."),
)


# --- the award list (danh sách nhận học bổng) -------------------------------------------------------------

LISTED_STATUSES = (Award.Status.APPROVED, Award.Status.PAID)


class AwardListForm(forms.Form):
    program = forms.ModelChoiceField(
        label=_("chương trình"), queryset=ScholarshipProgram.objects.order_by("code"), required=False,
        help_text=_("Để trống: mọi chương trình."),
    )
    status = forms.ChoiceField(
        label=_("trạng thái"), required=False,
        choices=[("", _("Đã duyệt và đã chi")), (Award.Status.APPROVED, _("Đã duyệt, chưa chi")),
                 (Award.Status.PAID, _("Đã chi"))],
    )


AWARD_LIST_COLUMNS = (
    Column(_("chương trình"), EXACT),
    Column(_("mã suất"), EXACT),
    Column(_("mã hồ sơ"), EXACT),
    Column(_("học sinh")),
    Column(_("trường")),
    Column(_("lớp"), INTEGER),
    Column(_("đơn vị")),
    Column(_("số tiền"), AMOUNT),
    Column(_("chi từ quỹ")),
    Column(_("trạng thái")),
    Column(_("số phiếu chi"), EXACT),
)
_AMOUNT_INDEX = 7


def award_list_queryset(request: ExportRequest):
    """The approved and paid awards (or those of the chosen status) to the students of the request's
    units, of the chosen program. A unit's list is its students' awards, whichever unit runs the
    program (a province program's awards to a commune's children are on the commune's list)."""
    params = request.params
    awards = units_queryset(Award.objects.all(), request.unit_ids, "student__unit")
    awards = awards.filter(status=params["status"]) if params.get("status") else awards.filter(status__in=LISTED_STATUSES)
    if params.get("program") is not None:
        awards = awards.filter(program=params["program"])
    return awards


def award_list_rows(request: ExportRequest):
    """One row per award (by program, unit, school, class, record), then the "Cộng" (total) row: the
    count of awards and the sum of their amounts. Three queries per chunk (the awards with their
    program and student, their shares with the funds, their vouchers). The student's name is shown
    as initials unless `request.personal`; each child listed goes into `request.shown` (the run's view rows)."""
    awards = award_list_queryset(request).select_related("program", "student__unit").prefetch_related(
        Prefetch("shares", queryset=AwardShare.objects.select_related("fund").order_by("fund__code")), "disbursements",
    ).order_by("program__code", "student__unit__path", "student__school_name", "student__grade", "student_id", "pk")
    personal, shown = request.personal, request.shown
    count = total = 0
    for award in awards.iterator(chunk_size=CHUNK):
        student = award.student
        shown.add(student.pk)
        disbursement = award.disbursement
        funds = "; ".join(f"{share.fund.code}: {format_vnd(share.amount)}" for share in award.shares.all())
        count, total = count + 1, total + award.amount
        yield (
            award.program.code, str(award), student.code, student_cell(student, "full_name", personal),
            student.school_name, student.grade, student.unit.name, award.amount, funds, award.get_status_display(),
            disbursement.number if disbursement is not None else "",
        )
    yield (str(_("Cộng")), "", "", str(_("%(count)d suất") % {"count": count}), "", None, "", total, "", "", "")


def _with_total_row(writer):
    """The generic writer, with a manifest that counts the awards once: the closing "Cộng" (total) row
    is in the file, not among the manifest's rows and sums."""
    def write(request: ExportRequest, target, *, progress=None, every: int = 5000):
        options = {} if writer is write_csv else {"title": str(AWARD_LIST.title)}
        manifest = writer(AWARD_LIST_COLUMNS, award_list_rows(request), target, progress=progress, every=every, **options)
        label = str(AWARD_LIST_COLUMNS[_AMOUNT_INDEX].label)
        manifest.rows -= 1
        manifest.totals[label] //= 2  # the total row repeats the sum of the rows above it
        return manifest

    return write


AWARD_LIST = Exporter(
    name="award_list", title=_("Danh sách học sinh nhận học bổng"), domain=Domain.AWARDS, columns=AWARD_LIST_COLUMNS,
    rows=award_list_rows, form=AwardListForm, count=lambda request: award_list_queryset(request).count(),
    description=_("Theo chương trình và đơn vị, có dòng tổng cộng; tên học sinh được che nếu vai trò không được xem."),
    pdf=True,
    fast_writers={"csv": _with_total_row(write_csv), "xlsx": _with_total_row(write_xlsx), "pdf": _with_total_row(write_pdf)},
)

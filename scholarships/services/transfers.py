"""Awards paid by bank transfer, in batches: the bank's bulk-payment file and its result.

- `transfer_batch_create`: the approved awards of a program to the students of a unit (and below)
  that have an account on record and wait in no other open batch become a batch, one line each,
  the account copied as the file gives it to the bank;
- `transfer_batch_file`: the batch's CSV for the bank (`scholarships.transfers`), for the
  treasurer who pays; a view row for each child it names;
- `transfer_batch_confirm`: the bank's result file: each successful line is paid through
  `awards.award_disburse` (a voucher, the journal entry), idempotent per line, so a file uploaded
  twice pays nothing twice; a failed line leaves its award approved (it may go in a new batch);
- `transfer_batch_cancel`: a batch not sent after all: its waiting lines are cancelled.

Who: the money `add` right in the program's unit (the treasurer who pays), as for paying one award;
reading a batch is money `view` there, and its file names people, so it follows
`privacy.RecipientAccess`.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain
from scholarships import transfers
from scholarships.models import Award, Disbursement, ScholarshipProgram, TransferBatch, TransferLine
from scholarships.privacy import RecipientAccess

from . import awards as award_services
from .students import student_views_record

FILE_CHANNEL = "bank_transfer_file"
DISBURSE_CHANNEL = "transfer_batch"


def transfer_batch_create(
    *, program: ScholarshipProgram, unit: OrgUnit, by, awards=None,
) -> TransferBatch:
    """A batch of `program`'s approved awards to students of `unit` (and below); `awards` narrows it.

    Awards whose student has no account on record, and awards waiting in another open batch, are
    left out and listed on the batch as `skipped` ([(award, reason)]). ValidationError when nothing
    is left to pay.
    """
    program = ScholarshipProgram.objects.select_related("unit").get(pk=program.pk)
    access_units(by, [program.unit], action=Action.ADD, domain=Domain.MONEY)
    if not unit.path.startswith(program.unit.path):
        raise ValidationError({"unit": [_("Đơn vị không thuộc địa bàn của chương trình.")]})
    with transaction.atomic():
        candidates = Award.objects.filter(
            program=program, status=Award.Status.APPROVED, student__unit__path__startswith=unit.path,
        )
        if awards is not None:
            candidates = candidates.filter(pk__in=[award.pk for award in awards])
        # Locked: a payment, a reversal or another batch of the same awards waits for this one.
        candidates = list(candidates.select_for_update(of=("self",)).select_related("student").order_by(
            "student__unit__path", "student__school_name", "student__grade", "student_id", "pk",
        ))
        waiting = set(
            TransferLine.objects.filter(award__in=candidates, status=TransferLine.Status.PENDING)
            .values_list("award_id", flat=True)
        )
        chosen, skipped = [], []
        for award in candidates:
            if award.pk in waiting:
                skipped.append((award, _("đang chờ ngân hàng trong một lô khác")))
            elif not award.student.has_bank_account:
                skipped.append((award, _("chưa có tài khoản nhận học bổng")))
            else:
                chosen.append(award)
        if not chosen:
            raise ValidationError(
                _("Không có suất nào để chuyển khoản: cần suất đã duyệt, chưa chi, có tài khoản nhận và chưa nằm trong "
                  "lô đang chờ."), code="nothing_to_pay",
            )
        batch = TransferBatch.objects.create(
            program=program, recipients_unit=unit, line_count=len(chosen), total_amount=sum(award.amount for award in chosen),
            created_by=by,
        )
        try:
            with transaction.atomic():
                TransferLine.objects.bulk_create([
                    TransferLine(
                        batch=batch, award=award, number=number, amount=award.amount,
                        account_number=award.student.bank_account_number,
                        account_holder=award.student.bank_account_holder, bank_code=award.student.bank_code,
                        description=transfers.transfer_description(
                            program_code=program.code, award_code=str(award), student_code=award.student.code,
                        ),
                    )
                    for number, award in enumerate(chosen, start=1)
                ])
        except IntegrityError:  # another batch took one of them between the read and the insert
            raise ValidationError(_("Một số suất vừa được đưa vào lô khác; hãy thử lại."), code="conflict") from None
        audit_create(
            batch, ["program", "recipients_unit", "line_count", "total_amount"], actor=by,
            extra={"awards": [award.pk for award in chosen], "skipped": [award.pk for award, _reason in skipped]},
        )
    batch.skipped = skipped
    return batch


def _batch_for(batch: TransferBatch, by, action: str) -> TransferBatch:
    batch = TransferBatch.objects.select_related("program__unit", "recipients_unit").get(pk=batch.pk)
    access_units(by, [batch.program.unit], action=action, domain=Domain.MONEY)
    return batch


def transfer_batch_file(*, batch: TransferBatch, by) -> tuple[bytes, str]:
    """The bank's file of `batch` and its name, for `by`; a view row for each child it names.

    The file gives the bank the holders' names in clear, so only who reads a payment's names
    (`privacy.RecipientAccess`: the treasurer who pays) may take it: PermissionDenied otherwise.
    """
    batch = _batch_for(batch, by, Action.VIEW)
    if not RecipientAccess(by).allows(batch.program.unit):
        raise PermissionDenied(_("Tệp chuyển khoản ghi tên người nhận: chỉ thủ quỹ đơn vị chi được tải."))
    lines = list(batch.lines.select_related("award__student").order_by("number"))
    content = transfers.batch_csv([
        transfers.FileLine(
            number=line.number, account_number=line.account_number, account_holder=line.account_holder,
            bank_code=line.bank_code, amount=line.amount, description=line.description,
        )
        for line in lines
    ])
    with transaction.atomic():
        student_views_record(
            students=[line.award.student for line in lines], viewer=by, channel=FILE_CHANNEL, shows_personal=True,
        )
    return content, f"{batch}-{batch.program.code}.csv"


@dataclasses.dataclass
class ConfirmResult:
    paid: list[TransferLine] = dataclasses.field(default_factory=list)
    failed: list[TransferLine] = dataclasses.field(default_factory=list)
    already: list[TransferLine] = dataclasses.field(default_factory=list)  # settled by an earlier upload
    refused: list[tuple[TransferLine, str]] = dataclasses.field(default_factory=list)  # success, but not payable

    @property
    def paid_amount(self) -> int:
        return sum(line.amount for line in self.paid)


def transfer_batch_confirm(*, batch: TransferBatch, content: bytes, paid_on, by) -> ConfirmResult:
    """Read the bank's result file of `batch` (see `scholarships.transfers`) and settle its lines.

    A file with a row that names no line of the batch, an amount that is not the line's, a line
    twice, or a status nobody can read, is refused whole (ValidationError, nothing changed). Then,
    in one transaction: a successful line is paid with `award_disburse` on `paid_on` (its voucher's
    bank reference is the bank's, else the line's reference), keyed by the line so that it is paid
    once whatever is uploaded again; a failed line is marked failed with the bank's note and its
    award stays approved; a line already settled is left as it is. The batch is done when no line
    waits.
    """
    batch = _batch_for(batch, by, Action.ADD)
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("Ngày chi không hợp lệ (không được ở tương lai).")]})
    rows = transfers.result_read(content, batch_id=batch.pk)
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update(of=("self",)).select_related("program__unit").get(pk=batch.pk)
        if batch.status == TransferBatch.Status.CANCELLED:
            raise ValidationError(_("Lô chuyển khoản đã hủy, không nhận kết quả."), code="cancelled")
        lines = {line.number: line for line in batch.lines.select_for_update(of=("self",)).select_related("award")}
        errors, seen = [], set()
        for row in rows:
            line = lines.get(row.number)
            if line is None:
                errors.append(_("Dòng %(row)d: lô %(batch)s không có dòng số %(number)d.")
                              % {"row": row.row, "batch": batch, "number": row.number})
            elif row.number in seen:
                errors.append(_("Dòng %(row)d: dòng số %(number)d có hai lần trong tệp.") % {"row": row.row, "number": row.number})
            elif row.amount is not None and row.amount != line.amount:
                errors.append(_("Dòng %(row)d: số tiền %(amount)d khác số tiền của dòng %(number)d trong lô (%(expected)d).")
                              % {"row": row.row, "amount": row.amount, "number": row.number, "expected": line.amount})
            seen.add(row.number)
        if errors:
            raise ValidationError(errors, code="rows")
        result = ConfirmResult()
        for row in rows:
            line = lines[row.number]
            if line.status == TransferLine.Status.PAID or (
                line.status == TransferLine.Status.FAILED and row.status == transfers.FAILED
            ):
                result.already.append(line)
                continue
            if line.status == TransferLine.Status.CANCELLED:
                result.refused.append((line, _("dòng đã hủy cùng lô")))
                continue
            before = audit_fields(line, ["status", "bank_reference", "result_note", "disbursement"])
            if row.status == transfers.FAILED:
                line.status, line.result_note = TransferLine.Status.FAILED, row.note
                line.bank_reference = row.bank_reference
                line.save(update_fields=["status", "result_note", "bank_reference"])
                result.failed.append(line)
            else:
                try:
                    with transaction.atomic():
                        disbursement = award_services.award_disburse(
                            award=line.award, method=Disbursement.Method.BANK_TRANSFER, paid_on=paid_on,
                            recipient_name=line.account_holder or str(line.award.student),
                            bank_reference=row.bank_reference or str(line), by=by, channel=DISBURSE_CHANNEL,
                            idempotency_key=f"transfer-line-{line.pk}",
                        )
                except ValidationError as error:
                    result.refused.append((line, " ".join(error.messages)))
                    continue
                line.status, line.disbursement = TransferLine.Status.PAID, disbursement
                line.bank_reference, line.result_note = row.bank_reference, row.note
                line.save(update_fields=["status", "disbursement", "bank_reference", "result_note"])
                result.paid.append(line)
            audit_change(line, before, actor=by, action=AuditEvent.Action.TRANSITION)
        if not batch.lines.filter(status=TransferLine.Status.PENDING).exists() and batch.status == TransferBatch.Status.OPEN:
            before = audit_fields(batch, ["status"])
            batch.status = TransferBatch.Status.DONE
            batch.save(update_fields=["status"])
            audit_change(batch, before, actor=by, action=AuditEvent.Action.TRANSITION)
        audit_record(
            action=AuditEvent.Action.CHANGE, instance=batch, actor=by,
            after={"result_rows": len(rows), "paid": [line.number for line in result.paid],
                   "failed": [line.number for line in result.failed], "already": [line.number for line in result.already],
                   "refused": [line.number for line, _reason in result.refused], "paid_amount": result.paid_amount},
        )
    return result


def transfer_batch_cancel(*, batch: TransferBatch, by) -> TransferBatch:
    """A batch the bank never got: its waiting lines are cancelled (their awards may go in a new batch)."""
    batch = _batch_for(batch, by, Action.ADD)
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        if batch.status != TransferBatch.Status.OPEN:
            raise ValidationError(_("Chỉ hủy được lô đang chờ ngân hàng."), code="not_open")
        if batch.lines.exclude(status=TransferLine.Status.PENDING).exists():
            raise ValidationError(_("Ngân hàng đã trả kết quả cho lô này; không hủy được."), code="has_results")
        before = audit_fields(batch, ["status"])
        batch.lines.update(status=TransferLine.Status.CANCELLED)
        batch.status = TransferBatch.Status.CANCELLED
        batch.save(update_fields=["status"])
        audit_change(batch, before, actor=by, action=AuditEvent.Action.TRANSITION)
    return batch

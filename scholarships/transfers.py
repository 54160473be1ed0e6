"""The bank's bulk-payment file of a transfer batch, and the bank's result file read back.

The batch file (docs/scholarships.md, "Chuyển khoản theo lô") is the common layout of the
Vietnamese banks' bulk transfer ("chi hộ", "chi lương") templates:

    STT,So tai khoan,Ten nguoi huong,Ma ngan hang,So tien,Noi dung
    1,0123456789,LO VAN SANG,VCB,1500000,HOC BONG LS-2026 HB-000012 HS-000001

- comma separated, CRLF line ends, ASCII only (so UTF-8, Windows-1258 and the banks' ASCII readers
  agree); one header row, one row per line, no total row (the total is the batch's, on its page);
- `Ten nguoi huong`: the account holder in capitals without diacritics, as banks match it;
- `So tien`: whole dong, digits only; `Noi dung`: ASCII, at most `DESCRIPTION_MAX` characters,
  the program, the award and the record codes, never a child's name.

The result file the bank sends back (CSV or XLSX, read by `fundmgr.core.tabular`): one row per
line, with the line's number (`STT`, or the line's reference `CK-000003-001`), its status
(success / failed: `Thành công`, `Thất bại`, `success`, `failed`, `00`, …), the bank's reference,
and optionally the amount (checked) and the bank's note. This module reads no database.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fundmgr.core.contacts import name_normalize
from fundmgr.core.tabular import columns_find, table_read
from fundmgr.core.vietqr import ascii_memo

HEADER = ("STT", "So tai khoan", "Ten nguoi huong", "Ma ngan hang", "So tien", "Noi dung")
DESCRIPTION_MAX = 50
HOLDER_MAX = 70


def ascii_upper(text: str, limit: int | None = None) -> str:
    """`text` in capitals without diacritics (đ → D), letters, digits, spaces and hyphens only."""
    value = ascii_memo(text or "")
    return value[:limit].rstrip() if limit else value


def transfer_description(*, program_code: str, award_code: str, student_code: str) -> str:
    return ascii_upper(f"Học bổng {program_code} {award_code} {student_code}", DESCRIPTION_MAX)


@dataclasses.dataclass(frozen=True)
class FileLine:
    number: int
    account_number: str
    account_holder: str  # as recorded (with diacritics); the file prints it in ASCII capitals
    bank_code: str
    amount: int
    description: str


def batch_csv(lines: Sequence[FileLine]) -> bytes:
    """The bulk-payment file of `lines` (see the module's docstring), as bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow([
            line.number, line.account_number, ascii_upper(line.account_holder, HOLDER_MAX), line.bank_code,
            int(line.amount), ascii_upper(line.description, DESCRIPTION_MAX),
        ])
    return buffer.getvalue().encode("ascii")


# --- the bank's result file -----------------------------------------------------------------------

SUCCESS, FAILED = "success", "failed"
_STATUS_WORDS = {
    SUCCESS: ("success", "successful", "thanh cong", "da chuyen", "ok", "00", "hoan thanh"),
    FAILED: ("failed", "fail", "failure", "that bai", "khong thanh cong", "loi", "tu choi", "rejected", "error"),
}
_STATUSES = {word: status for status, words in _STATUS_WORDS.items() for word in words}
_COLUMNS = {
    "number": ("STT", "So thu tu", "Reference", "Ref", "So tham chieu", "Ma tham chieu", "Line"),
    "status": ("Trang thai", "Ket qua", "Status", "Result"),
    "bank_reference": ("Ma giao dich", "So giao dich", "Bank reference", "Ma GD", "Transaction ID", "So but toan"),
    "amount": ("So tien", "Amount"),
    "note": ("Ghi chu", "Ly do", "Mo ta loi", "Message", "Note"),
}
_REFERENCE = re.compile(r"^(?:CK-?(\d+)-)?0*(\d+)$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class ResultRow:
    row: int  # the row's number in the file, for messages
    number: int
    status: str  # SUCCESS or FAILED
    bank_reference: str
    amount: int | None
    note: str


def result_read(content: bytes, *, batch_id: int) -> list[ResultRow]:
    """The rows of a bank's result file for batch `batch_id`; ValidationError listing every bad row."""
    table = table_read(content)
    columns = columns_find(table.header, _COLUMNS)
    missing = [label for field, label in (("number", "STT"), ("status", "Trạng thái")) if field not in columns]
    if missing:
        raise ValidationError(
            _("Tệp kết quả thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)}, code="columns",
        )
    rows, errors = [], []
    for row in table.body:
        reference = "".join(row.cell(columns["number"]).split())
        match = _REFERENCE.match(reference)
        if match is None or (match.group(1) is not None and int(match.group(1)) != batch_id):
            errors.append(_("Dòng %(row)d: “%(value)s” không phải số thứ tự của lô này.") % {"row": row.number, "value": reference})
            continue
        status = _STATUSES.get(name_normalize(row.cell(columns["status"])))
        if status is None:
            errors.append(
                _("Dòng %(row)d: không hiểu trạng thái “%(value)s” (thành công hoặc thất bại).")
                % {"row": row.number, "value": row.cell(columns["status"])}
            )
            continue
        amount_text = re.sub(r"[.,\s]", "", row.cell(columns.get("amount")))
        if amount_text and not amount_text.isdigit():
            errors.append(_("Dòng %(row)d: số tiền “%(value)s” không hợp lệ.") % {"row": row.number, "value": amount_text})
            continue
        rows.append(ResultRow(
            row=row.number, number=int(match.group(2)), status=status,
            bank_reference=row.cell(columns.get("bank_reference"))[:100], amount=int(amount_text) if amount_text else None,
            note=row.cell(columns.get("note"))[:300],
        ))
    if errors:
        raise ValidationError(errors, code="rows")
    return rows

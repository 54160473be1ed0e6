"""Bank-statement import: read a bank's export (CSV or XLSX), match each credit to a pledge, record it.

Design
------
- Reading is pure (`statement_parse`): bytes in, `StatementRow`s out, no database. The file is
  read by the project's one table reader (`fundmgr.core.tabular`: encodings, delimiters, XLSX).
  The layouts of the banks we read are declared in `LAYOUTS` (column headers as the bank writes
  them) and documented in `docs/bank-statements.md`. Headers are compared without diacritics,
  case or extra spaces, so an export saved by Excel in another encoding or retyped still reads.
- Every credit line gets a key (`line_key`): the bank's own transaction reference, or, when the
  bank gives none, a hash of date, amount, memo, counterparty and the occurrence of that same
  tuple in the file. `BankStatementLine.bank_reference` is unique, and so is the payment's: a
  file imported twice, or two statements that overlap, add nothing the second time (the second
  import is recorded, with no new line). An import sent with an idempotency key is not even
  recorded twice: a repeat of the key answers the first import.
- Matching, in order: a pledge reference found in the memo (tolerant of lost diacritics,
  spaces, dashes and case: "ung ho tkh26 7kq3m" is TKH26-7KQ3M); else exactly one open pledge
  with the same amount (the pledge's, or what is still outstanding on it) whose donor's name,
  compared without diacritics, is the counterparty's or appears in the memo; else the line
  waits for a treasurer (status unmatched), who matches it by hand or ignores it.
- A matched line becomes a payment (method bank transfer, bank reference = the line's key) with
  its journal entry and its receipt, exactly as `services.payment_record` would record it, but a
  chunk's lines in one pass (`services.PledgePaymentBatch`): the pledges the chunk's lines may
  pay locked in one statement, each matched line checked in file order by `payment_record`'s
  rule (`_payment_errors`; the lines of one pledge see each other's amounts, and a line matched
  by amount and name sees what the earlier lines paid), then the payments, the pledges' status
  changes, the tallies, the entries (`ledger.services.entries_post`), the audit rows and the
  receipts (`receipts.services.receipts_issue_fresh`) written in bulk, in a number of statements
  that does not grow with the chunk's lines. A refused line (an overpayment, a cancelled pledge,
  a unit outside the importer's, a transfer recorded before) keeps its pledge and the reason, as
  `payment_record`'s refusal. If another writer records one of the chunk's bank references while
  it writes (the unique index refuses the bulk insert), the chunk is redone one line at a time
  through `payment_record` (`_lines_settle_one_by_one`, also what
  tests/donations/test_bank_import_bulk.py compares the bulk path with). Lines are written in
  chunks, each chunk in one transaction together with its payments: a crash loses a whole chunk
  or nothing, and importing the file again redoes exactly what was lost.
- Audit: the import writes one "create" row (file name, SHA-256, line counts); each payment it
  records has the rows `payment_record` would write (the payment's, its entry's, its receipt's,
  its pledge's status change; the payment's bank reference is the line's key). A treasurer's
  match or ignore writes a "transition" row for the line.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import re
from collections import Counter, defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields
from fundmgr.core import outbox
from fundmgr.core.bulk import instance_new, rows_insert, rows_update
from fundmgr.core.contacts import name_normalize
from fundmgr.core.money import AmountError, parse_vnd
from fundmgr.core.tabular import TableRow, columns_find, table_read
from fundmgr.idempotency.services import idempotent_create, scope_of
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

from ..models import BankStatementImport, BankStatementLine, Payment, Pledge
from .pledges import REFERENCE_ALPHABET, REFERENCE_LENGTH

CHUNK_SIZE = 100


# --- layouts --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which column holds what, by header text (each field lists the headers that may name it)."""

    code: str
    name: str
    date: tuple[str, ...]
    credit: tuple[str, ...]
    memo: tuple[str, ...]
    debit: tuple[str, ...] = ()
    reference: tuple[str, ...] = ()
    counterparty: tuple[str, ...] = ()

    def fields(self):
        return {
            "date": self.date, "credit": self.credit, "memo": self.memo,
            "debit": self.debit, "reference": self.reference, "counterparty": self.counterparty,
        }


REQUIRED_FIELDS = ("date", "credit", "memo")

LAYOUTS = {
    layout.code: layout
    for layout in (
        Layout(
            code="vcb",
            name="Vietcombank",
            date=("Ngày giao dịch",),
            reference=("Số tham chiếu",),
            debit=("Số tiền ghi nợ",),
            credit=("Số tiền ghi có",),
            memo=("Mô tả",),
        ),
        Layout(
            code="bidv",
            name="BIDV",
            date=("Ngày giao dịch",),
            reference=("Số bút toán",),
            counterparty=("Tên tài khoản đối ứng",),
            debit=("Ghi nợ",),
            credit=("Ghi có",),
            memo=("Diễn giải",),
        ),
        Layout(
            code="techcombank",
            name="Techcombank",
            date=("Ngày giao dịch",),
            reference=("Mã giao dịch",),
            counterparty=("Tên người chuyển/nhận",),
            debit=("Nợ TKTT",),
            credit=("Có TKTT",),
            memo=("Nội dung",),
        ),
        Layout(
            code="generic",
            name="Generic",
            date=("Ngày giao dịch", "Ngày"),
            credit=("Số tiền ghi có", "Số tiền"),
            memo=("Nội dung", "Nội dung chuyển khoản"),
            reference=("Số tham chiếu", "Mã giao dịch"),
            counterparty=("Tên người chuyển",),
        ),
    )
}
# Auto-detection tries the banks' layouts before the generic one (whose headers are common words).
DETECTION_ORDER = ("vcb", "bidv", "techcombank", "generic")


def header_key(text: str) -> str:
    return name_normalize(text).replace(" / ", "/")


class StatementError(ValueError):
    """A file that cannot be read as a statement; `messages` lists what is wrong, by line."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclasses.dataclass(frozen=True)
class StatementRow:
    line_number: int  # in the file, counting from 1, as a spreadsheet shows it
    date: datetime.date
    amount: int
    memo: str
    counterparty: str
    reference: str


@dataclasses.dataclass
class ParsedStatement:
    layout: Layout
    rows: list[StatementRow]
    debit_rows: int  # money going out: not donations, counted and left aside


# --- reading --------------------------------------------------------------------------------


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%y", "%d.%m.%Y")


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _parse_date(text: str) -> datetime.date | None:
    text = text.strip().split(" ")[0].split("T")[0]  # "15/01/2026 09:31:12" and ISO date-times
    if found := _DAY_MONTH_YEAR.fullmatch(text):
        # The first format, the banks' usual one, without strptime (a third of a long file's reading time).
        day, month, year = map(int, found.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            return None
    for date_format in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def _parse_amount(text: str) -> int:
    """Dong in a statement cell: empty, 0 or "-" is nothing; `+1,000,000` and `1.000.000 VND` read."""
    text = text.strip().lstrip("+").strip()
    if text in ("", "-", "0", "0.00", "0,00"):
        return 0
    if text.isdigit():
        return int(text)
    return parse_vnd(text)


def _find_header(rows: list[TableRow], layout: Layout) -> tuple[int, dict[str, int]] | None:
    """The header row of `layout` within the first 30 rows (banks put a title block above it).

    Returns the header's position in `rows` and the layout's columns.
    """
    for index, row in enumerate(rows):
        if row.number > 30:
            break
        columns = columns_find(row, layout.fields(), key=header_key)
        # A bank's layout must find all its columns, or the file is another bank's; the generic
        # layout only needs the three every statement has.
        required = REQUIRED_FIELDS if layout.code == "generic" else [f for f, h in layout.fields().items() if h]
        if all(field in columns for field in required):
            return index, columns
    return None


def statement_parse(content: bytes, format: str = "auto") -> ParsedStatement:
    """Read a statement file; StatementError (nothing read) when any transaction row is unreadable."""
    if format != "auto" and format not in LAYOUTS:
        raise StatementError([_("Mẫu sao kê không được hỗ trợ: %(format)s.") % {"format": format}])
    try:
        rows = table_read(content).rows
    except ValidationError as error:
        raise StatementError(error.messages) from None
    candidates = DETECTION_ORDER if format == "auto" else (format,)
    for code in candidates:
        found = _find_header(rows, LAYOUTS[code])
        if found is not None:
            layout = LAYOUTS[code]
            header_index, columns = found
            break
    else:
        if format == "auto":
            message = _("Không nhận ra mẫu sao kê: không tìm thấy dòng tiêu đề có các cột ngày giao dịch, số tiền ghi có và nội dung.")
        else:
            message = _("Tệp không có dòng tiêu đề của mẫu %(name)s.") % {"name": LAYOUTS[format].name}
        raise StatementError([message])

    def cell(row, field):
        return row.cell(columns.get(field))

    parsed, errors, debit_rows = [], [], 0
    for row in rows[header_index + 1:]:
        line_number = row.number
        date_text, credit_text, debit_text = cell(row, "date"), cell(row, "credit"), cell(row, "debit")
        date = _parse_date(date_text)
        if date is None:
            # Title, total and signature rows: no amount, or words where the date goes ("Tổng cộng").
            if not (credit_text or debit_text) or not any(char.isdigit() for char in date_text):
                continue
            errors.append(_("Dòng %(line)d: không đọc được ngày giao dịch “%(value)s”.") % {"line": line_number, "value": date_text})
            continue
        try:
            credit = _parse_amount(credit_text)
            debit = _parse_amount(debit_text)
        except AmountError:
            errors.append(
                _("Dòng %(line)d: không đọc được số tiền “%(value)s”.") % {"line": line_number, "value": credit_text or debit_text}
            )
            continue
        if credit == 0:
            debit_rows += 1 if debit else 0
            continue
        parsed.append(
            StatementRow(
                line_number=line_number,
                date=date,
                amount=credit,
                memo=" ".join(cell(row, "memo").split())[:500],
                counterparty=" ".join(cell(row, "counterparty").split())[:200],
                reference=cell(row, "reference")[:64],
            )
        )
    if errors:
        raise StatementError(errors[:20] + ([_("… và %(count)d lỗi khác.") % {"count": len(errors) - 20}] if len(errors) > 20 else []))
    return ParsedStatement(layout=layout, rows=parsed, debit_rows=debit_rows)


def line_keys(rows: list[StatementRow]) -> list[str]:
    """One unique, stable key per row: the bank's reference, else a hash of the row's content.

    Two identical rows without a reference (the same donor sending the same amount with the same
    memo twice in a day) are two payments: the occurrence number of the tuple in the file keeps
    their keys apart, and stays the same when the file is imported again.
    """
    seen: Counter = Counter()
    keys = []
    for row in rows:
        if row.reference:
            keys.append(row.reference)
            continue
        content = (row.date.isoformat(), str(row.amount), row.memo, row.counterparty)
        seen[content] += 1
        digest = hashlib.sha256("\x1f".join((*content, str(seen[content]))).encode()).hexdigest()
        keys.append(f"H-{digest[:40]}")
    return keys


# --- matching -------------------------------------------------------------------------------


# Cached: an import looks at each line's memo three times (the pledges to lock, the snapshot, the
# match), and each donor's name once per file.
@functools.lru_cache(maxsize=4096)
def _alphanumeric(text: str) -> str:
    """Upper-case letters and digits only, diacritics dropped: how a reference is looked for."""
    return re.sub(r"[^A-Z0-9]", "", name_normalize(text).upper())


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> str:
    """Lower-case words without diacritics or punctuation, space-separated, padded by spaces."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", name_normalize(text)).split()) + " "


@dataclasses.dataclass
class _Candidate:
    pk: int
    amount: int
    paid: int
    is_open: bool
    name_words: str  # the donor's normalised name, padded by spaces (" nguyen van duc ": 3 words, 4 spaces)

    @property
    def outstanding(self) -> int:
        return max(self.amount - self.paid, 0) if self.is_open else 0


def _names_sender(name: str, counterparty_words: str, memo_words: str) -> bool:
    """Whether a donor's name (`_words`) names a line's sender: it is the counterparty's, or a name
    of three words or more found in the memo."""
    return bool(name.strip()) and (name == counterparty_words or (name.count(" ") >= 4 and name in memo_words))


class PledgeIndex:
    """The pledges a statement may pay, in memory: one query for a whole file, not one per line."""

    def __init__(self, rows):
        self._by_name: dict[str, set[int]] | None = None
        self.by_reference: dict[str, _Candidate] = {}
        self.by_amount: dict[int, set[int]] = defaultdict(set)
        self.candidates: dict[int, _Candidate] = {}
        self._pledges: dict[int, Pledge] = {}
        prefixes = set()
        for pk, reference, amount, paid, status, name_normalized in rows:
            candidate = _Candidate(
                pk=pk, amount=amount, paid=paid,
                is_open=status in (Pledge.Status.PLEDGED, Pledge.Status.PARTIALLY_PAID),
                name_words=_words(name_normalized),
            )
            self.candidates[pk] = candidate
            self.by_reference[_alphanumeric(reference)] = candidate
            prefixes.add(_alphanumeric(reference.rsplit("-", 1)[0]))
            self._index_amounts(candidate)
        code = f"[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"
        alternatives = "|".join(sorted(map(re.escape, filter(None, prefixes)), key=len, reverse=True))
        # A lookahead finds overlapping candidates ("TKH26TKH267KQ3M" still holds TKH26-7KQ3M).
        self.reference_pattern = re.compile(f"(?=((?:{alternatives}){code}))") if alternatives else None

    @classmethod
    def load(cls, *, unit, campaign=None) -> PledgeIndex:
        from ..selectors import pledge_paid_amounts

        pledges = Pledge.objects.filter(campaign__unit__path__startswith=unit.path)
        if campaign is not None:
            pledges = pledges.filter(campaign=campaign)
        rows = pledge_paid_amounts(pledges).order_by("pk").values_list(
            "pk", "reference", "amount", "paid_amount", "status", "donor__name_normalized"
        )
        return cls(rows.iterator(chunk_size=2000))

    def _index_amounts(self, candidate: _Candidate) -> None:
        if candidate.is_open and candidate.outstanding > 0:
            self.by_amount[candidate.amount].add(candidate.pk)
            self.by_amount[candidate.outstanding].add(candidate.pk)

    def _unindex_amounts(self, candidate: _Candidate) -> None:
        for amount in (candidate.amount, candidate.amount - candidate.paid):
            self.by_amount.get(amount, set()).discard(candidate.pk)

    def match_reference(self, memo: str) -> int | None:
        if self.reference_pattern is None:
            return None
        for found in self.reference_pattern.finditer(_alphanumeric(memo)):
            candidate = self.by_reference.get(found.group(1))
            if candidate is not None:
                return candidate.pk
        return None

    def match_amount_and_name(self, amount: int, counterparty: str, memo: str) -> int | None:
        """The one open pledge of this amount whose donor is the sender; None when none or several."""
        counterparty_words, memo_words = _words(counterparty), _words(memo)
        found = [
            pk
            for pk in self.by_amount.get(amount, ())
            if _names_sender(self.candidates[pk].name_words, counterparty_words, memo_words)
        ]
        return found[0] if len(found) == 1 else None

    def may_match(self, line) -> set[int]:
        """Every pledge `line` could be matched to whatever was paid before it in the file: the
        pledge its memo names, else the open pledges whose donor is its sender (`_names_sender`),
        whatever their amounts. The pledges an import locks before matching a chunk's lines."""
        pk = self.match_reference(line.memo)
        if pk is not None:
            return {pk}
        if self._by_name is None:
            self._by_name = defaultdict(set)
            for candidate in self.candidates.values():
                if candidate.is_open and candidate.name_words.strip():
                    self._by_name[candidate.name_words].add(candidate.pk)
        counterparty_words, memo_words = _words(line.counterparty), _words(line.memo)
        found = set(self._by_name.get(counterparty_words, ()))
        words = memo_words.split()
        for start in range(len(words)):
            for end in range(start + 3, len(words) + 1):  # names of three words or more (`_names_sender`)
                name = " " + " ".join(words[start:end]) + " "
                found |= {pk for pk in self._by_name.get(name, ()) if _names_sender(name, counterparty_words, memo_words)}
        return found

    def paid_snapshot(self, pks) -> dict[int, int]:
        return {pk: self.candidates[pk].paid for pk in pks if pk in self.candidates}

    def paid_restore(self, snapshot: dict[int, int]) -> None:
        for pk, paid in snapshot.items():
            candidate = self.candidates[pk]
            self._unindex_amounts(candidate)
            candidate.paid = paid
            self._index_amounts(candidate)

    def pledge(self, pk: int) -> Pledge:
        """The pledge (with its donor) to record a payment against; read once per import.

        Only its id and donor are used: `payment_record` locks and re-reads the pledge itself
        (a treasurer's match, and a chunk redone one line at a time).
        """
        pledge = self._pledges.get(pk)
        if pledge is None:
            pledge = self._pledges[pk] = Pledge.objects.select_related("donor").get(pk=pk)
        return pledge

    def record_paid(self, pk: int, amount: int) -> None:
        candidate = self.candidates[pk]
        self._unindex_amounts(candidate)
        candidate.paid += amount
        self._index_amounts(candidate)


def _line_settle(line: BankStatementLine, *, pledge: Pledge, matched_by: str, status: str, unit, by) -> list[str]:
    """Record `line` as a payment of `pledge`; on refusal leave it queued with the reason.

    Sets the line's fields and returns the names of those that changed, for the caller to save
    (one bulk update per chunk during an import).
    """
    from .payments import payment_record

    try:
        # payment_record runs in its own savepoint: a refusal leaves this chunk's transaction usable.
        outcome = payment_record(
            donor=pledge.donor, amount=line.amount, method=Payment.Method.BANK_TRANSFER,
            received_on=line.transaction_date, unit=unit, pledge=pledge,
            bank_reference=line.bank_reference, recorded_by=by,
        )
    except (ValidationError, PermissionDenied) as error:
        outcome = error
    return _line_outcome(line, pledge=pledge, outcome=outcome, matched_by=matched_by, status=status)


def _line_outcome(line: BankStatementLine, *, pledge: Pledge, outcome, matched_by: str, status: str) -> list[str]:
    """Set `line`'s fields from what recording it gave: its payment, or the refusal (an
    overpayment to confirm, a pledge of a unit outside the importer's: a person decides), which
    leaves it queued with the pledge and the reason. The names of the fields set."""
    if isinstance(outcome, (ValidationError, PermissionDenied)):
        messages = outcome.messages if isinstance(outcome, ValidationError) else [str(outcome)]
        line.pledge, line.note = pledge, " ".join(messages)[:300]
        return ["pledge", "note"]
    line.status, line.matched_by, line.pledge, line.payment, line.note = status, matched_by, pledge, outcome, ""
    return ["status", "matched_by", "pledge", "payment", "note"]


IMPORT_AUDIT_FIELDS = ["unit", "campaign", "file_name", "file_sha256", "format", "lines_credit", "lines_debit"]


def statement_upload(
    *, unit, file_name: str, content: bytes, format: str = "auto", campaign=None, created_by=None,
    channel: str = "admin", idempotency_key: str | None = None,
) -> BankStatementImport:
    """Store a statement file for `unit`'s bank account as a job (pending) and queue it after commit
    (the admin's upload page and the API's POST).

    Returns at once: the worker imports it (`statement_import_run`), chunk by chunk, counting its
    progress in `lines_done`. The file is read here first (a fraction of a second for 20,000 lines),
    so a file that cannot be read raises StatementError with the reasons, and its layout and line
    counts are stored with the job (the worker reads it again with that layout). PermissionDenied
    (nothing written, the file not read) when the unit's (or the campaign's) money is not
    `created_by`'s to add to.

    A repeat of `idempotency_key` (scoped to `channel` and the unit) with the same file, name,
    campaign and format returns the first import (with `replayed` set) and queues nothing; with
    another request it is refused (`IdempotencyKeyReused`). In eager mode (SQLite, the embedded
    demo) the task runs when the transaction commits, before this returns: read the row again to
    see its outcome.
    """
    statement, _parsed, created = _statement_store(
        unit=unit, campaign=campaign, file_name=file_name, content=content, format=format,
        created_by=created_by, channel=channel, idempotency_key=idempotency_key,
        queue=lambda statement: transaction.on_commit(lambda: outbox.enqueue_jobs([statement])),
    )
    statement.replayed = not created
    return statement


def _statement_store(
    *, unit, campaign, file_name: str, content: bytes, format: str, created_by, channel: str,
    idempotency_key: str | None, queue=None, **fields,
) -> tuple[BankStatementImport, ParsedStatement, bool]:
    """What every import starts with: the access check, the file read (StatementError, nothing
    written), then the import's row under the idempotency key (`idempotent_create`, committed
    before returning). `queue(statement)` runs in that transaction for a new row only.

    Returns the row (the first one for a repeated key), the file read, and whether it is new.
    """
    access_units(created_by, [unit, campaign.unit if campaign is not None else None], action=Action.ADD,
                 domain=Domain.MONEY)
    if not content:
        raise StatementError([_("Tệp rỗng.")])
    parsed = statement_parse(content, format)  # the format asked for is checked here too
    file_name, file_sha256 = file_name[:255], hashlib.sha256(content).hexdigest()
    request = {
        "unit": unit.pk, "campaign": campaign.pk if campaign is not None else None, "file_name": file_name,
        "file_sha256": file_sha256, "format": format,
    }

    def create():
        # The layout read and the line counts are stored with the row: the worker need not guess.
        statement = BankStatementImport.objects.create(
            unit=unit, campaign=campaign, file_name=file_name, file_sha256=file_sha256, format=parsed.layout.code,
            content=content, created_by=created_by, lines_credit=len(parsed.rows), lines_debit=parsed.debit_rows,
            **fields,
        )
        audit_create(statement, IMPORT_AUDIT_FIELDS, actor=created_by)
        if queue is not None:
            queue(statement)
        return statement

    with transaction.atomic():
        statement, created = idempotent_create(
            scope=scope_of(channel, unit), key=idempotency_key, content=request, model=BankStatementImport,
            create=create,
        )
    return statement, parsed, created


def statement_import_run(*, statement_id: int) -> BankStatementImport:
    """The worker's part of an uploaded import (the task calls it); safe to run twice.

    Under the row's lock: a finished or failed import, or one another worker claimed less than
    `outbox.STALE_AFTER` ago (its progress touches the row), is left alone. Lines already stored by
    an attempt that stopped half-way are known by their keys, so running again does only the rest.
    """
    with transaction.atomic():
        statement = BankStatementImport.objects.select_for_update(of=("self",)).select_related("unit", "campaign", "created_by").get(
            pk=statement_id
        )
        if statement.is_finished or statement.status == statement.Status.FAILED:
            return statement
        if statement.status == statement.Status.RUNNING and statement.claimed_at and (
            timezone.now() - statement.claimed_at < outbox.STALE_AFTER
            and timezone.now() - statement.updated_at < outbox.STALE_AFTER
        ):
            return statement
        outbox.claim(statement, lines_done=0)
    try:
        # The upload read the file and stored the layout it found, with the lines' counts (rows
        # stored before it did were read by migration donations 0016).
        parsed = statement_parse(bytes(statement.content), statement.format)
    except StatementError as error:
        statement.last_error = "\n".join(error.messages)
        statement.status, statement.updated_at = statement.Status.FAILED, timezone.now()
        statement.save(update_fields=["last_error", "status", "updated_at"])
        return statement
    try:
        _statement_process(statement, parsed, by=statement.created_by)
    except Exception as error:
        # Give the claim back, so that the task's retry (or the requeue job) does the rest.
        outbox.attempt_failed(BankStatementImport, statement.pk, error, count_attempt=False)
        raise
    return statement


def statement_import_mark_failed(*, statement_id: int, error: str) -> None:
    """The task gave up (its retries ran out): the import says failed, with the error."""
    outbox.mark_failed(BankStatementImport.objects.filter(pk=statement_id), error)


def statement_import(
    *, unit, file_name: str, content: bytes, format: str = "auto", campaign=None, created_by=None,
    channel: str = "admin", idempotency_key: str | None = None,
) -> BankStatementImport:
    """Import a statement file for `unit`'s bank account now, in this process (the command, the
    demo, tests): store new lines, match, record payments. Web requests use `statement_upload`.

    Raises StatementError (nothing written) when the file cannot be read. Importing a file that
    was imported before stores and records nothing new. The unit's (and the campaign's) money must
    be `created_by`'s to add to (PermissionDenied otherwise, before the file is read).

    A repeat of `idempotency_key` (scoped to `channel` and the unit) with the same file, name,
    campaign and format returns the first import (with `replayed` set) and does nothing; with
    another request it is refused. The key commits with the import's row, before its lines are
    written chunk by chunk: a concurrent repeat waits for that commit and answers the first
    import, whose counters may still be filling in (its lines are never written twice: each line's
    key is unique).
    """
    statement, parsed, created = _statement_store(
        unit=unit, campaign=campaign, file_name=file_name, content=content, format=format,
        created_by=created_by, channel=channel, idempotency_key=idempotency_key,
        status=BankStatementImport.Status.RUNNING, claimed_at=timezone.now(), attempts=1,
    )
    statement.replayed = not created
    if not created:
        return statement
    _statement_process(statement, parsed, by=created_by)
    return statement


def _statement_process(statement: BankStatementImport, parsed: ParsedStatement, *, by) -> None:
    """Store, match and record a read statement (its format and counts saved) chunk by chunk, each
    chunk one transaction with its payments and its progress; then count the lines, mark it done."""
    keys = line_keys(parsed.rows)
    index = PledgeIndex.load(unit=statement.unit, campaign=statement.campaign)
    pairs = list(zip(parsed.rows, keys, strict=True))
    for start in range(0, len(pairs), CHUNK_SIZE):
        chunk = pairs[start:start + CHUNK_SIZE]
        with transaction.atomic():
            _import_chunk(statement, chunk, index, by=by)
            BankStatementImport.objects.filter(pk=statement.pk).update(
                lines_done=start + len(chunk), updated_at=timezone.now()
            )
    statement_recount(statement)
    now = timezone.now()
    statement.status, statement.last_error, statement.lines_done = statement.Status.DONE, "", len(pairs)
    statement.finished_at = statement.updated_at = now
    statement.save(update_fields=["status", "last_error", "lines_done", "finished_at", "updated_at"])


def _import_chunk(statement, pairs, index: PledgeIndex, *, by) -> None:
    chunk_keys = [key for _row, key in pairs]
    existing = set(BankStatementLine.objects.filter(bank_reference__in=chunk_keys).values_list("bank_reference", flat=True))
    new_lines, seen = [], set()
    for row, key in pairs:
        if key in existing or key in seen:
            continue
        seen.add(key)
        new_lines.append(
            instance_new(
                BankStatementLine, statement=statement, line_number=row.line_number, transaction_date=row.date, amount=row.amount,
                memo=row.memo, counterparty=row.counterparty, bank_reference=key,
            )
        )
    # ignore_conflicts: a concurrent import of the same file may have stored a line a moment ago;
    # the re-read below takes only the lines this import owns.
    rows_insert(new_lines, ignore_conflicts=True)
    lines = BankStatementLine.objects.filter(statement=statement, bank_reference__in=list(seen)).order_by("line_number")
    lines = list(lines)
    snapshot = index.paid_snapshot({pk for line in lines for pk in index.may_match(line)})
    try:
        with transaction.atomic():
            settled, refused = _lines_settle_bulk(statement, lines, index, by=by)
    except IntegrityError:
        # A bank reference was recorded meanwhile by another writer (the unique index): this
        # chunk's payments one at a time, each refused or recorded by payment_record.
        index.paid_restore(snapshot)
        lines = list(BankStatementLine.objects.filter(pk__in=[line.pk for line in lines]).order_by("line_number"))
        settled, refused = _lines_settle_one_by_one(statement, lines, index, by=by)
    rows_update(settled, ["status", "matched_by", "pledge", "payment", "note"])
    rows_update(refused, ["pledge", "note"])


def _line_match(line: BankStatementLine, index: PledgeIndex) -> tuple[int | None, str]:
    pledge_pk = index.match_reference(line.memo)
    if pledge_pk is not None:
        return pledge_pk, BankStatementLine.MatchedBy.REFERENCE
    return (index.match_amount_and_name(line.amount, line.counterparty, line.memo),
            BankStatementLine.MatchedBy.AMOUNT_AND_NAME)


def _lines_settle_bulk(statement, lines, index: PledgeIndex, *, by):
    """Match and record a chunk's lines in one pass (`PledgePaymentBatch`): the pledges they may
    pay locked at once, each matched line checked in order as `payment_record` would check it (the
    lines of one pledge seeing each other's amounts), the accepted payments written in bulk."""
    from .payments import PledgePayment, PledgePaymentBatch

    batch = PledgePaymentBatch(
        pledge_ids={pk for line in lines for pk in index.may_match(line)}, unit=statement.unit, recorded_by=by,
        bank_references=[line.bank_reference for line in lines],
    )
    outcomes = []
    for line in lines:
        pledge_pk, matched_by = _line_match(line, index)
        if pledge_pk is None:
            continue
        outcome = batch.add(PledgePayment(
            pledge_id=pledge_pk, amount=line.amount, method=Payment.Method.BANK_TRANSFER,
            received_on=line.transaction_date, bank_reference=line.bank_reference,
        ))
        if isinstance(outcome, Payment):
            index.record_paid(pledge_pk, line.amount)
        outcomes.append((line, batch.pledges[pledge_pk], outcome, matched_by))
    batch.write()
    settled, refused = [], []
    for line, pledge, outcome, matched_by in outcomes:
        _line_outcome(line, pledge=pledge, outcome=outcome, matched_by=matched_by, status=BankStatementLine.Status.MATCHED)
        (settled if line.payment_id is not None else refused).append(line)
    return settled, refused


def _lines_settle_one_by_one(statement, lines, index: PledgeIndex, *, by):
    """Match and record a chunk's lines one at a time, each through `payment_record`."""
    settled, refused = [], []
    for line in lines:
        pledge_pk, matched_by = _line_match(line, index)
        if pledge_pk is None:
            continue
        _line_settle(line, pledge=index.pledge(pledge_pk), matched_by=matched_by,
                     status=BankStatementLine.Status.MATCHED, unit=statement.unit, by=by)
        if line.payment_id is not None:
            settled.append(line)
            index.record_paid(pledge_pk, line.amount)
        else:
            refused.append(line)
    return settled, refused


def statement_recount(statement: BankStatementImport) -> None:
    """Refresh the import's counters from its lines (after the import, and after each manual step)."""
    counts = statement.lines.aggregate(
        new=Count("pk"),
        matched=Count("pk", filter=Q(status__in=[BankStatementLine.Status.MATCHED, BankStatementLine.Status.MANUAL])),
        unmatched=Count("pk", filter=Q(status=BankStatementLine.Status.UNMATCHED)),
        ignored=Count("pk", filter=Q(status=BankStatementLine.Status.IGNORED)),
        amount=Sum("amount", filter=Q(payment__isnull=False)),
    )
    statement.lines_new = counts["new"]
    statement.lines_matched = counts["matched"]
    statement.lines_unmatched = counts["unmatched"]
    statement.lines_ignored = counts["ignored"]
    statement.amount_matched = counts["amount"] or 0
    statement.save(update_fields=["lines_new", "lines_matched", "lines_unmatched", "lines_ignored", "amount_matched"])


# --- suggestions for a line that waits ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Suggestion:
    pledge: Pledge
    outstanding: int
    score: int
    reasons: tuple[str, ...]


SUGGESTIONS_MAX = 5
_CANDIDATES_MAX = 200


def bank_line_suggestions(line: BankStatementLine, pledges) -> list[Suggestion]:
    """The open pledges of `pledges` (already scoped to the reader) a queued line most likely pays,
    best first, each with its reasons: at most `SUGGESTIONS_MAX`, in two queries.

    Evidence, and its weight: the pledge's reference in the description (100), or only its code
    without the campaign's prefix (60); the amount equal to what is still to pay on the pledge (40)
    or to the pledge's amount (25); the donor's name, without diacritics, being the sender's (40) or
    found in the description (30), or sharing two words or more with them (10). A pledge must have
    a reference fragment, the amount or the exact name to be a candidate.
    """
    from ..selectors import pledge_paid_amounts

    pledges = pledges.filter(
        campaign__unit__path__startswith=line.statement.unit.path,
        status__in=[Pledge.Status.PLEDGED, Pledge.Status.PARTIALLY_PAID],
    )
    if line.statement.campaign_id is not None:
        pledges = pledges.filter(campaign_id=line.statement.campaign_id)
    memo_code = _alphanumeric(line.memo)
    prefixes = set(pledges.values_list("campaign__reference_prefix", flat=True).distinct())
    windows = {memo_code[i:i + REFERENCE_LENGTH] for i in range(max(len(memo_code) - REFERENCE_LENGTH + 1, 0))}
    windows = {window for window in windows if all(char in REFERENCE_ALPHABET for char in window)}
    counterparty, memo_words = _words(line.counterparty), _words(line.memo)
    query = Q(amount=line.amount) | Q(outstanding=line.amount)
    if windows and prefixes:
        query |= Q(reference__in=[f"{prefix}-{window}" for prefix in prefixes for window in windows])
    if counterparty.strip():
        query |= Q(donor__name_normalized=name_normalize(" ".join(counterparty.split())))
    rows = (
        pledge_paid_amounts(pledges)
        .annotate(outstanding=F("amount") - F("paid_amount"))
        .filter(query)
        .select_related("donor", "campaign")
        .order_by("-pk")[:_CANDIDATES_MAX]
    )
    suggestions = []
    for pledge in rows:
        score, reasons = 0, []
        reference = _alphanumeric(pledge.reference)
        if reference in memo_code:
            score, reasons = score + 100, [*reasons, _("mã ủng hộ có trong nội dung")]
        elif reference[-REFERENCE_LENGTH:] in windows:
            score, reasons = score + 60, [*reasons, _("mã (không có tiền tố) có trong nội dung")]
        if pledge.outstanding == line.amount:
            score, reasons = score + 40, [*reasons, _("số tiền bằng số còn phải nộp")]
        elif pledge.amount == line.amount:
            score, reasons = score + 25, [*reasons, _("số tiền bằng số tiền cam kết")]
        name = _words(pledge.donor.name_normalized)
        if name.strip() and name == counterparty:
            score, reasons = score + 40, [*reasons, _("tên người chuyển là tên nhà hảo tâm")]
        elif name.count(" ") >= 3 and name in memo_words:
            score, reasons = score + 30, [*reasons, _("tên nhà hảo tâm có trong nội dung")]
        elif len(set(name.split()) & (set(counterparty.split()) | set(memo_words.split()))) >= 2:
            score, reasons = score + 10, [*reasons, _("tên gần giống")]
        suggestions.append(Suggestion(pledge=pledge, outstanding=max(pledge.outstanding, 0), score=score,
                                      reasons=tuple(reasons)))
    suggestions.sort(key=lambda suggestion: (-suggestion.score, -suggestion.pledge.pk))
    return suggestions[:SUGGESTIONS_MAX]


# --- the reconciliation queue -----------------------------------------------------------------


LINE_AUDIT_FIELDS = ["status", "matched_by", "pledge", "payment", "note"]


def _line_lock(line: BankStatementLine, *, by) -> BankStatementLine:
    line = BankStatementLine.objects.select_for_update().select_related("statement__unit").get(pk=line.pk)
    access_units(by, [line.statement.unit], action=Action.CHANGE, domain=Domain.MONEY)
    if line.status not in (BankStatementLine.Status.UNMATCHED, BankStatementLine.Status.IGNORED) or line.payment_id:
        raise ValidationError(_("Dòng sao kê này đã được ghi nhận thành khoản thu."), code="line_settled")
    return line


@transaction.atomic
def bank_line_match(*, line: BankStatementLine, pledge: Pledge, by) -> BankStatementLine:
    """A treasurer's match of a queued line to a pledge: the line becomes that pledge's payment."""
    line = _line_lock(line, by=by)
    before = audit_fields(line, LINE_AUDIT_FIELDS)
    pledge = Pledge.objects.select_related("donor").get(pk=pledge.pk)
    changed = _line_settle(line, pledge=pledge, matched_by=BankStatementLine.MatchedBy.MANUAL,
                           status=BankStatementLine.Status.MANUAL, unit=line.statement.unit, by=by)
    if line.payment_id is None:
        raise ValidationError(line.note, code="payment_refused")
    line.resolved_by, line.resolved_at = by, timezone.now()
    line.save(update_fields=[*changed, "resolved_by", "resolved_at"])
    audit_change(line, before, action=AuditEvent.Action.TRANSITION, actor=by)
    statement_recount(line.statement)
    return line


@transaction.atomic
def bank_line_ignore(*, line: BankStatementLine, reason: str, by) -> BankStatementLine:
    """Set a queued line aside as not a donation (bank interest, a refund); a reason is required."""
    line = _line_lock(line, by=by)
    before = audit_fields(line, LINE_AUDIT_FIELDS)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Hãy ghi lý do."), code="reason_required")})
    line.status, line.note = BankStatementLine.Status.IGNORED, reason[:300]
    line.resolved_by, line.resolved_at = by, timezone.now()
    line.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    audit_change(line, before, action=AuditEvent.Action.TRANSITION, actor=by)
    statement_recount(line.statement)
    return line

"""The posting API: every write to the ledger goes through one of these functions.

Other apps never create `JournalEntry` or `JournalLine` rows themselves. They call
`entry_post` (or a named use case built on it) inside their own transaction, so a payment and
its entry, or a disbursement and its entry, commit or roll back together.

What posting guarantees:
- the entry is refused (a `ValidationError` with a Vietnamese message; English in
  `fundmgr/ledger/locale`) unless it has two or more lines, every amount is a positive `int` on
  exactly one side, every account code exists, and debits equal credits for the entry and for
  every fund in it;
- an entry that takes money out of a fund (credits an asset account and lowers what the fund
  may still pay) goes through `spend_guard`, which locks the funds and refuses to let any of
  them go below zero available, also when many spenders race;
- the entry is appended to the hash chain under a lock on the single `LedgerChainHead` row,
  so concurrent posters queue and never fork the chain;
- one audit row per entry, in the same transaction (one INSERT): a posting is a "create" of the
  new entry, a reversal a "transition" of the reversed entry; both carry the new entry's id,
  hash and total. The actor is `created_by`, else the user of the request.

Lock order, to stay free of deadlocks: funds first (in pk order, `funds_lock`), then the chain
head. A caller that will spend from several funds in one transaction locks them all up front
with `funds_lock` before its first posting.
"""

import datetime
import logging
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import Model
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record, audit_save
from fundmgr.core.bulk import instance_new, rows_insert
from fundmgr.core.page_version import public_pages_changed
from fundmgr.idempotency.services import idempotent_create, scope_of
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, user_can

from . import accounts
from .formatting import format_vnd
from .hashing import entry_hash, source_label
from .models import (
    Account,
    Fund,
    JournalEntry,
    JournalLine,
    LedgerChainHead,
    LedgerHistoryError,
    LedgerVerification,
)
from .selectors import funds_available, ledger_chain_check

logger = logging.getLogger(__name__)

MEMO_MAX_LENGTH = JournalEntry._meta.get_field("memo").max_length
ASSET_KIND = Account.Kind.ASSET


@dataclass(frozen=True)
class Line:
    """One line of an entry to post: an account code (`fundmgr.ledger.accounts`), a fund, and a
    positive whole number of dong on exactly one side."""

    account: str
    fund: Fund
    debit: int = 0
    credit: int = 0


class InsufficientFunds(ValidationError):
    """A spend would take a fund below zero available. Carries `fund`, `available`, `requested`."""

    def __init__(self, *, fund: Fund, available: int, requested: int):
        self.fund = fund
        self.available = available
        self.requested = requested
        super().__init__(
            _("Quỹ “%(fund)s” không đủ tiền khả dụng để chi %(requested)s: chỉ còn %(available)s."),
            code="insufficient_funds",
            params={"fund": fund.name, "requested": format_vnd(requested), "available": format_vnd(available)},
        )


# --- locks and the spend guard ------------------------------------------------------------------
def funds_lock(funds: Iterable[Fund]) -> list[Fund]:
    """Lock the rows of `funds` (SELECT ... FOR UPDATE, in pk order) until the caller's
    transaction ends, and return them fresh from the database.

    The fixed order is what keeps two transactions that lock the same funds from deadlocking.
    On SQLite the IMMEDIATE transaction already holds the database's write lock.

    FOR NO KEY UPDATE, not FOR UPDATE: spenders still queue on each other, but rows that merely
    reference the fund (a payment, its journal lines) take a KEY SHARE lock on it for their
    foreign key, which FOR UPDATE would block: money coming in would wait for a disbursement.
    """
    ids = sorted({fund.pk for fund in funds})
    connection = connections[Fund.objects.db]
    if not connection.in_atomic_block:
        raise TransactionManagementError("funds_lock() must run inside transaction.atomic().")
    return list(Fund.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def spend_guard(*, fund_amounts: Mapping[Fund, int]) -> None:
    """Lock the funds and refuse (`InsufficientFunds`) if paying `fund_amounts` would take any of
    them below zero available (balance − protected principal − commitments).

    Call it inside the transaction that records the spend: the lock is held until that
    transaction commits, so the next spender reads a balance that includes this spend. The
    balances are read in a statement after the lock is granted, which on PostgreSQL's READ
    COMMITTED (Django's default; do not run this under REPEATABLE READ) sees every committed spend.
    """
    for amount in fund_amounts.values():
        _check_amount(amount, allow_zero=True)
    locked = funds_lock(fund_amounts)
    available = funds_available(locked)
    requested = {fund.pk: amount for fund, amount in fund_amounts.items()}
    for fund in locked:
        if requested[fund.pk] > available[fund.pk]:
            raise InsufficientFunds(fund=fund, available=available[fund.pk], requested=requested[fund.pk])


# --- posting ------------------------------------------------------------------------------------
def entry_post(
    *,
    unit: OrgUnit,
    date: datetime.date,
    memo: str,
    lines: Sequence[Line],
    source: Model | None = None,
    created_by=None,
    savepoint: bool = True,
) -> JournalEntry:
    """Post a balanced entry for `unit`, naming its `source` document (a payment, a disbursement).

    Refuses with a `ValidationError` and writes nothing when the entry is malformed, and with
    `InsufficientFunds` when it would overspend a fund. Queries: the accounts, the chain head
    (FOR UPDATE), INSERT entry, INSERT lines (one statement), UPDATE chain head, INSERT audit
    row: 6; a posting that spends adds the funds (FOR UPDATE) and their balances: 8; each
    registered commitment source adds one (tests/ledger/test_queries.py pins these). Inside the
    caller's transaction the posting is a savepoint (two more statements), so that a refusal
    leaves the caller's transaction usable; `savepoint=False` spares them for a caller whose own
    atomic block rolls back as a whole when posting raises (`payment_record`).
    The returned entry carries `posted_lines`, the `JournalLine`s just written (with their
    accounts), so the caller need not read them back.
    """
    source_type_id, source_id = _source_reference(source)
    return _entry_record(
        unit=unit, date=date, memo=memo, lines=lines, source_type_id=source_type_id, source_id=source_id,
        created_by=created_by, savepoint=savepoint,
    )


def entry_reverse(
    *, entry: JournalEntry, reason: str, created_by=None, date: datetime.date | None = None
) -> JournalEntry:
    """Post the mirror image of `entry` (debits become credits) that names it and says why.

    History is never edited: a mistaken or voided document is undone by this new entry. An entry
    is reversed at most once (checked under the chain lock, and by the one-to-one `reverses`),
    and a reversal is not itself reversed: post the original again instead, so the book reads
    forward. Taking money back out of a fund is a spend and meets `spend_guard` like any other.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Cần ghi lý do đảo bút toán."), code="reversal_reason_required")
    if entry.reverses_id is not None:
        raise ValidationError(
            _("Bút toán #%(id)s là bút toán đảo; không đảo nó mà ghi lại bút toán đúng."),
            code="reversal_of_reversal", params={"id": entry.pk},
        )
    _check_not_reversed(entry)  # before the spend guard, so the reader learns the real reason
    lines = [
        Line(account=line.account.code, fund=line.fund, debit=line.credit, credit=line.debit)
        for line in entry.lines.select_related("account", "fund").order_by("pk")
    ]
    # The memo is data of the book (Vietnamese), not a message translated for the reader.
    memo = f"Đảo bút toán #{entry.pk}: {entry.memo}"[:MEMO_MAX_LENGTH]
    return _entry_record(
        unit=entry.unit,
        date=date or timezone.localdate(),
        memo=memo,
        lines=lines,
        source_type_id=entry.source_type_id,
        source_id=entry.source_id,
        created_by=created_by,
        reverses=entry,
        reversal_reason=reason,
    )


def fund_transfer(
    *, from_fund: Fund, to_fund: Fund, amount: int, date: datetime.date, memo: str, unit: OrgUnit, created_by=None,
    channel: str = "admin", idempotency_key: str | None = None,
) -> JournalEntry:
    """Move money between funds: each fund's half balances by itself through account 336.

    from_fund: Dr 336 / Cr 112; to_fund: Dr 112 / Cr 336. Guarded on `from_fund` like any spend,
    so a transfer cannot take a fund's protected principal or committed money. Both funds and
    `unit` must lie in `created_by`'s units. A repeat of `idempotency_key` (scoped to `channel` and
    `unit`) with the same request returns the first entry, with `replayed` set to True; with another
    request it is refused.
    """
    access_units(created_by, [unit, from_fund.unit, to_fund.unit], action=Action.ADD, domain=Domain.MONEY)
    _check_amount(amount)
    if from_fund.pk == to_fund.pk:
        raise ValidationError(_("Không thể chuyển tiền từ một quỹ sang chính nó."), code="same_fund")
    request = {"from_fund": from_fund.pk, "to_fund": to_fund.pk, "amount": amount, "date": date, "memo": memo}
    with transaction.atomic():
        entry, created = idempotent_create(
            scope=scope_of(channel, unit), key=idempotency_key, content=request, model=JournalEntry,
            create=lambda: entry_post(
                unit=unit, date=date, memo=memo, created_by=created_by,
                lines=[
                    Line(accounts.FUND_TRANSFERS, from_fund, debit=amount),
                    Line(accounts.BANK, from_fund, credit=amount),
                    Line(accounts.BANK, to_fund, debit=amount),
                    Line(accounts.FUND_TRANSFERS, to_fund, credit=amount),
                ],
            ),
        )
    entry.replayed = not created
    return entry


def interest_record(
    *, fund: Fund, amount: int, date: datetime.date, memo: str, unit: OrgUnit,
    account: str = accounts.BANK, created_by=None,
) -> JournalEntry:
    """Record interest earned by `fund`'s deposits: Dr bank (or `account`) / Cr 515.

    For an endowment this is the money it may pay out: the principal stays protected."""
    access_units(created_by, [unit, fund.unit], action=Action.ADD, domain=Domain.MONEY)
    _check_amount(amount)
    return entry_post(
        unit=unit, date=date, memo=memo, created_by=created_by,
        lines=[Line(account, fund, debit=amount), Line(accounts.INTEREST_INCOME, fund, credit=amount)],
    )


def endowment_principal_record(
    *, fund: Fund, amount: int, date: datetime.date, memo: str, unit: OrgUnit,
    account: str = accounts.BANK, source: Model | None = None, created_by=None,
) -> JournalEntry:
    """Receive principal into an endowment: Dr bank (or `account`) / Cr 411.

    The credit balance of 411 is protected: `fund_available` subtracts it, so only the fund's
    income (interest) can be paid out."""
    access_units(created_by, [unit, fund.unit], action=Action.ADD, domain=Domain.MONEY)
    _check_amount(amount)
    if not fund.is_endowment:
        raise ValidationError(
            _("Quỹ “%(fund)s” không phải quỹ bảo toàn vốn gốc."), code="not_endowment", params={"fund": fund.name}
        )
    return entry_post(
        unit=unit, date=date, memo=memo, source=source, created_by=created_by,
        lines=[Line(account, fund, debit=amount), Line(accounts.ENDOWMENT_PRINCIPAL, fund, credit=amount)],
    )


# --- funds ----------------------------------------------------------------------------------------
# What the admin form edits, and what a fund's audit rows hold.
FUND_FIELDS = [
    "code", "name", "unit", "restriction", "restricted_purpose", "restricted_circumstances", "is_endowment",
    "is_active",
]


def _restricted_unit_ids(fund: Fund) -> list[int]:
    return sorted(fund.restricted_units.values_list("pk", flat=True))


@transaction.atomic
def fund_save(*, fund: Fund, restricted_units: Iterable[OrgUnit] | None = None, by=None) -> Fund:
    """Create `fund`, or save the changes made to it, with its restricted units when given.

    One audit row in the same transaction: `create` with every field (and the restricted unit
    ids), or `change` with the fields that changed, before and after; none when nothing did. The
    caller (the admin form) has validated the fields; a fund's restrictions decide what it may
    pay for, so who changed them and when must be on record.
    """
    if fund.pk is None:
        fund.save()
        if restricted_units is not None:
            fund.restricted_units.set(restricted_units)
        audit_create(fund, FUND_FIELDS, actor=by, extra={"restricted_units": _restricted_unit_ids(fund)})
        return fund
    stored = Fund.objects.select_for_update().get(pk=fund.pk)
    before = {**audit_fields(stored, FUND_FIELDS), "restricted_units": _restricted_unit_ids(stored)}
    public_pages_changed()  # its name on the campaign pages and the statements
    fund.save(update_fields=FUND_FIELDS)
    if restricted_units is not None:
        fund.restricted_units.set(restricted_units)
    after = {**audit_fields(fund, FUND_FIELDS), "restricted_units": _restricted_unit_ids(fund)}
    audit_change(fund, before, after=after, actor=by)
    return fund


# A check asked for from the admin waits this long before another may be asked for, and a run
# unfinished for longer than RUN_HOURS is taken for a worker that died, not a check in progress.
VERIFY_REQUEST_SECONDS = 300
VERIFY_RUN_HOURS = 1
VERIFY_REQUEST_KEY = "ledger:verify-requested"


def ledger_verify_request(*, user) -> None:
    """Whether `user` may have the whole chain checked now (the admin's "Kiểm tra sổ ngay"); the
    caller then sends `ledger_verify_task` with the user's id after commit.

    Whoever may read the ledger may ask, auditors included: a check reads the books and records
    its result, it changes no figure. One at a time and one per `VERIFY_REQUEST_SECONDS` for the
    whole installation (a check reads every line: a button pressed ten times is one check), else
    a `ValidationError` that says why."""
    if not user_can(user, Action.VIEW, Domain.LEDGER):
        raise PermissionDenied(_("Bạn không có quyền xem sổ cái."))
    running_since = timezone.now() - datetime.timedelta(hours=VERIFY_RUN_HOURS)
    if LedgerVerification.objects.filter(finished_at__isnull=True, started_at__gte=running_since).exists():
        raise ValidationError(_("Một lần kiểm tra sổ đang chạy; kết quả sẽ hiện trong danh sách khi xong."))
    try:
        asked = cache.add(VERIFY_REQUEST_KEY, user.pk, VERIFY_REQUEST_SECONDS)
    except Exception:  # the cache is down: the running check above still guards
        logger.warning("ledger verification requested without the cache's guard", exc_info=True)
        asked = True
    if not asked:
        raise ValidationError(_("Sổ vừa được yêu cầu kiểm tra trong %(minutes)s phút qua; hãy đợi kết quả.")
                              % {"minutes": VERIFY_REQUEST_SECONDS // 60})


def ledger_verify(*, batch_size: int = 10_000, requested_by=None) -> LedgerVerification:
    """Check the whole chain (`selectors.ledger_chain_check`) and record the run for auditors.

    The command `verify_ledger`, the nightly Celery task, the admin's request (`requested_by`: the
    user who asked, named in the audit trail) and anything else call this one function. The
    record is written in its own short transactions around the read-only walk.
    """
    verification = LedgerVerification.objects.create()
    if requested_by is not None:
        audit_record(action=AuditEvent.Action.CREATE, instance=verification, actor=requested_by, unit=None)
    try:
        check = ledger_chain_check(batch_size=batch_size)
    except Exception as error:
        verification.finished_at = timezone.now()
        verification.ok = False
        verification.message = f"verification crashed: {error!r}"
        verification.save(update_fields=["finished_at", "ok", "message"])
        raise
    verification.finished_at = timezone.now()
    verification.ok = check.ok
    verification.first_broken_entry_id = check.first_broken_entry_id
    verification.message = check.message
    verification.entries_checked = check.entries_checked
    verification.lines_checked = check.lines_checked
    verification.save(
        update_fields=["finished_at", "ok", "first_broken_entry_id", "message", "entries_checked", "lines_checked"]
    )
    if check.ok:
        logger.info("ledger verified: %s", check.message)
    else:
        logger.error("ledger verification failed: %s", check.message)
    verification.check = check
    return verification


# --- the one place that writes entries ----------------------------------------------------------
def _entry_checked(memo: str, date: datetime.date, lines: Sequence[Line]) -> tuple[str, list[Line]]:
    """The cleaned memo and the lines of an entry to post, or the `ValidationError` that refuses it
    (everything that can be refused without the database)."""
    lines = list(lines)
    memo = _clean_memo(memo)
    _check_date(date)
    _check_lines(lines)
    return memo, lines


def _source_reference(source: Model | None) -> tuple[int | None, str]:
    """The (content type id, id) an entry stores for its source document."""
    if source is None:
        return None, ""
    if source.pk is None:
        raise ValidationError(_("Chứng từ gốc phải được lưu trước khi ghi sổ."), code="unsaved_source")
    return ContentType.objects.get_for_model(source, for_concrete_model=False).pk, str(source.pk)


def _entry_build(
    *, previous_hash: str, unit: OrgUnit, date: datetime.date, memo: str, lines: list[Line],
    source_type_id: int | None, source_id: str, created_by, reverses: JournalEntry | None = None,
    reversal_reason: str = "",
) -> JournalEntry:
    """The entry (unsaved) that follows `previous_hash` in the chain, with its hash."""
    source = ""
    if source_type_id is not None:
        content_type = ContentType.objects.get_for_id(source_type_id)
        source = source_label(content_type.app_label, content_type.model, source_id)
    digest = entry_hash(
        previous_hash=previous_hash,
        unit_code=unit.code,
        date_iso=date.isoformat(),
        memo=memo,
        source=source,
        reverses_hash=reverses.hash if reverses is not None else "",
        reversal_reason=reversal_reason,
        lines=[(line.account, line.fund.code, line.debit, line.credit) for line in lines],
    )
    return instance_new(
        JournalEntry, unit=unit, date=date, memo=memo, source_type_id=source_type_id, source_id=source_id,
        reverses=reverses, reversal_reason=reversal_reason, created_by=created_by,
        previous_hash=previous_hash, hash=digest,
    )


def _entry_lines(entry: JournalEntry, lines: list[Line], account_by_code: Mapping[str, Account]) -> list[JournalLine]:
    return [
        instance_new(JournalLine, entry=entry, account=account_by_code[line.account], fund=line.fund,
                     debit=line.debit, credit=line.credit)
        for line in lines
    ]


def _entry_record(
    *,
    unit: OrgUnit,
    date: datetime.date,
    memo: str,
    lines: Sequence[Line],
    source_type_id: int | None,
    source_id: str,
    created_by,
    reverses: JournalEntry | None = None,
    reversal_reason: str = "",
    savepoint: bool = True,
) -> JournalEntry:
    memo, lines = _entry_checked(memo, date, lines)
    with transaction.atomic(savepoint=savepoint):
        # The public statement shows money out and the funds' balances: inside the block, so that
        # the pages' version moves after the commit even for a caller without a transaction.
        public_pages_changed()
        account_by_code = _accounts(lines)
        spends = _spends(lines, account_by_code)
        if spends:
            spend_guard(fund_amounts=spends)
        head = _chain_head_lock()
        if reverses is not None:
            # Again under the chain lock, so two reversals of one entry cannot both pass.
            _check_not_reversed(reverses)
        entry = _entry_build(
            previous_hash=head.last_hash, unit=unit, date=date, memo=memo, lines=lines,
            source_type_id=source_type_id, source_id=source_id, created_by=created_by, reverses=reverses,
            reversal_reason=reversal_reason,
        )
        entry.save()
        entry.posted_lines = JournalLine.objects.bulk_create(_entry_lines(entry, lines, account_by_code))
        head.last_entry_id = entry.pk
        head.last_hash = entry.hash
        head.entry_count += 1
        head.save(update_fields=["last_entry_id", "last_hash", "entry_count"])
        _entry_audit(entry, reverses=reverses, total=sum(line.debit for line in lines), actor=created_by)
    return entry


@dataclass(frozen=True)
class Posting:
    """One entry for `entries_post`: what `entry_post` takes for one."""

    unit: OrgUnit
    date: datetime.date
    memo: str
    lines: Sequence[Line]
    source: Model | None = None


def entries_post(*, postings: Sequence[Posting], created_by=None, savepoint: bool = True) -> list[JournalEntry]:
    """Post several balanced entries at once, in order, as `entry_post` would post them one by one.

    The same checks (any refusal refuses them all, nothing written), the same hashing and the same
    audit rows (one per entry), in a constant number of statements whatever their number: the
    accounts, the spend guard when any entry spends (for the funds' sums over all entries), the
    chain head locked once, the entries hashed in order from the head and inserted in one
    statement, their lines in one, the head updated once, the audit rows in one INSERT. For a
    caller that records many documents in one transaction (the bank-statement import). Each
    returned entry carries `posted_lines`, as `entry_post`'s does.
    """
    postings = list(postings)
    if not postings:
        return []
    checked = []
    for posting in postings:
        source_reference = _source_reference(posting.source)  # first, as entry_post checks it
        memo, lines = _entry_checked(posting.memo, posting.date, posting.lines)
        checked.append((posting, memo, lines, *source_reference))
    with transaction.atomic(savepoint=savepoint):
        public_pages_changed()  # as `_entry_record`: after the commit
        account_by_code = _accounts([line for _posting, _memo, lines, *_rest in checked for line in lines])
        spends: dict[Fund, int] = {}
        by_pk: dict[int, Fund] = {}
        for _posting, _memo, lines, *_rest in checked:
            for fund, amount in _spends(lines, account_by_code).items():
                fund = by_pk.setdefault(fund.pk, fund)
                spends[fund] = spends.get(fund, 0) + amount
        if spends:
            spend_guard(fund_amounts=spends)
        head = _chain_head_lock()
        entries, previous_hash = [], head.last_hash
        for posting, memo, lines, source_type_id, source_id in checked:
            entry = _entry_build(
                previous_hash=previous_hash, unit=posting.unit, date=posting.date, memo=memo, lines=lines,
                source_type_id=source_type_id, source_id=source_id, created_by=created_by,
            )
            entries.append(entry)
            previous_hash = entry.hash
        rows_insert(entries)
        rows = [_entry_lines(entry, lines, account_by_code) for entry, (_p, _m, lines, *_r) in zip(entries, checked, strict=True)]
        rows_insert([row for entry_rows in rows for row in entry_rows])
        for entry, entry_rows in zip(entries, rows, strict=True):
            entry.posted_lines = entry_rows
        head.last_entry_id = entries[-1].pk
        head.last_hash = previous_hash
        head.entry_count += len(entries)
        head.save(update_fields=["last_entry_id", "last_hash", "entry_count"])
        audit_save([
            _entry_audit(entry, reverses=None, total=sum(line.debit for line in lines), actor=created_by, save=False)
            for entry, (_p, _m, lines, *_r) in zip(entries, checked, strict=True)
        ])
    return entries


def _entry_audit(entry: JournalEntry, *, reverses: JournalEntry | None, total: int, actor, save: bool = True) -> AuditEvent:
    posted = {"entry": entry.pk, "hash": entry.hash, "total": total}
    if reverses is None:
        return audit_record(action=AuditEvent.Action.CREATE, instance=entry, after=posted, actor=actor, save=save)
    return audit_record(
        action=AuditEvent.Action.TRANSITION, instance=reverses, actor=actor, save=save,
        before={"reversed_by": None}, after={"reversed_by": entry.pk, **posted, "reason": entry.reversal_reason},
    )


def _check_not_reversed(entry: JournalEntry) -> None:
    reversed_by = JournalEntry.objects.filter(reverses=entry).values_list("pk", flat=True).first()
    if reversed_by is not None:
        raise ValidationError(
            _("Bút toán #%(id)s đã được đảo bởi bút toán #%(by)s; không thể đảo lần nữa."),
            code="already_reversed", params={"id": entry.pk, "by": reversed_by},
        )


def _chain_head_lock() -> LedgerChainHead:
    head = LedgerChainHead.objects.select_for_update().filter(pk=LedgerChainHead.SINGLETON_PK).first()
    if head is not None:
        return head
    # Only a fresh (or test-flushed) database has no head; a ledger with entries and no head
    # was tampered with, and appending to it would hide that.
    if JournalEntry.objects.exists():
        raise LedgerHistoryError("The ledger chain head is missing while entries exist; run verify_ledger.")
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    return LedgerChainHead.objects.select_for_update().get(pk=LedgerChainHead.SINGLETON_PK)


def _clean_memo(memo: str) -> str:
    # NFC, so that the same words typed on different keyboards hash the same.
    memo = unicodedata.normalize("NFC", (memo or "").strip())
    if not memo:
        raise ValidationError(_("Diễn giải của bút toán không được để trống."), code="memo_required")
    if len(memo) > MEMO_MAX_LENGTH:
        raise ValidationError(
            _("Diễn giải dài quá %(max)s ký tự."), code="memo_too_long", params={"max": MEMO_MAX_LENGTH}
        )
    return memo


def _check_date(date) -> None:
    if isinstance(date, datetime.datetime) or not isinstance(date, datetime.date):
        raise ValidationError(_("Ngày hạch toán phải là một ngày (date)."), code="invalid_date")


def _check_amount(amount, *, allow_zero: bool = False) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(
            _("Số tiền phải là một số nguyên đồng dương, nhận được %(amount)r."),
            code="invalid_amount", params={"amount": amount},
        )


def _check_lines(lines: list[Line]) -> None:
    """Everything that can be refused without the database, in the order a reader would check."""
    if len(lines) < 2:
        raise ValidationError(
            _("Một bút toán cần ít nhất hai dòng; nhận được %(count)s."), code="too_few_lines",
            params={"count": len(lines)},
        )
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, Line):
            raise ValidationError(
                _("Dòng %(position)s không phải một dòng bút toán (Line)."), code="invalid_line",
                params={"position": position},
            )
        if not isinstance(line.fund, Fund) or line.fund.pk is None:
            raise ValidationError(
                _("Dòng %(position)s: quỹ không hợp lệ hoặc chưa được lưu."), code="invalid_fund",
                params={"position": position},
            )
        for amount in (line.debit, line.credit):
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise ValidationError(
                    _("Dòng %(position)s: số tiền phải là số nguyên đồng (int), không phải %(type)s."),
                    code="amount_not_int", params={"position": position, "type": type(amount).__name__},
                )
            if amount < 0:
                raise ValidationError(
                    _("Dòng %(position)s: số tiền không được âm."), code="negative_amount",
                    params={"position": position},
                )
        if line.debit and line.credit:
            raise ValidationError(
                _("Dòng %(position)s: chỉ được ghi một bên, Nợ hoặc Có."), code="both_sides",
                params={"position": position},
            )
        if not line.debit and not line.credit:
            raise ValidationError(
                _("Dòng %(position)s: số tiền phải lớn hơn 0."), code="zero_amount", params={"position": position}
            )
    total_debit = sum(line.debit for line in lines)
    total_credit = sum(line.credit for line in lines)
    if total_debit != total_credit:
        raise ValidationError(
            _("Bút toán không cân: tổng Nợ %(debit)s khác tổng Có %(credit)s."), code="unbalanced",
            params={"debit": format_vnd(total_debit), "credit": format_vnd(total_credit)},
        )
    per_fund: dict[int, list] = {}
    for line in lines:
        totals = per_fund.setdefault(line.fund.pk, [line.fund, 0, 0])
        totals[1] += line.debit
        totals[2] += line.credit
    for fund, debit, credit in per_fund.values():
        if debit != credit:
            raise ValidationError(
                _("Bút toán không cân trong quỹ “%(fund)s”: Nợ %(debit)s, Có %(credit)s. Mỗi quỹ phải tự cân."),
                code="unbalanced_fund",
                params={"fund": fund.name, "debit": format_vnd(debit), "credit": format_vnd(credit)},
            )


def _accounts(lines: list[Line]) -> dict[str, Account]:
    codes = {line.account for line in lines}
    found = {account.code: account for account in Account.objects.filter(code__in=codes)}
    for line in lines:  # in line order, so the message names the first unknown code
        if line.account not in found:
            raise ValidationError(
                _("Tài khoản “%(code)s” không có trong hệ thống tài khoản."), code="unknown_account",
                params={"code": line.account},
            )
    return found


def _spends(lines: list[Line], account_by_code: Mapping[str, Account]) -> dict[Fund, int]:
    """{fund: amount} the entry takes out of what each fund may pay.

    A fund spends when the entry credits one of its asset accounts (cash, bank, goods) and its
    available amount (assets − protected principal) goes down: a scholarship paid, a transfer
    out, a donation reversed. Moving money between its own cash and bank, or returning
    endowment principal (assets and principal fall together), spends nothing.
    """
    credits_assets: set[int] = set()
    change: dict[int, int] = {}
    funds: dict[int, Fund] = {}
    for line in lines:
        fund_id = line.fund.pk
        funds[fund_id] = line.fund
        if account_by_code[line.account].kind == ASSET_KIND:
            change[fund_id] = change.get(fund_id, 0) + line.debit - line.credit
            if line.credit:
                credits_assets.add(fund_id)
        elif line.account == accounts.ENDOWMENT_PRINCIPAL:
            change[fund_id] = change.get(fund_id, 0) - (line.credit - line.debit)
    return {funds[fund_id]: -change[fund_id] for fund_id in sorted(credits_assets) if change[fund_id] < 0}

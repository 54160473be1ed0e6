"""Reads of the ledger that are more than a filter: balances, availability, restrictions, the chain.

Balances are never stored: they are sums over journal lines computed by the database, so they
cannot disagree with the lines. A fund's *balance* is what it holds (cash, bank, goods in kind:
the sum of debit − credit over the asset accounts); its *available* amount is the balance less
the protected principal of an endowment (the credit balance of account 411) and less what is
committed (approved, unpaid awards, reported by `commitments.py`).
"""

import datetime
import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from fundmgr.core import sql_rows
from fundmgr.orgs.models import OrgUnit

from . import accounts
from .commitments import commitments_for
from .formatting import format_vnd
from .hashing import GENESIS_HASH, entry_canonical_bytes_of_written_lines, json_string, source_label
from .models import Account, Fund, JournalEntry, JournalLine, LedgerChainHead
from .references import all_references, document_problems
from .sources import source_groupers, source_groups

logger = logging.getLogger(__name__)

ASSET_LINES = Q(account__kind=Account.Kind.ASSET)
PRINCIPAL_LINES = Q(account__code=accounts.ENDOWMENT_PRINCIPAL)


def fund_by_code(code: str) -> Fund | None:
    """The fund of `code` with its managing unit, whatever that unit (a write service checks the
    writer's units): `select_related("unit")` written as SQL, since every pledge POST of the API asks it."""
    found = sql_rows.with_parents(
        (Fund, "fund"), [("fund", "unit", OrgUnit, "unit")], f"{sql_rows.column(Fund, 'fund', 'code')} = %s", [code],
    )
    return found[0] if found else None


# --- restrictions -------------------------------------------------------------------------------
def fund_can_pay(fund: Fund, *, unit: OrgUnit | None = None, circumstances: Iterable[str] = ()) -> bool:
    """Whether `fund` may pay a student nominated in `unit` whose household has `circumstances`.

    - an inactive fund pays nobody;
    - a fund restricted to units pays students of those units and of every unit below them
      (a fund for a commune also serves the schools' branches in it); no unit, no payment;
    - a fund restricted to circumstances pays a student with at least one of them;
    - an unrestricted fund, and a fund restricted by purpose, may pay anyone here: a purpose
      ("high achievers") is matched when a scholarship program chooses its funds, not per student.
    Availability of money is a separate question (`fund_available`). `restricted_units` is read
    with `.all()`, so a caller checking many funds should `prefetch_related("restricted_units")`.
    """
    if not fund.is_active:
        return False
    if fund.restriction == Fund.Restriction.UNITS:
        if unit is None:
            return False
        return any(unit.path.startswith(allowed.path) for allowed in fund.restricted_units.all())
    if fund.restriction == Fund.Restriction.CIRCUMSTANCES:
        allowed = {str(code) for code in fund.restricted_circumstances}
        return bool(allowed.intersection(str(code) for code in circumstances))
    return True


# --- balances -----------------------------------------------------------------------------------
def _lines(*, as_of: datetime.date | None, units, funds=None) -> QuerySet:
    lines = JournalLine.objects.all()
    if as_of is not None:
        lines = lines.filter(entry__date__lte=as_of)
    if units is not None:
        lines = lines.filter(entry__unit__in=units)
    if funds is not None:
        lines = lines.filter(fund__in=funds)
    return lines.order_by()


def fund_balances(*, as_of: datetime.date | None = None, units=None) -> dict[int, int]:
    """{fund_id: balance} over the asset accounts, as of a date (inclusive), for entries posted by
    `units` (OrgUnits or a queryset; None = all). One GROUP BY query; funds without lines are absent."""
    rows = (
        _lines(as_of=as_of, units=units)
        .filter(ASSET_LINES)
        .values("fund_id")
        .annotate(balance=Sum(F("debit") - F("credit")))
    )
    return {row["fund_id"]: row["balance"] for row in rows}


def account_balances(*, as_of: datetime.date | None = None, units=None, funds=None) -> dict[str, int]:
    """{account code: debit − credit} (income and net-asset accounts come out negative: they
    have credit balances). One GROUP BY query."""
    rows = (
        _lines(as_of=as_of, units=units, funds=funds)
        .values("account__code")
        .annotate(balance=Sum(F("debit") - F("credit")))
    )
    return {row["account__code"]: row["balance"] for row in rows}


def unit_balances(*, as_of: datetime.date | None = None, funds=None) -> dict[int, int]:
    """{unit_id: asset balance} by the unit that posted the entries. One GROUP BY query."""
    rows = (
        _lines(as_of=as_of, units=None, funds=funds)
        .filter(ASSET_LINES)
        .values("entry__unit_id")
        .annotate(balance=Sum(F("debit") - F("credit")))
    )
    return {row["entry__unit_id"]: row["balance"] for row in rows}


def fund_positions(fund_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{fund_id: (balance, protected principal)} for `fund_ids`, in one query.

    `spend_guard` calls this after it has locked the funds, in a statement of its own: on
    PostgreSQL (READ COMMITTED) a new statement sees every spend committed by whoever held the
    locks before, which a subquery inside the `SELECT ... FOR UPDATE` would not.
    """
    ids = sorted(set(fund_ids))
    positions = dict.fromkeys(ids, (0, 0))
    rows = (
        JournalLine.objects.filter(fund_id__in=ids)
        .filter(ASSET_LINES | PRINCIPAL_LINES)
        .order_by()
        .values("fund_id")
        .annotate(
            balance=Sum(F("debit") - F("credit"), filter=ASSET_LINES, default=0),
            principal=Sum(F("credit") - F("debit"), filter=PRINCIPAL_LINES, default=0),
        )
    )
    for row in rows:
        positions[row["fund_id"]] = (row["balance"], row["principal"])
    return positions


def funds_available(funds: Iterable[Fund]) -> dict[int, int]:
    """{fund_id: available} = balance − protected principal − commitments, for several funds
    at the cost of one query plus one per registered commitment source."""
    ids = [fund.pk for fund in funds]
    positions = fund_positions(ids)
    commitments = commitments_for(ids)
    return {
        fund_id: balance - principal - commitments[fund_id] for fund_id, (balance, principal) in positions.items()
    }


def fund_available(fund: Fund) -> int:
    """What `fund` may still pay: balance − protected principal − commitments."""
    return funds_available([fund])[fund.pk]


def funds_with_balances(queryset: QuerySet | None = None, *, as_of: datetime.date | None = None) -> QuerySet:
    """Funds annotated with `balance`, `principal` and `available_before_commitments`, in the
    same query that lists them (admin lists, reports). Add commitments per page with
    `funds_attach_available`."""
    queryset = Fund.objects.all() if queryset is None else queryset
    lines = JournalLine.objects.filter(fund=OuterRef("pk")).order_by()
    if as_of is not None:
        lines = lines.filter(entry__date__lte=as_of)

    def total(condition: Q, expression) -> Coalesce:
        summed = lines.filter(condition).values("fund").annotate(total=Sum(expression)).values("total")
        return Coalesce(Subquery(summed, output_field=BigIntegerField()), Value(0))

    return queryset.annotate(
        balance=total(ASSET_LINES, F("debit") - F("credit")),
        principal=total(PRINCIPAL_LINES, F("credit") - F("debit")),
    ).annotate(available_before_commitments=F("balance") - F("principal"))


def funds_attach_available(funds: Sequence[Fund]) -> Sequence[Fund]:
    """Set `commitments` and `available` on funds annotated by `funds_with_balances`: one call
    per registered commitment source for the whole list, never one per fund."""
    commitments = commitments_for(fund.pk for fund in funds)
    for fund in funds:
        fund.commitments = commitments[fund.pk]
        fund.available = fund.available_before_commitments - fund.commitments
    return funds


# --- money in and out by month -------------------------------------------------------------------
@dataclass(frozen=True)
class MonthFlow:
    """Money that came into and went out of a fund in one month (`month` is its first day)."""

    month: datetime.date
    money_in: int
    money_out: int


def _month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def fund_money_by_month(fund: Fund, *, until: datetime.date, months: int = 12) -> list[MonthFlow]:
    """The `months` months up to the one of `until` (inclusive), oldest first, each with the
    money in and out of `fund`; months without money are there with zeros. One GROUP BY query.

    Money in is what the fund's asset accounts (cash, bank, goods) were debited, money out what
    they were credited, by the entries' dates: a donation is money in, a scholarship paid or a
    transfer to another fund money out, and a reversal (a voided receipt) is money out of the
    month it was posted in, which is when the money went back. Every service that moves money
    moves it between an asset account and a non-asset one, so no move counts twice.
    """
    first = _month_start(until, months - 1)
    last = _month_start(until)
    rows = (
        JournalLine.objects.filter(ASSET_LINES, fund=fund, entry__date__gte=first, entry__date__lte=until)
        .order_by()
        .annotate(month=TruncMonth("entry__date"))
        .values("month")
        .annotate(money_in=Sum("debit"), money_out=Sum("credit"))
        .values_list("month", "money_in", "money_out")
    )
    # TruncMonth of a date field gives a date; normalise in case a backend hands back a datetime.
    sums = {(month.year, month.month): (money_in, money_out) for month, money_in, money_out in rows}
    flows = []
    for back in range(months - 1, -1, -1):
        month = _month_start(last, back)
        money_in, money_out = sums.get((month.year, month.month), (0, 0))
        flows.append(MonthFlow(month=month, money_in=money_in, money_out=money_out))
    return flows


# --- the hash chain -----------------------------------------------------------------------------
@dataclass
class ChainCheck:
    """What `ledger_chain_check` found. `ok` is False as soon as one entry is broken."""

    ok: bool = True
    first_broken_entry_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    entries_checked: int = 0
    lines_checked: int = 0
    total_debit: int = 0
    total_credit: int = 0
    head_entry_id: int | None = None
    head_hash: str = GENESIS_HASH
    documents_checked: int = 0
    seconds: float = 0.0

    def break_at(self, entry_id: int | None, *reasons: str) -> None:
        self.ok = False
        self.first_broken_entry_id = entry_id
        self.reasons.extend(reasons)

    @property
    def message(self) -> str:
        if self.ok:
            return _(
                "Sổ cái nguyên vẹn: %(entries)s bút toán, %(lines)s dòng, tổng Nợ = tổng Có = %(total)s; "
                "đầu chuỗi #%(head)s %(hash)s; kiểm trong %(seconds).1f giây."
            ) % {
                "entries": self.entries_checked,
                "lines": self.lines_checked,
                "total": format_vnd(self.total_debit),
                "head": self.head_entry_id or 0,
                "hash": self.head_hash,
                "seconds": self.seconds,
            }
        where = (
            _("bút toán #%(id)s") % {"id": self.first_broken_entry_id}
            if self.first_broken_entry_id is not None
            else _("đầu chuỗi")
        )
        return _("Sổ cái bị hỏng tại %(where)s: %(reasons)s (đã kiểm %(entries)s bút toán).") % {
            "where": where,
            "reasons": "; ".join(self.reasons),
            "entries": self.entries_checked,
        }


@contextmanager
def ledger_snapshot(alias: str = "default"):
    """One consistent view of the ledger for the whole walk (the chain check, the public
    statement's sums and the entry id they are complete through).

    On PostgreSQL a REPEATABLE READ, READ ONLY transaction: postings that commit meanwhile are
    not seen, so they cannot look like entries after the chain head. On SQLite the transaction
    (IMMEDIATE, see settings) holds the write lock: writers wait until the walk ends, which
    suits the small embedded ledgers. Inside a caller's transaction, that transaction is the view.
    """
    connection = connections[alias]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def ledger_chain_check(*, batch_size: int = 10_000) -> ChainCheck:
    """Walk every entry in pk order and say whether, and where, the ledger was altered.

    For each entry: its `previous_hash` is the stored hash of the entry before it (else an entry
    was removed, inserted or reordered); it has at least two lines, each with one positive side,
    and balances for every fund; its hash, recomputed by `hashing.entry_hash`, is the stored one
    (else its content or its hash was edited). Finally the chain head names the last entry and
    its hash (else the tail was cut or entries were appended around `entry_post`), and every
    document that names an entry (payments, receipts: `references.py`) finds it as it says (else
    the tail was cut *and* the head moved back, or a document or an entry was edited).

    Streams in pk batches: per batch one query for the entries and one for their lines (a range
    of `entry_id`, in line order), as value tuples walked side by side; codes of accounts, funds
    and units are read once and quoted for the canonical form once, the source label's prefix
    once per content type, so the work per line is one short string and a few sums, and memory
    stays flat for millions of lines. Queries: five reads of the small tables and the head, two
    per batch, and the document checks (`references.py`), whatever the number of entries.
    """
    started = time.perf_counter()
    alias = JournalEntry.objects.db
    check = ChainCheck()
    with ledger_snapshot(alias):
        fund_codes = dict(Fund.objects.values_list("pk", "code"))
        # Each line of the canonical form is `[<account>,<fund>,<debit>,<credit>]`: the two codes,
        # quoted once here, with their commas.
        account_parts = {pk: f"[{json_string(code)}," for pk, code in Account.objects.values_list("pk", "code")}
        fund_parts = {pk: f"{json_string(code)}," for pk, code in fund_codes.items()}
        unit_codes = dict(OrgUnit.objects.values_list("pk", "code"))
        source_prefixes = {  # "donations.payment:", to which each entry adds its source_id
            pk: source_label(app, model, "") for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        }
        head = LedgerChainHead.objects.filter(pk=LedgerChainHead.SINGLETON_PK).first()
        sha256 = hashlib.sha256

        expected_previous = GENESIS_HASH
        last_entry_id = None
        after_pk = 0
        entries_checked = lines_checked = total_debit = total_credit = 0
        while check.ok:
            entries = list(
                JournalEntry.objects.filter(pk__gt=after_pk)
                .order_by("pk")
                .values_list(
                    "pk", "unit_id", "date", "memo", "source_type_id", "source_id",
                    "reverses__hash", "reversal_reason", "previous_hash", "hash",
                )[:batch_size]
            )
            if not entries:
                break
            first_pk, last_pk = entries[0][0], entries[-1][0]
            # One client-side fetch per batch: the batch bounds memory, and a server-side cursor
            # (`.iterator()`) would add a round trip per chunk for nothing. Lines come in entry
            # order, so they are walked with the entries by one index, never regrouped.
            lines = list(
                JournalLine.objects.filter(entry_id__gte=first_pk, entry_id__lte=last_pk)
                .order_by("entry_id", "pk")
                .values_list("entry_id", "account_id", "fund_id", "debit", "credit")
            )
            line_count = len(lines)
            at = 0
            for pk, unit_id, date, memo, type_id, source_id, reverses_hash, reason, previous, stored in entries:
                begin = at
                parts = []
                per_fund: dict[int, int] = {}
                sides_ok = True
                while at < line_count and lines[at][0] == pk:
                    _entry, account_id, fund_id, debit, credit = lines[at]
                    at += 1
                    parts.append(f"{account_parts[account_id]}{fund_parts[fund_id]}{debit},{credit}]")
                    if not ((debit > 0 and credit == 0) or (debit == 0 and credit > 0)):
                        sides_ok = False
                    per_fund[fund_id] = per_fund.get(fund_id, 0) + debit - credit
                    total_debit += debit
                    total_credit += credit
                count = at - begin
                entries_checked += 1
                lines_checked += count
                prefix = source_prefixes.get(type_id)
                source = prefix + source_id if prefix else ""
                recomputed = sha256(entry_canonical_bytes_of_written_lines(
                    previous_hash=previous,
                    unit_code=unit_codes[unit_id],
                    date_iso=date.isoformat(),
                    memo=memo,
                    source=source,
                    reverses_hash=reverses_hash or "",
                    reversal_reason=reason,
                    lines_json=",".join(parts),
                )).hexdigest()
                if (
                    previous == expected_previous and recomputed == stored and sides_ok and count >= 2
                    and not any(per_fund.values())
                ):
                    expected_previous = stored
                    last_entry_id = pk
                    continue
                problems = []
                if previous != expected_previous:
                    problems.append(
                        _("mã băm trước (previous_hash) không khớp bút toán trước nó: một bút toán "
                          "đã bị xoá, chèn hoặc đổi thứ tự")
                    )
                if recomputed != stored:
                    problems.append(_("mã băm không khớp nội dung: nội dung hoặc mã băm đã bị sửa"))
                problems.extend(_entry_structure_problems([line[1:] for line in lines[begin:at]], fund_codes))
                check.break_at(pk, *problems)
                break
            after_pk = last_pk
        check.entries_checked, check.lines_checked = entries_checked, lines_checked
        check.total_debit, check.total_credit = total_debit, total_credit

        if check.ok:
            check.head_entry_id, check.head_hash = last_entry_id, expected_previous
            if head is None:
                if last_entry_id is not None:
                    check.break_at(None, _("thiếu đầu chuỗi (LedgerChainHead) trong khi sổ có bút toán"))
            elif head.last_entry_id != last_entry_id or head.last_hash != expected_previous:
                check.break_at(
                    _first_entry_off_head(head.last_entry_id, last_entry_id),
                    _("đầu chuỗi ghi bút toán #%(head)s, nhưng bút toán cuối là #%(last)s: phần cuối sổ "
                      "đã bị cắt hoặc có bút toán ghi ngoài entry_post")
                    % {"head": head.last_entry_id or 0, "last": last_entry_id or 0},
                )
        if check.ok:
            # A cut tail with the head moved back verifies as a shorter chain; the payments and
            # receipts that name the lost entries do not.
            documents = document_problems(all_references(), head_entry_id=last_entry_id)
            check.documents_checked = documents.documents_checked
            if documents.count:
                check.break_at(documents.first_entry_id, *documents.summary())
    check.seconds = time.perf_counter() - started
    return check


def _first_entry_off_head(head_entry_id: int | None, last_entry_id: int | None) -> int | None:
    """The entry where chain and head part: the first one after the head, or the missing head."""
    if last_entry_id is not None and (head_entry_id is None or head_entry_id < last_entry_id):
        return (
            JournalEntry.objects.filter(pk__gt=head_entry_id or 0).order_by("pk").values_list("pk", flat=True).first()
        )
    return head_entry_id


def _entry_structure_problems(lines, fund_codes) -> list[str]:
    problems = []
    if len(lines) < 2:
        problems.append(_("bút toán có %(count)s dòng, cần ít nhất 2") % {"count": len(lines)})
    per_fund: dict[int, int] = {}
    for _account, fund_id, debit, credit in lines:
        if not ((debit > 0 and credit == 0) or (debit == 0 and credit > 0)):
            problems.append(_("có dòng không ghi đúng một bên dương"))
        per_fund[fund_id] = per_fund.get(fund_id, 0) + debit - credit
    for fund_id, difference in per_fund.items():
        if difference:
            problems.append(_("không cân trong quỹ %(fund)s (lệch %(difference)s)") % {
                "fund": fund_codes[fund_id], "difference": difference,
            })
    return problems


# --- money out by source group, for the public statement ---------------------------------------
@dataclass(frozen=True)
class MoneyOutGroup:
    """Money out of some funds in a period for one source group (a scholarship program) and one
    posting unit: how many documents (a disbursement pays one student's award) and how much."""

    label: str
    unit_name: str
    documents: int
    amount: int


def money_out_by_group(*, fund_ids: Iterable[int], date_from: datetime.date, date_to: datetime.date) -> list[MoneyOutGroup]:
    """The debits to non-asset accounts (expenses) of `fund_ids` between the dates, for documents
    whose type has a source grouper (`fundmgr.ledger.sources`), per group label and posting unit:
    `money_out_groups` of `money_out_documents`.

    Reversing entries are left out (a reversal is not money out), so a group's amount is the fund
    statement's "out" item of the same label (`exporters.fund_statement_rows`). Only counts and
    labels leave here: the ledger knows no person, and a grouper names programs, not students.
    Queries: the content types, the movements per document, one per grouped type, the units.
    """
    source_types = money_out_source_types()
    documents = money_out_documents(fund_ids=fund_ids, date_from=date_from, date_to=date_to, source_types=source_types)
    return money_out_groups(documents, source_types=source_types)


def money_out_source_types() -> dict[int, str]:
    """{content type id: "app.model"} of the document types that have a source grouper."""
    groupers = source_groupers()
    return {
        pk: f"{app}.{model}" for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        if f"{app}.{model}" in groupers
    }


def money_out_documents(
    *, fund_ids: Iterable[int], date_from: datetime.date, date_to: datetime.date, source_types: dict[int, str],
    entry_ids: tuple[int, int] | None = None,
) -> dict[tuple[int, str, int], int]:
    """{(document type id, document id, posting unit id): amount} of `money_out_by_group`'s debits,
    in one query; of the entries with `after < id <= through` only when `entry_ids` is given. The
    amounts are sums of lines, so those of (0, b] are those of (0, a] plus those of (a, b]
    (`money_out_documents_added`): the public statement adds the entries posted since its last
    summary that way."""
    lines = JournalLine.objects.filter(
        fund_id__in=list(fund_ids), entry__date__gte=date_from, entry__date__lte=date_to,
        entry__reverses__isnull=True, entry__source_type_id__in=sorted(source_types), debit__gt=0,
    )
    if entry_ids is not None:
        lines = lines.filter(entry_id__gt=entry_ids[0], entry_id__lte=entry_ids[1])
    rows = (
        lines.exclude(account__kind=Account.Kind.ASSET)
        .order_by().values_list("entry__source_type_id", "entry__source_id", "entry__unit_id")
        .annotate(amount=Sum("debit"))
    )
    return {(type_id, source_id, unit_id): amount for type_id, source_id, unit_id, amount in rows}


def money_out_documents_added(documents: dict, delta: dict) -> dict:
    """`documents` plus `delta`, document by document."""
    added = dict(documents)
    for document, amount in delta.items():
        added[document] = added.get(document, 0) + amount
    return added


def money_out_groups(documents: dict[tuple[int, str, int], int], *, source_types: dict[int, str]) -> list[MoneyOutGroup]:
    """`money_out_documents` per group label (read now from the documents' groupers) and posting
    unit: how many documents and how much, in label and unit name order. Queries: one per grouped
    type, the units."""
    ids_by_type: dict[int, set[str]] = {}
    for type_id, source_id, _unit_id in documents:
        ids_by_type.setdefault(type_id, set()).add(source_id)
    labels = {type_id: source_groups(source_types[type_id], ids) for type_id, ids in sorted(ids_by_type.items())}
    totals: dict[tuple[str, int], list] = {}
    for (type_id, source_id, unit_id), amount in documents.items():
        label = labels[type_id].get(source_id)
        if label is None:
            continue  # a document its grouper does not name: in the fund's total only
        total = totals.setdefault((label, unit_id), [set(), 0])
        total[0].add((type_id, source_id))
        total[1] += amount
    units = dict(OrgUnit.objects.filter(pk__in={unit_id for _label, unit_id in totals}).values_list("pk", "name"))
    return sorted(
        (MoneyOutGroup(label, units[unit_id], len(sources), amount) for (label, unit_id), (sources, amount) in totals.items()),
        key=lambda group: (group.label, group.unit_name),
    )

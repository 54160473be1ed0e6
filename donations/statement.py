"""The public statement (sao kê): money in line by line and by day, money out by program and
unit, opening and closing balance per fund, for a campaign or for a unit's year.

What the public reads, and why:
- money in is the payments received in the period, voided ones excepted (the rule of
  `donations.progress`): date, amount, receipt number, and the donor's name only where
  `progress.public_name` allows it. Anyone else is "Nhà hảo tâm" followed by the last four
  characters of the bank's transaction reference, which the donor finds on their own bank
  statement and which tells nobody else who they are. Never the pledge reference: it is the bearer
  secret of the donor's page `/p/<reference>/`, five random characters, and showing even its end
  would leave a guesser one character to find. A cash or in-kind gift has no bank reference; its
  receipt number, printed on the donor's receipt, identifies it;
- money out comes from the ledger (`fundmgr.ledger.selectors.money_out_by_group`): per program
  and paying unit, an amount and a count of awards paid, never a student;
- balances per fund are the fund statement's totals (`fundmgr.ledger.exporters.fund_statement_totals`,
  the same definitions as `fund_statement_rows`), so the statement and the treasurer's report
  cannot disagree.

Cost: lines are read by keyset on (received_on, id) (the index `payment_received_order`), one
query per page whatever the number of payments. The sums (per day, the totals, the funds, money
out) are cached under the ledger's chain head and the last payment's id (read as two subqueries
of the campaign's or unit's own row, `version_annotations`): any new payment or voiding moves one
of them, so a cached summary is never stale, and a page between two payments costs no sum over
millions of rows. A summary records the ledger entry id it is complete through; after a posting,
the next one is the scope's latest summary plus the sums of the entries posted since (money in by
day from the payments' entries and their reversals, `money_in_by_day`; the funds' totals over that
range of entries, `fund_statement_totals(entry_ids=...)`), so its cost follows the new entries,
not the history (`_summary_compute` says why that is exact). Money out keeps the amount per
document paid out and is grouped again from them (labels read now): its cost follows the
disbursements, not the payments.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Q, Subquery, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from donations.models import Payment
from donations.progress import UNNAMED_DONOR, public_name
from fundmgr.core.exporting import AMOUNT, DATE, INTEGER, TEXT, Column, ExportRequest
from fundmgr.ledger.exporters import fund_statement_totals
from fundmgr.ledger.models import Fund, JournalEntry, LedgerChainHead
from fundmgr.ledger.selectors import (
    MoneyOutGroup,
    ledger_snapshot,
    money_out_documents,
    money_out_documents_added,
    money_out_groups,
    money_out_source_types,
)
from fundmgr.orgs.models import OrgUnit

PAGE_SIZE = 50
# The characters of the bank reference that follow "Nhà hảo tâm" (see the module's docstring).
REFERENCE_TAIL = 4
REFERENCE_SEARCH_MAX = 40
_CACHE_SECONDS = 24 * 3600
# How long one request may hold the right to compute a summary (a crashed one lets go by then).
_COMPUTING_SECONDS = 120
logger = logging.getLogger(__name__)
_CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(\d{1,18})$")


@dataclass(frozen=True)
class StatementScope:
    """What one statement covers: its payments (a Q over Payment), its funds and its period."""

    key: str  # the cache's name for it: "campaign:12", "unit:3"
    payments: Q
    fund_ids: tuple[int, ...]
    date_from: datetime.date
    date_to: datetime.date
    # The books' version (`version_annotations`) when the caller read it with its own row; "" to
    # read it with a query of its own.
    version: str = ""


def version_annotations() -> dict:
    """The ledger's chain head and the last payment's id, as annotations of the row a page reads
    anyway (the campaign, the unit): what a new payment, a voiding or any posting changes."""
    return {
        "books_head": Subquery(LedgerChainHead.objects.order_by().values("last_hash")[:1]),
        "books_last_payment": Subquery(Payment.objects.order_by("-pk").values("pk")[:1]),
    }


def _version_of(row) -> str:
    """The version read by `version_annotations` on `row`, or ""."""
    if not hasattr(row, "books_head"):
        return ""
    return f"{row.books_head or ''}:{row.books_last_payment or 0}"


def campaign_scope(campaign: Campaign, *, today: datetime.date) -> StatementScope:
    """From the campaign's first day to today: money keeps arriving, and awards keep being paid
    from its funds, after the campaign closes. Every payment of the campaign counts, also one
    received before its first day (a pledge paid early): the period then starts on that payment's
    day (`StatementSummary.date_from`), so the statement's total is the campaign page's."""
    date_to = max(today, campaign.starts_on)
    return StatementScope(
        key=f"campaign:{campaign.pk}",
        payments=Q(pledge__campaign=campaign, received_on__lte=date_to),
        fund_ids=tuple(sorted(campaign.funds.values_list("pk", flat=True))),
        date_from=campaign.starts_on,
        date_to=date_to,
        version=_version_of(campaign),
    )


def unit_year_scope(unit: OrgUnit, year: int) -> StatementScope:
    """Every fund the unit manages, over the calendar year: the year of its books (receipts and
    vouchers are numbered per calendar year, and the reports' periods are calendar dates)."""
    date_from, date_to = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return StatementScope(
        key=f"unit:{unit.pk}",
        payments=Q(fund__unit=unit, received_on__gte=date_from, received_on__lte=date_to),
        fund_ids=tuple(sorted(Fund.objects.filter(unit=unit).values_list("pk", flat=True))),
        date_from=date_from,
        date_to=date_to,
        version=_version_of(unit),
    )


# --- the summary (cached) ----------------------------------------------------------------------
@dataclass(frozen=True)
class FundBalance:
    label: str  # "QKH-TH Quỹ Khuyến học tỉnh Thanh Hóa", as in the fund statement
    opening: int
    money_in: int
    money_out: int
    closing: int
    fund_id: int = 0


@dataclass(frozen=True)
class StatementSummary:
    date_from: datetime.date  # the scope's, or the first payment's day if that is earlier
    received: int  # the payments of the scope, not voided
    payment_count: int
    days: dict[datetime.date, tuple[int, int]]  # day → (amount, number of payments)
    funds: list[FundBalance]
    money_out: list[MoneyOutGroup]
    # False for the previous version's sums, served while another request computes the current
    # ones (`statement_summary`): a page showing them must not be cached as the current page.
    current: bool = True
    # The ledger entry id these sums are complete through (read in the same snapshot): the next
    # summary adds only the entries after it (`_summary_compute`). None: not to be added to.
    through_entry_id: int | None = None
    # {(document type, document, posting unit): amount} behind `money_out` (`money_out_documents`),
    # kept to be added to: as many as the documents paid out, not the payments.
    money_out_documents: dict = field(default_factory=dict)
    # The last day of the period these sums are of: a campaign's statement runs to today, and the
    # next day's first summary adds to the day before's (`_summary_compute`).
    date_to: datetime.date | None = None
    # The hash of entry `through_entry_id`: the chain's hashes link every entry to the ones before,
    # so a ledger whose entry of that id has this hash has the same history up to it (not so after
    # a restore from a backup that then posted again under the same ids: summed in full).
    through_hash: str = ""

    @property
    def money_out_total(self) -> int:
        return sum(group.amount for group in self.money_out)

    @property
    def awards_count(self) -> int:
        return sum(group.documents for group in self.money_out)


def _version() -> str:
    """The books' version in a query of its own (a scope built without it)."""
    row = OrgUnit.objects.annotate(**version_annotations()).order_by().first()
    return _version_of(row) if row is not None else ":0"


def statement_summary(scope: StatementScope) -> StatementSummary:
    """The scope's sums: from the cache, else computed and cached. No query when the scope
    carries the books' version, one otherwise.

    After a posting, the first request computes the new summary from the scope's latest one, adding
    only the entries posted since (`_summary_compute`); requests that arrive while it does (a lock
    in the cache) get the previous summary, a moment old. Without the cache (Redis down) every
    request computes in full: slower, never wrong, never an error page.
    """
    version = scope.version or _version()
    # The period's last day is in the summary's key but not in the latest's: a campaign's period
    # grows by a day at midnight, and the new day's first summary adds to the day before's.
    name = f"statement:v3:{scope.key}:{scope.date_from}:{','.join(map(str, scope.fund_ids))}"
    key, latest_key = f"{name}:{scope.date_to}:{version}", f"{name}:latest"
    lock_key = f"{key}:computing"
    try:
        cached = cache.get_many([key, latest_key])
        if key in cached:
            return cached[key]
        previous = cached.get(latest_key)
        if not cache.add(lock_key, 1, _COMPUTING_SECONDS) and previous is not None:
            return dataclasses.replace(previous, current=False)
    except Exception as error:  # noqa: BLE001 - redis-py's ConnectionError, TimeoutError, …
        logger.warning("statement summary not cached, the cache is unavailable (%s: %s)", type(error).__name__, error)
        return _summary_compute(scope)
    try:
        summary = _summary_compute(scope, previous=previous)
        cache.set_many({key: summary, latest_key: summary}, _CACHE_SECONDS)
    finally:
        try:
            cache.delete(lock_key)
        except Exception:  # noqa: BLE001 - the lock expires by itself
            logger.warning("statement summary lock %s left to expire", lock_key)
    return summary


# Past this many entries since the previous summary, the sums are computed afresh (one pass over
# the scope costs less than a delta that large, and a summary cached long ago is not worth adding to).
DELTA_ENTRIES_MAX = 100_000


def _summary_compute(scope: StatementScope, *, previous: StatementSummary | None = None) -> StatementSummary:
    """The scope's sums, complete through the last entry of the ledger, read in one snapshot
    (`ledger_snapshot`: REPEATABLE READ on PostgreSQL, the transaction on SQLite).

    With `previous`, the scope's summary complete through entry A, and the ledger now at entry B:
    the sums of the entries in (A, B] are added to it (a few rows whatever the history: the
    queries below each read a range of entry ids). That is exact because the chain orders the
    entries as their transactions commit: every entry is inserted, and takes its id, under the lock
    of the single `LedgerChainHead` row, held until its transaction commits
    (`fundmgr.ledger.services._entry_record`, `entries_post`), so a snapshot that sees entry B sees
    every entry below B, and an entry committed later gets an id above B; and every payment posts
    its entry in the transaction that records it, a voiding the reversal in the transaction that
    voids it (`donations.services.payments.payment_record`, `PledgePaymentBatch.write` of the bank
    import, `payment_void`), so a snapshot sees a payment's entry if and only if it sees the
    payment recorded, and its reversal if and only if it sees it voided. What places a payment in a
    scope (its pledge, fund, day and amount) never changes once it is recorded (a donors' merge
    moves only its donor), and what defines the scope itself (its funds, its first day) is in the
    cache's name, so a summary is only ever added to for the same scope; its last day is in the
    summary, and a summary to an earlier last day (a campaign's, yesterday) is added to only if
    its sums are also those of the longer period (`_period_extends`).

    Computed in full (the same functions over the entry range (0, B]) without a previous summary,
    when it is not complete through an entry at or below B, when the ledger's entry A is not the
    one it was complete through (another hash: a restored database), when more than `DELTA_ENTRIES_MAX`
    entries came since, when an entry it covers is dated in the days the period gained, or when
    the period's first day moves (a payment earlier than every other
    one: the funds' opening balances and money out are split on that day). Money out by group keeps
    its documents' amounts (`money_out_documents`, additive like the other sums) and is grouped
    again from all of them (`money_out_groups`: labels read now, distinct documents counted), which
    costs as much as the documents paid out, not the payments.
    """
    with ledger_snapshot():
        through, through_hash = LedgerChainHead.objects.values_list("last_entry_id", "last_hash").first() or (0, "")
        through = through or 0
        source_types = money_out_source_types()
        after = previous.through_entry_id if previous is not None else None
        if (
            after is not None and after <= through and through - after <= DELTA_ENTRIES_MAX
            and (after == 0 or JournalEntry.objects.filter(pk=after).values_list("hash", flat=True).first() == previous.through_hash)
            and _period_extends(previous, scope)
        ):
            entry_ids = (after, through)
            days = _days_added(previous.days, money_in_by_day(scope, entry_ids=entry_ids))
            date_from = min([scope.date_from, *days])
            if date_from == previous.date_from:
                funds = _funds_added(previous.funds, fund_balances(scope, date_from=date_from, entry_ids=entry_ids))
                if funds is not None:
                    documents = money_out_documents_added(previous.money_out_documents, money_out_documents(
                        fund_ids=scope.fund_ids, date_from=date_from, date_to=scope.date_to,
                        source_types=source_types, entry_ids=entry_ids,
                    ))
                    return _summary(scope, days, date_from, funds, documents, source_types, through, through_hash)
        entry_ids = (0, through)
        days = money_in_by_day(scope, entry_ids=entry_ids)
        date_from = min([scope.date_from, *days])
        documents = money_out_documents(
            fund_ids=scope.fund_ids, date_from=date_from, date_to=scope.date_to, source_types=source_types,
            entry_ids=entry_ids,
        )
        funds = fund_balances(scope, date_from=date_from, entry_ids=entry_ids)
        return _summary(scope, days, date_from, funds, documents, source_types, through, through_hash)


def _period_extends(previous: StatementSummary, scope: StatementScope) -> bool:
    """Whether `previous`, the sums of the entries through A over a period ending on day D, are
    also their sums over the scope's period ending on day E: when E is D, or E is later and no entry
    through A is dated after D and up to E (each sum filters its entries, or for money in the
    payments, by a date up to the period's last day; a payment's entry is dated the day it was
    received, and its reversal is posted after it). One query along the entries' date index, once a
    day (the summary of day E is then the latest)."""
    if previous.date_to == scope.date_to:
        return True
    if previous.date_to is None or previous.date_to > scope.date_to:
        return False
    return not JournalEntry.objects.filter(
        pk__lte=previous.through_entry_id, date__gt=previous.date_to, date__lte=scope.date_to
    ).exists()


def _summary(scope, days, date_from, funds, documents, source_types, through, through_hash) -> StatementSummary:
    return StatementSummary(
        date_from=date_from,
        received=sum(total for total, _count in days.values()),
        payment_count=sum(count for _total, count in days.values()),
        days=days,
        funds=funds,
        money_out=money_out_groups(documents, source_types=source_types),
        through_entry_id=through,
        money_out_documents=documents,
        through_hash=through_hash or "",
        date_to=scope.date_to,
    )


def money_in_by_day(scope: StatementScope, *, entry_ids: tuple[int, int]) -> dict[datetime.date, tuple[int, int]]:
    """{day received: (amount, number of payments)} that the entries with `after < id <= through`
    bring to the scope's money in, in day order: a payment's entry adds its amount and one payment
    to its day, the reversal that voids it (`Payment.void_entry`) takes them off. Over (0, B], with
    B the ledger's last entry, that is the payments of the scope not voided (what
    `Payment.objects.not_voided()` counts, for the payments that have their entry, which
    `payment_record` posts in the same transaction); days without any are left out. One query,
    along the indexes of the payments' two entries for a short range."""
    after, through = entry_ids
    posted = Q(journal_entry_id__gt=after, journal_entry_id__lte=through)
    voided = Q(void_entry_id__gt=after, void_entry_id__lte=through)
    rows = (
        Payment.objects.filter(scope.payments).filter(posted | voided).order_by().values_list("received_on")
        .annotate(
            total=Sum("amount", filter=posted, default=0) - Sum("amount", filter=voided, default=0),
            count=Count("pk", filter=posted) - Count("pk", filter=voided),
        )
    )
    return {day: (total, count) for day, total, count in sorted(rows) if count or total}


def _days_added(days: dict, delta: dict) -> dict:
    """`days` plus `delta`, day by day, in day order; a day left with no payment goes."""
    added = dict(days)
    for day, (total, count) in delta.items():
        before_total, before_count = added.get(day, (0, 0))
        added[day] = (before_total + total, before_count + count)
    return {day: sums for day, sums in sorted(added.items()) if sums != (0, 0)}


def _funds_added(funds: list[FundBalance], delta: list[FundBalance]) -> list[FundBalance] | None:
    """The previous balances plus the delta's, fund by fund (labels as read now); None if the two
    do not name the same funds."""
    before = {fund.fund_id: fund for fund in funds}
    if set(before) != {fund.fund_id for fund in delta}:
        return None
    return [
        FundBalance(
            fund.label, before[fund.fund_id].opening + fund.opening, before[fund.fund_id].money_in + fund.money_in,
            before[fund.fund_id].money_out + fund.money_out, before[fund.fund_id].closing + fund.closing, fund.fund_id,
        )
        for fund in delta
    ]


def fund_balances(
    scope: StatementScope, *, date_from: datetime.date, entry_ids: tuple[int, int] | None = None
) -> list[FundBalance]:
    """Per fund of the scope: the fund statement's opening, money in, money out and closing
    (`fund_statement_totals`, the totals of `fund_statement_rows`) from `date_from` to the
    scope's end, in fund code order; of the entries in `entry_ids` (after, through] only if given."""
    request = ExportRequest(params={"date_from": date_from, "date_to": scope.date_to})
    totals = fund_statement_totals(request, fund_ids=scope.fund_ids, entry_ids=entry_ids)
    return [
        FundBalance(f"{code} {name}", *totals.get(pk, (0, 0, 0, 0)), fund_id=pk)
        for pk, code, name in Fund.objects.filter(pk__in=scope.fund_ids).order_by("code").values_list("pk", "code", "name")
    ]


# --- the lines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementSearch:
    amount: int | None = None
    day: datetime.date | None = None
    reference: str = ""

    @property
    def active(self) -> bool:
        return self.amount is not None or self.day is not None or bool(self.reference)


@dataclass(frozen=True)
class StatementLine:
    pk: int
    received_on: datetime.date
    amount: int
    method: str
    receipt_number: str
    public_name: str  # "" unless the donor may be named (`progress.public_name`)
    reference_tail: str

    @property
    def donor(self) -> str:
        if self.public_name:
            return self.public_name
        if self.reference_tail:
            return f"{UNNAMED_DONOR} …{self.reference_tail}"
        return str(UNNAMED_DONOR)

    @property
    def cursor(self) -> str:
        return f"{self.received_on.isoformat()}.{self.pk}"


@dataclass
class StatementDay:
    day: datetime.date
    total: int  # the whole day's money in, not only the lines shown
    count: int
    lines: list[StatementLine] = field(default_factory=list)


@dataclass(frozen=True)
class StatementPage:
    days: list[StatementDay]
    next_cursor: str  # "" on the last page
    previous_cursor: str  # "" on the first page


def cursor_parse(text: str) -> tuple[datetime.date, int] | None:
    """"2026-02-17.123" → (that day, 123); None for anything else."""
    match = _CURSOR.match(text or "")
    if match is None:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1)), int(match.group(2))
    except ValueError:
        return None


def _lines(scope: StatementScope, search: StatementSearch):
    payments = Payment.objects.not_voided().filter(scope.payments)
    if search.amount is not None:
        payments = payments.filter(amount=search.amount)
    if search.day is not None:
        payments = payments.filter(received_on=search.day)
    if search.reference:
        reference = search.reference[:REFERENCE_SEARCH_MAX]
        payments = payments.filter(Q(bank_reference__iendswith=reference) | Q(receipt__number__iexact=reference))
    # Only these columns leave the database: no contact, and a name only where it may be shown.
    return payments.annotate(shown_name=public_name()).values_list(
        "pk", "received_on", "amount", "method", "receipt__number", "shown_name", "bank_reference"
    )


def _line(row) -> StatementLine:
    pk, received_on, amount, method, receipt_number, shown_name, bank_reference = row
    return StatementLine(
        pk=pk, received_on=received_on, amount=amount, method=method, receipt_number=receipt_number or "",
        public_name=shown_name or "", reference_tail=(bank_reference or "")[-REFERENCE_TAIL:],
    )


def statement_page(
    scope: StatementScope, summary: StatementSummary, *, search: StatementSearch = StatementSearch(),
    after: tuple[datetime.date, int] | None = None, before: tuple[datetime.date, int] | None = None,
    per_page: int = PAGE_SIZE,
) -> StatementPage:
    """One page of lines in (received_on, id) order, after or before a cursor: one query.

    One line more than the page is read to know whether another page follows. The keyset bound
    on the day is a range the index serves; only the lines of the cursor's own day are filtered.
    """
    lines = _lines(scope, search)
    if before is not None:
        day, pk = before
        lines = lines.filter(Q(received_on__lt=day) | Q(received_on=day, pk__lt=pk), received_on__lte=day)
        rows = list(lines.order_by("-received_on", "-pk")[: per_page + 1])
        more_before, rows = len(rows) > per_page, rows[:per_page][::-1]
        more_after = True
    else:
        if after is not None:
            day, pk = after
            lines = lines.filter(Q(received_on__gt=day) | Q(received_on=day, pk__gt=pk), received_on__gte=day)
        rows = list(lines.order_by("received_on", "pk")[: per_page + 1])
        more_after, rows = len(rows) > per_page, rows[:per_page]
        more_before = after is not None
    page_lines = [_line(row) for row in rows]
    days: list[StatementDay] = []
    for line in page_lines:
        if not days or days[-1].day != line.received_on:
            total, count = summary.days.get(line.received_on, (0, 0))
            days.append(StatementDay(line.received_on, total, count))
        days[-1].lines.append(line)
    return StatementPage(
        days=days,
        next_cursor=page_lines[-1].cursor if page_lines and more_after else "",
        previous_cursor=page_lines[0].cursor if page_lines and more_before else "",
    )


def statement_lines_all(scope: StatementScope, search: StatementSearch, *, chunk_size: int = 5000) -> Iterator[StatementLine]:
    """Every line of the search in order, streamed (the downloads)."""
    for row in _lines(scope, search).order_by("received_on", "pk").iterator(chunk_size=chunk_size):
        yield _line(row)


def statement_lines_count(scope: StatementScope, search: StatementSearch, *, limit: int) -> int:
    """How many lines the search has, counting no further than `limit` (the PDF's bound)."""
    return len(_lines(scope, search).order_by().values_list("pk", flat=True)[: limit + 1])


# --- the downloads (CSV, PDF): one table -----------------------------------------------------------
STATEMENT_COLUMNS = (
    Column(_("Mục"), TEXT),
    Column(_("Ngày"), DATE),
    Column(_("Diễn giải"), TEXT),
    Column(_("Số phiếu thu"), TEXT),
    Column(_("Số tiền thu"), AMOUNT),
    Column(_("Số tiền chi"), AMOUNT),
    Column(_("Số suất học bổng"), INTEGER),
    Column(_("Số dư"), AMOUNT),
)


def statement_rows(summary: StatementSummary, lines: Iterator[StatementLine], *, date_from, date_to) -> Iterator[list]:
    """The statement as rows of `STATEMENT_COLUMNS`: the funds' opening balances, money in line by
    line with each day's total after its lines, money out by program and unit, the funds' money in
    and out and closing balances. The CSV and the PDF write these same rows."""
    opening, money_in, money_out = gettext("Số dư đầu kỳ"), gettext("Khoản thu"), gettext("Khoản chi")
    for fund in summary.funds:
        yield [opening, date_from, fund.label, "", None, None, None, fund.opening]
    day, day_total = None, None
    for line in lines:
        if line.received_on != day:
            if day is not None:
                yield [gettext("Tổng thu trong ngày"), day, "", "", day_total, None, None, None]
            day, day_total = line.received_on, summary.days.get(line.received_on, (0, 0))[0]
        yield [money_in, line.received_on, line.donor, line.receipt_number, line.amount, None, None, None]
    if day is not None:
        yield [gettext("Tổng thu trong ngày"), day, "", "", day_total, None, None, None]
    for group in summary.money_out:
        yield [money_out, None, f"{group.label} – {group.unit_name}", "", None, group.amount, group.documents, None]
    for fund in summary.funds:
        yield [gettext("Thu, chi của quỹ trong kỳ"), None, fund.label, "", fund.money_in, fund.money_out, None, None]
    for fund in summary.funds:
        yield [gettext("Số dư cuối kỳ"), date_to, fund.label, "", None, None, None, fund.closing]

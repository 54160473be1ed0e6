"""The campaign page's running totals, kept in the transaction of every write that moves them.

The public figures of a campaign (`donations/progress.py`: received, pledged, pledges, donors, by
fund and by day, and the honor roll) used to be summed over every pledge and payment on every
request, a cost that grew with the campaign's history. They now come from two small tables
(`donations.models.CampaignTally`, `CampaignDonorTally`) that these functions change, in the
caller's transaction, whenever a service writes something that moves a public figure:

| write (service) | what moves |
|---|---|
| a payment on a pledge (`payment_record`) | received (its fund, its day), the pledge's public amount if nobody confirmed it, the donor's honor roll row |
| a chunk of a bank-statement import's payments (`PledgePaymentBatch`, `tally_payments_added`) | the same, for each payment: each donor's rows refreshed once, each counter row added to once with its payments' sum |
| its void (`payment_void`, from `receipt_void`) | the same, backwards |
| a pledge recorded by the association (`pledge_create`, not from the form) | pledged, pledges, the donor |
| a form pledge confirmed (`pledge_confirm`) | its public amount becomes its amount |
| a pledge cancelled (`pledge_cancel`) | its public amount becomes 0 (a write-off changes nothing public) |
| a removal request (`honor_roll_removal_request`) | the donor's honor roll row |
| a donor merge (`donor_merge`) | both donors' rows, the donor count |

Counters are added to with one upsert each (`received = received + n`; several rows in one
multi-row upsert, `tallies_add`, in key order), so concurrent writers
never overwrite each other; the per-fund counters are spread over days and `TALLY_SHARDS` shards
so that concurrent payments into one fund rarely lock the same row. A donor's honor roll rows are
recomputed from that donor's own pledges and payments under their row lock: cost and contention
are one donor's, never the campaign's. New payments, the common write (one by `payment_record`,
a chunk's by the bank import), move them by their own amounts under the same lock instead
(`tally_payments_added`: two queries fewer, and no aggregate for the ORM to compile). The rule of what counts stays in `donations/progress.py`
(`public_pledges`, `publicly_listed`, and for one pledge in memory `public_amount` here and
`pledges_publicly_listed` there); `donations/tally_check.py` recounts everything the old way
and compares (`manage.py campaign_tallies --check`), and `--rebuild` starts the tables afresh.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from donations.models import TALLY_SHARDS, CampaignDonorTally, CampaignTally, Payment, Pledge
from donations.progress import pledges_publicly_listed, public_pledges, publicly_listed
from fundmgr.core.bulk import rows_insert, rows_update
from fundmgr.core.page_version import public_pages_changed

_COUNTERS = ("received", "pledged", "pledge_count", "donor_count")


def public_amount(pledge: Pledge, received: int) -> int:
    """What the pledge counts as pledged in public when `received` was paid on it (the rule of
    `progress.public_pledges`, for one pledge in memory)."""
    if pledge.status == Pledge.Status.CANCELLED:
        return 0
    return pledge.amount if pledge.confirmed_at is not None else received


def tally_add(*, campaign_id: int, fund_id: int, day: datetime.date, shard: int, **counters: int) -> None:
    """Add `counters` (received, pledged, pledge_count, donor_count) to one row, created if need be."""
    tallies_add([((campaign_id, fund_id, day, shard), counters)])


def tallies_add(rows: list[tuple[tuple[int, int, datetime.date, int], dict[str, int]]]) -> None:
    """Add to several counter rows in one upsert: `rows` are ((campaign, fund, day, shard), counters).

    Rows that name the same counter row are summed first (an upsert may touch a row once), and the
    rows are written in key order, the order every writer of several rows locks them in."""
    summed: dict[tuple, list[int]] = {}
    for (campaign_id, fund_id, day, shard), counters in rows:
        values = summed.setdefault((campaign_id, fund_id, day, shard % TALLY_SHARDS), [0] * len(_COUNTERS))
        for position, name in enumerate(_COUNTERS):
            values[position] += int(counters.get(name, 0))
    keyed = sorted((key, values) for key, values in summed.items() if any(values))
    if not keyed:
        return
    table = connection.ops.quote_name(CampaignTally._meta.db_table)
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in _COUNTERS)
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(keyed))
    parameters = [
        value
        for (campaign_id, fund_id, day, shard), values in keyed
        for value in (campaign_id, fund_id, connection.ops.adapt_datefield_value(day), shard, *values)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, fund_id, day, shard, {', '.join(_COUNTERS)}) "
            f"VALUES {placeholders} "
            f"ON CONFLICT (campaign_id, fund_id, day, shard) DO UPDATE SET {updates}",
            parameters,
        )


def tally_pledge_moved(*, pledge: Pledge, before: int, after: int, day: datetime.date | None = None,
                       shard: int | None = None, received: int = 0) -> None:
    """The pledge's public amount went from `before` to `after` (and `received` arrived on it, on
    `day`): refresh its donor's rows, then add to one counter row.

    Every writer takes its locks in the same order (the pledge, the donor's rows, one counter
    row, and only then the ledger's chain head and the receipt counter), and touches one counter
    row per transaction (a bulk writer, `tally_payments_added`, several in key order, after all
    its pledges and donors' rows), so two writers cannot wait for each other in a cycle."""
    donor_count = tally_donor_refresh(campaign_id=pledge.campaign_id, donor_id=pledge.donor_id)
    tally_add(
        campaign_id=pledge.campaign_id, fund_id=pledge.fund_id, day=day or timezone.localdate(),
        shard=pledge.pk if shard is None else shard,
        received=received, pledged=after - before, pledge_count=(after > 0) - (before > 0), donor_count=donor_count,
    )


def tally_new_donor_pledged(*, pledge: Pledge) -> None:
    """`tally_pledge_moved` from 0 for the pledge of a donor created in this same transaction.

    Nobody else can see that donor yet, and it has no other pledge nor any payment: its two rows
    are what `tally_donor_refresh` would compute, written at once (one INSERT, no lock, no sums),
    then the counter row as always. Like `tally_donor_refresh`, it moves the public pages on."""
    public_pages_changed()
    after = public_amount(pledge, 0)
    rows_insert([
        CampaignDonorTally(campaign_id=pledge.campaign_id, donor_id=pledge.donor_id, anonymous=anonymous,
                           public_pledged=after if anonymous == pledge.anonymous else 0)
        for anonymous in (False, True)
    ])
    tally_add(
        campaign_id=pledge.campaign_id, fund_id=pledge.fund_id, day=timezone.localdate(), shard=pledge.pk,
        pledged=after, pledge_count=int(after > 0), donor_count=int(after > 0),
    )


def tally_donor_refresh(*, campaign_id: int, donor_id: int) -> int:
    """Recompute the donor's rows in the campaign (honor roll and public amount) from the donor's
    own pledges and payments; returns how the campaign's donor count moves (-1, 0, 1), for the
    caller's counter row. The rows are locked first: a concurrent refresh of the same donor waits,
    then reads what the first one committed (each statement of READ COMMITTED sees the latest
    commits). Every change of the totals passes here: the cached public pages move on. One pair
    of `tally_donors_refresh`, which holds the rule."""
    return tally_donors_refresh([(campaign_id, donor_id)])[(campaign_id, donor_id)]


def _donor_rows_changed(rows: dict, pledged: dict, honor: dict) -> list[tuple[CampaignDonorTally, dict]]:
    """The donor's rows ({anonymous: row}) whose figures differ from the sums, with their new values."""
    changed = []
    for anonymous, row in rows.items():
        total, first = honor.get(anonymous, (0, None))
        new = {"honor_total": total or 0, "first_payment": first, "public_pledged": pledged.get(anonymous) or 0}
        if any(getattr(row, field) != value for field, value in new.items()):
            changed.append((row, new))
    return changed


def _donor_rows_locked(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], dict[bool, CampaignDonorTally]]:
    """The rows ({anonymous: row}) of the (campaign, donor) `pairs`, locked in one statement (pk
    order), both rows of each pair created first where one is missing."""
    wanted = set(pairs)
    campaign_ids, donor_ids = sorted({c for c, _d in wanted}), sorted({d for _c, d in wanted})

    def locked_rows():
        rows: dict[tuple[int, int], dict[bool, CampaignDonorTally]] = {}
        for row in (
            CampaignDonorTally.objects.select_for_update()
            .filter(campaign_id__in=campaign_ids, donor_id__in=donor_ids).order_by("pk")
        ):
            if (row.campaign_id, row.donor_id) in wanted:
                rows.setdefault((row.campaign_id, row.donor_id), {})[row.anonymous] = row
        return rows

    rows = locked_rows()
    missing = sorted(pair for pair in wanted if len(rows.get(pair, {})) < 2)
    if missing:
        CampaignDonorTally.objects.bulk_create(
            [CampaignDonorTally(campaign_id=campaign_id, donor_id=donor_id, anonymous=anonymous)
             for campaign_id, donor_id in missing for anonymous in (False, True)],
            ignore_conflicts=True,
        )
        rows = locked_rows()
    return rows


def tally_donors_refresh(pairs) -> dict[tuple[int, int], int]:
    """`tally_donor_refresh` for several (campaign, donor) pairs at once, in a constant number of
    statements: their rows locked in one statement (pk order; missing rows created first), the
    public pledges and the honor roll sums in one query each, the changed rows in one UPDATE.
    Returns each pair's move of its campaign's donor count."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    public_pages_changed()
    campaign_ids, donor_ids = sorted({c for c, _d in pairs}), sorted({d for _c, d in pairs})
    rows = _donor_rows_locked(pairs)
    pledged: dict[tuple[int, int], dict] = {}
    for campaign_id, donor_id, anonymous, total in (
        public_pledges().filter(campaign_id__in=campaign_ids, donor_id__in=donor_ids).order_by()
        .values("campaign_id", "donor_id", "anonymous").annotate(total=Sum("public_amount"))
        .values_list("campaign_id", "donor_id", "anonymous", "total")
    ):
        pledged.setdefault((campaign_id, donor_id), {})[anonymous] = total
    honor: dict[tuple[int, int], dict] = {}
    for campaign_id, donor_id, anonymous, total, first in (
        Payment.objects.not_voided()
        .filter(publicly_listed("pledge__"), pledge__campaign_id__in=campaign_ids, donor_id__in=donor_ids)
        .order_by().values("pledge__campaign_id", "donor_id", "pledge__anonymous")
        .annotate(total=Sum("amount"), first=Min("pk"))
        .values_list("pledge__campaign_id", "donor_id", "pledge__anonymous", "total", "first")
    ):
        honor.setdefault((campaign_id, donor_id), {})[anonymous] = (total, first)
    moves, changed = {}, []
    for pair in pairs:
        pair_rows, pair_pledged = rows[pair], pledged.get(pair, {})
        counted_before = sum(row.public_pledged for row in pair_rows.values()) > 0
        for row, new in _donor_rows_changed(pair_rows, pair_pledged, honor.get(pair, {})):
            for field, value in new.items():
                setattr(row, field, value)
            changed.append(row)
        moves[pair] = (sum(value or 0 for value in pair_pledged.values()) > 0) - counted_before
    rows_update(changed, ["honor_total", "first_payment", "public_pledged"])
    return moves


def payment_tally_moves(*, payment: Payment, pledge: Pledge, paid_before: int, sign: int = 1) -> dict:
    """How a payment of `pledge` (recorded, `sign` 1, or voided, -1) moves its counter row, but for
    the donor count: the row's key and the counters to add (`tally_payment_added`'s rule)."""
    paid_after = paid_before + sign * payment.amount
    before, after = public_amount(pledge, paid_before), public_amount(pledge, paid_after)
    return {
        "before": before, "after": after, "day": payment.received_on, "shard": payment.pk,
        "received": sign * payment.amount,
    }


def tally_payments_added(items, *, removal_requested: set[int] | None = None) -> None:
    """`tally_payment_added` for payments recorded in one transaction: `items` are (payment, pledge,
    paid_before) in the order they were recorded (`paid_before` counting the earlier ones of the
    same pledge). `removal_requested`: the ids of those pledges that have an honor roll removal
    request, when the caller read them under the pledges' locks (else one query here).

    The donors' rows are locked once (pk order) and moved by the payments alone
    (`_donors_moved_by_payments`), without summing the donors' pledges and payments again; then
    each counter row is added to once with the sum of its payments, in key order (the lock order
    of this module: pledges, donors' rows, counter rows, then the chain head and receipt counter)."""
    items = list(items)
    if not items:
        return
    moves = [
        (payment, pledge, payment_tally_moves(payment=payment, pledge=pledge, paid_before=paid_before))
        for payment, pledge, paid_before in items
    ]
    donor_moves = _donors_moved_by_payments(
        [(payment, pledge, move["before"], move["after"]) for payment, pledge, move in moves],
        removal_requested=removal_requested,
    )
    rows, donor_counted = [], set()
    for _payment, pledge, move in moves:
        pair = (pledge.campaign_id, pledge.donor_id)
        # The donor's move goes with the donor's first payment, as sequential calls would count it.
        donor_count = donor_moves[pair] if pair not in donor_counted else 0
        donor_counted.add(pair)
        rows.append((
            (pledge.campaign_id, pledge.fund_id, move["day"], move["shard"]),
            {"received": move["received"], "pledged": move["after"] - move["before"],
             "pledge_count": (move["after"] > 0) - (move["before"] > 0), "donor_count": donor_count},
        ))
    tallies_add(rows)


def _donors_moved_by_payments(payments, *, removal_requested: set[int] | None) -> dict[tuple[int, int], int]:
    """`tally_donors_refresh` for new payments, without its sums: `payments` are (payment, pledge,
    public amount of the pledge before it, after it). Returns each (campaign, donor)'s move of the
    campaign's donor count.

    The rows hold the sums `tally_donors_refresh` computes, and every writer changes them under
    their lock, so adding to them under the lock gives what a recount would: a pledge's public
    amount moves by `after - before`; a payment of a publicly listed pledge (`progress.
    pledges_publicly_listed`) adds its amount to the honor roll total and may be the donor's
    first listed payment (the smallest id: ids are drawn before the locks, so a later lock may
    hold a smaller one). Rows missing (both are created, empty, first) hold zeros, as a recount
    of a donor without public money gives.

    Whether a pledge has a removal request must be read after the pledge's lock was granted
    (`payment_record`, `PledgePaymentBatch`: with the paid sums): `honor_roll_removal_request`
    takes that lock before it inserts, so a request either waits for this transaction or was
    committed before that read began. (Not in the locking read itself: a statement that waited
    for the lock answers from the snapshot it took before waiting.)"""
    public_pages_changed()
    pairs = sorted({(pledge.campaign_id, pledge.donor_id) for _payment, pledge, _before, _after in payments})
    rows = _donor_rows_locked(pairs)
    counted_before = {pair: sum(row.public_pledged for row in rows[pair].values()) > 0 for pair in pairs}
    listed = pledges_publicly_listed({pledge for _payment, pledge, _before, _after in payments}, removal_requested)
    changed: dict[int, CampaignDonorTally] = {}
    for payment, pledge, before, after in payments:
        row = rows[(pledge.campaign_id, pledge.donor_id)][pledge.anonymous]
        if after != before:
            row.public_pledged += after - before
            changed[row.pk] = row
        if pledge.pk in listed:
            row.honor_total += payment.amount
            if row.first_payment is None or payment.pk < row.first_payment:
                row.first_payment = payment.pk
            changed[row.pk] = row
    rows_update(list(changed.values()), ["honor_total", "first_payment", "public_pledged"])
    return {
        pair: (sum(row.public_pledged for row in rows[pair].values()) > 0) - counted_before[pair] for pair in pairs
    }


def tally_payment_added(*, payment: Payment, pledge: Pledge, paid_before: int, sign: int = 1,
                        removal_requested: bool | None = None) -> None:
    """A payment of `pledge` was recorded (`sign` 1) or marked voided (-1); `paid_before` is what
    was paid on the pledge, not voided, before this change; `removal_requested`, for a new payment,
    whether the pledge has a removal request, when the caller read it under the pledge's lock.

    A new payment moves its donor's rows by what it adds (`tally_payments_added`); a void recounts
    them (`tally_pledge_moved`), since it may take away the donor's first listed payment."""
    if sign > 0:
        known = None if removal_requested is None else ({pledge.pk} if removal_requested else set())
        tally_payments_added([(payment, pledge, paid_before)], removal_requested=known)
        return
    move = payment_tally_moves(payment=payment, pledge=pledge, paid_before=paid_before, sign=sign)
    tally_pledge_moved(pledge=pledge, **move)


def tally_pledge_donor(pledge: Pledge) -> None:
    """Something about the pledge's listing changed (a removal request): its donor's rows."""
    tally_pledge_moved(pledge=pledge, before=0, after=0)


def tally_donors_merged(*, keep_id: int, merge_id: int, campaigns: list[tuple[int, int]]) -> None:
    """The pledges of donor `merge_id` moved to `keep_id`: both donors' rows in each of the
    `(campaign, fund)` the pledges were in, in primary-key order, then one counter row."""
    for campaign_id, fund_id in sorted(dict(campaigns).items()):
        donor_count = sum(
            tally_donor_refresh(campaign_id=campaign_id, donor_id=donor_id) for donor_id in sorted([keep_id, merge_id])
        )
        tally_add(campaign_id=campaign_id, fund_id=fund_id, day=timezone.localdate(), shard=keep_id,
                  donor_count=donor_count)


@transaction.atomic
def tallies_rebuild(*, campaign_ids: list[int] | None = None) -> int:
    """Drop the running totals (of `campaign_ids`, else of every campaign) and sum them afresh from
    the pledges and payments, by a handful of GROUP BY queries; the number of rows written.

    For a migration, a repair, or an auditor who wants the figures from the records alone. Run it
    while nobody records money: a payment committed during the rebuild may be counted twice or not
    at all (`manage.py campaign_tallies --check` tells).
    """
    public_pages_changed()
    tallies, donors = CampaignTally.objects.all(), CampaignDonorTally.objects.all()
    pledges, payments = public_pledges(), Payment.objects.not_voided().filter(pledge__isnull=False)
    if campaign_ids is not None:
        tallies, donors = tallies.filter(campaign_id__in=campaign_ids), donors.filter(campaign_id__in=campaign_ids)
        pledges, payments = pledges.filter(campaign_id__in=campaign_ids), payments.filter(pledge__campaign_id__in=campaign_ids)
    tallies.delete()
    donors.delete()
    today = timezone.localdate()
    rows: dict[tuple, CampaignTally] = {}

    def row(campaign_id, fund_id, day) -> CampaignTally:
        key = (campaign_id, fund_id, day)
        if key not in rows:
            rows[key] = CampaignTally(campaign_id=campaign_id, fund_id=fund_id, day=day, shard=0)
        return rows[key]

    for campaign_id, fund_id, day, total in (
        payments.order_by().values("pledge__campaign", "fund", "received_on").annotate(total=Sum("amount"))
        .values_list("pledge__campaign", "fund", "received_on", "total")
    ):
        row(campaign_id, fund_id, day).received = total
    for campaign_id, fund_id, total, count in (
        pledges.order_by().values("campaign", "fund").annotate(total=Sum("public_amount"), count=Count("pk"))
        .values_list("campaign", "fund", "total", "count")
    ):
        tally = row(campaign_id, fund_id, today)
        tally.pledged, tally.pledge_count = total, count
    for campaign_id, fund_id, count in (
        pledges.order_by().values("campaign").annotate(count=Count("donor", distinct=True), fund=Min("fund"))
        .values_list("campaign", "fund", "count")
    ):
        row(campaign_id, fund_id, today).donor_count = count
    CampaignTally.objects.bulk_create(rows.values(), batch_size=1000)

    donor_rows: dict[tuple, CampaignDonorTally] = {}

    def donor_row(campaign_id, donor_id, anonymous) -> CampaignDonorTally:
        key = (campaign_id, donor_id, anonymous)
        if key not in donor_rows:
            donor_rows[key] = CampaignDonorTally(campaign_id=campaign_id, donor_id=donor_id, anonymous=anonymous)
        return donor_rows[key]

    for campaign_id, donor_id, anonymous, total in (
        pledges.order_by().values("campaign", "donor", "anonymous").annotate(total=Sum("public_amount"))
        .values_list("campaign", "donor", "anonymous", "total")
    ):
        donor_row(campaign_id, donor_id, anonymous).public_pledged = total
    for campaign_id, donor_id, anonymous, total, first in (
        payments.filter(publicly_listed("pledge__")).order_by().values("pledge__campaign", "donor", "pledge__anonymous")
        .annotate(total=Sum("amount"), first=Min("pk"))
        .values_list("pledge__campaign", "donor", "pledge__anonymous", "total", "first")
    ):
        entry = donor_row(campaign_id, donor_id, anonymous)
        entry.honor_total, entry.first_payment = total, first
    CampaignDonorTally.objects.bulk_create(donor_rows.values(), batch_size=1000)
    return len(rows) + len(donor_rows)

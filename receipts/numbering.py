"""Receipt numbers: per issuing unit and year, without gaps and without duplicates.

The next number comes from the `ReceiptCounter` row of (unit, year), locked with
`select_for_update` inside the caller's transaction (the payment's). Concurrent issuers in the
same register queue on that row lock; a transaction that rolls back releases the lock with its
increment undone, so the next issuer takes the same number and no gap appears. Neither a
database sequence (it does not roll back: gaps) nor `max(number) + 1` (two readers see the same
max: duplicates) has that property.

The first issue of a year creates the row. Two first issuers may both find no row and both
insert: the unique (unit, year) constraint lets one win; the loser's insert runs in a savepoint,
fails, and the loser then locks the winner's row (on PostgreSQL the loser's insert waits for
the winner's transaction and fails only once it commits; if the winner rolls back, the
loser's insert succeeds instead). On SQLite the project's IMMEDIATE transactions serialise
writers already, and `select_for_update` is a no-op there.
"""

from django.db import IntegrityError, transaction

from fundmgr.orgs.models import OrgUnit

from .models import ReceiptCounter

NUMBER_PREFIX = "PT"


def number_format(*, year: int, sequence: int) -> str:
    """`PT-2026-000123`: the printed number of the `sequence`-th receipt of `year`."""
    return f"{NUMBER_PREFIX}-{year}-{sequence:06d}"


def counter_lock(*, unit: OrgUnit, year: int) -> ReceiptCounter:
    """The counter of (unit, year), created if need be, locked until the caller's transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("receipt numbers are taken inside the issuing transaction")
    counter = ReceiptCounter.objects.select_for_update().filter(unit=unit, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = ReceiptCounter.objects.create(unit=unit, year=year, last_number=0)
        except IntegrityError:
            counter = ReceiptCounter.objects.select_for_update().get(unit=unit, year=year)
    return counter


def number_take(counter: ReceiptCounter) -> int:
    """The next number of a counter the caller has locked (`counter_lock`)."""
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def number_next(*, unit: OrgUnit, year: int) -> int:
    """Lock the counter of (unit, year) and take its next number."""
    return number_take(counter_lock(unit=unit, year=year))

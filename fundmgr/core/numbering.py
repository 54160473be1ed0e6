"""Gap-free document numbers: per issuing unit and year, without gaps and without duplicates.

Receipts (phiếu thu) and disbursement vouchers (phiếu chi) are numbered this way. Each register
has a counter row (`NumberCounter`: unit, year, last number) that is locked with
`select_for_update` inside the caller's transaction (the payment's, the disbursement's).
Concurrent issuers in the same register queue on that row lock; a transaction that rolls back
releases the lock with its increment undone, so the next issuer takes the same number and no gap
appears. Neither a database sequence (it does not roll back: gaps) nor `max(number) + 1` (two
readers see the same max: duplicates) has that property.

The first issue of a year creates the row. Two first issuers may both find no row and both
insert: the unique (unit, year) constraint lets one win; the loser's insert runs in a savepoint,
fails, and the loser then locks the winner's row (on PostgreSQL the loser's insert waits for
the winner's transaction and fails only once it commits; if the winner rolls back, the
loser's insert succeeds instead). On SQLite the project's IMMEDIATE transactions serialise
writers already, and `select_for_update` is a no-op there.
"""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _


class NumberCounter(models.Model):
    """The last number given out in the register of (unit, year); a concrete model adds
    `unit = models.ForeignKey(OrgUnit, ...)` and a unique constraint on (unit, year)."""

    year = models.PositiveSmallIntegerField(_("năm"))
    last_number = models.PositiveIntegerField(_("số cuối đã cấp"), default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.unit_id}/{self.year}: {self.last_number}"


def counter_lock(model: type[NumberCounter], *, unit, year: int) -> NumberCounter:
    """The counter of (unit, year), created if need be, locked until the caller's transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("document numbers are taken inside the issuing transaction")
    counter = model.objects.select_for_update().filter(unit=unit, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = model.objects.create(unit=unit, year=year, last_number=0)
        except IntegrityError:
            counter = model.objects.select_for_update().get(unit=unit, year=year)
    return counter


def number_take(counter: NumberCounter) -> int:
    """The next number of a counter the caller has locked (`counter_lock`)."""
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def number_next(model: type[NumberCounter], *, unit, year: int) -> int:
    """Lock the counter of (unit, year) and take its next number.

    One statement once the counter exists: `UPDATE ... SET last_number = last_number + 1
    RETURNING last_number` locks the row and increments it (a concurrent issuer's UPDATE waits for
    this transaction, then adds to what it committed); the first issue of a year creates the row
    as `counter_lock` does."""
    return numbers_next(model, unit=unit, year=year, count=1)[0]


def numbers_next(model: type[NumberCounter], *, unit, year: int, count: int) -> list[int]:
    """`number_next` for `count` numbers at once: the next `count` consecutive numbers of (unit,
    year), in one `UPDATE ... SET last_number = last_number + count RETURNING last_number` once
    the counter exists (a bulk issuer: the bank-statement import's receipts)."""
    if count < 1:
        raise ValueError("numbers_next takes one number or more")
    connection = transaction.get_connection(model.objects.db)
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("document numbers are taken inside the issuing transaction")
    quote = connection.ops.quote_name
    unit_column = model._meta.get_field("unit").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET last_number = last_number + %s "
            f"WHERE {quote(unit_column)} = %s AND year = %s RETURNING last_number",
            [count, unit.pk, year],
        )
        row = cursor.fetchone()
    if row is None:
        counter = counter_lock(model, unit=unit, year=year)
        counter.last_number += count
        counter.save(update_fields=["last_number"])
        last = counter.last_number
    else:
        last = row[0]
    return list(range(last - count + 1, last + 1))

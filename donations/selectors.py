"""Reads of the donations app that are more than a filter.

Paid, due and outstanding amounts are computed from the payments and installments themselves
(payments that are not voided: `Payment.objects.not_voided()`, the one place of that rule),
as correlated subqueries: a join of pledges to both payments and installments would multiply
rows and inflate the sums, and a stored counter could drift from the payments it counts.

This module is the home of two rules that the pages, the services and the e-mails all use:

- what was paid on a pledge: `pledge_paid_amounts` (SQL, for lists); `pledge_paid` reads one
  pledge through it (and `pledge_paid_and_removal_requested`, the payment's read, as plain SQL);
- what is due on an installment: payments cover installments in order, so installment n is
  covered when installments 1..n add up to no more than what was paid. `installment_amount_due`
  is the rule (Python, a pledge has at most 12 installments), `pledge_amount_due_next` what the
  donor should transfer next. Lists need it in SQL: `pledge_due_amounts` sums the installments
  due before a day, and a pledge is overdue when that sum exceeds what was paid, which is the
  same rule applied to its last installment due (a test holds the two forms together).
"""

from __future__ import annotations

import datetime
import functools

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors import campaign_with_unit
from fundmgr.core import sql_rows
from fundmgr.ledger.references import LedgerReference
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import user_has_role

from .models import Donor, HonorRollRemovalRequest, Payment, Pledge, PledgeInstallment

OPEN_STATUSES = (Pledge.Status.PLEDGED, Pledge.Status.PARTIALLY_PAID)


def _sum_subquery(queryset: QuerySet, field: str = "amount"):
    summed = queryset.order_by().values(queryset.model._meta.get_field("pledge").attname)
    summed = summed.annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(summed, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def pledge_paid_amounts(queryset: QuerySet[Pledge] | None = None) -> QuerySet[Pledge]:
    """Pledges annotated with `paid_amount`: the sum of their payments not voided, 0 when there are none."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    if "paid_amount" in queryset.query.annotations:
        return queryset
    return queryset.annotate(paid_amount=_sum_subquery(Payment.objects.not_voided().filter(pledge=OuterRef("pk"))))


def pledge_paid(pledge: Pledge) -> int:
    """What was paid on `pledge` so far (payments not voided, as `pledge_paid_amounts` sums them):
    one query, a plain aggregate over the pledge's payments (cheaper for the ORM to build than the
    annotated subquery, on the path of every payment)."""
    return Payment.objects.not_voided().filter(pledge_id=pledge.pk).aggregate(total=Sum("amount"))["total"] or 0


def pledge_paid_and_removal_requested(pledge: Pledge) -> tuple[int, bool]:
    """`pledge_paid`, and whether the pledge has an honor roll removal request, in one statement:
    what `payment_record` reads right after taking the pledge's row lock (both answers hold until
    its commit: payments and removal requests take that lock first). Plain SQL, built once: the
    ORM's aggregate cost more to compile than to run. The sum is `pledge_paid`'s (payments not
    voided, `PaymentQuerySet.not_voided`); a test holds the two forms together."""
    with connection.cursor() as cursor:
        cursor.execute(_paid_and_removal_sql(connection.vendor), [pledge.pk, pledge.pk])
        paid, removal_requested = cursor.fetchone()
    return int(paid), bool(removal_requested)


@functools.cache
def _paid_and_removal_sql(vendor: str) -> str:
    column = sql_rows.column
    return (
        f"SELECT COALESCE(SUM({column(Payment, 'payment', 'amount')}), 0), "
        f"EXISTS (SELECT 1 FROM {sql_rows.table(HonorRollRemovalRequest, 'removal')} "
        f"WHERE {column(HonorRollRemovalRequest, 'removal', 'pledge')} = %s) "
        f"FROM {sql_rows.table(Payment, 'payment')} "
        f"WHERE {column(Payment, 'payment', 'pledge')} = %s AND {column(Payment, 'payment', 'voided_at')} IS NULL"
    )


def installment_amount_due(installments: list[PledgeInstallment], installment: PledgeInstallment, paid: int) -> int:
    """What is still to pay of `installment`, given all the pledge's `installments` and what was
    `paid`: payments cover installments in order (module docstring)."""
    cumulative = sum(item.amount for item in installments if item.number <= installment.number)
    return max(0, min(installment.amount, cumulative - paid))


def pledge_amount_due_next(pledge: Pledge, installments: list[PledgeInstallment], paid: int) -> int:
    """What the donor should transfer next: the uncovered rest of the first installment not yet
    covered, or of the whole pledge when it has no installments; 0 when all is paid."""
    if not installments:
        return max(pledge.amount - paid, 0)
    for installment in sorted(installments, key=lambda item: item.number):
        due = installment_amount_due(installments, installment, paid)
        if due:
            return due
    return 0


def pledge_outstanding(queryset: QuerySet[Pledge] | None = None) -> QuerySet[Pledge]:
    """Adds `outstanding_amount` (still to pay, never below 0) and `overpaid_amount` (paid beyond it).

    A cancelled or written-off pledge has nothing outstanding: nobody is asked for that money.
    """
    queryset = pledge_paid_amounts(queryset)
    return queryset.annotate(
        outstanding_amount=Case(
            When(~Q(status__in=OPEN_STATUSES), then=Value(0)),
            When(paid_amount__gte=F("amount"), then=Value(0)),
            default=F("amount") - F("paid_amount"),
            output_field=BigIntegerField(),
        ),
        overpaid_amount=Case(
            When(paid_amount__gt=F("amount"), then=F("paid_amount") - F("amount")),
            default=Value(0),
            output_field=BigIntegerField(),
        ),
    )


# Who may name a unit or a campaign in a money write of the API (a pledge, a bank statement): the
# roles that may view its money, in its unit or above, as the API's reads are scoped.
_MONEY_VIEWERS = roles_with(Action.VIEW, Domain.MONEY)


def _money_visible(user, unit: OrgUnit) -> bool:
    return user_has_role(user, unit, _MONEY_VIEWERS)


def unit_for_money(user, code: str) -> OrgUnit | None:
    """The unit of `code` as `user` may name it in a money write (a bank statement's account
    holder): None when there is no such unit and when the user may not view its money (the same
    answer: a caller does not learn that another unit exists). The service checks that the user may
    add to it (`access_units`, a 403): this finds, it does not allow. One query: the user's
    memberships are read once per request."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not _money_visible(user, unit):
        return None
    return unit


def campaign_for_money(user, slug: str) -> Campaign | None:
    """The campaign of `slug`, with its unit, as `user` may name it in a money write (a pledge, a
    bank statement): None when there is no such campaign and when it lies outside the units where
    the user may view money (the same answer: a caller does not learn that another unit's campaign
    exists). Whatever its status: `pledge_create` says why a campaign takes no pledge, and the
    services check the user's units themselves (`access_units`, a 403): this finds, it does not
    allow.

    The scope is the API's reads' (`scope_queryset` with the roles that may view money), decided on
    the unit read with the campaign (`user_has_role`): no query more than the lookup, since the
    user's memberships are read once per request (issue #17: the ORM's scoped query cost a tenth
    of the pledge POST's CPU to compile)."""
    campaign = campaign_with_unit(slug)
    if campaign is None or not _money_visible(user, campaign.unit):
        return None
    return campaign


def pledge_new_as_listed(pledge: Pledge) -> Pledge:
    """A pledge `pledge_create` has just made, as `pledge_list` shows it, without reading it back:
    nothing can be paid on it yet, so `pledge_outstanding`'s figures are paid 0, overpaid 0 and
    outstanding its amount (while open); its donor, campaign and fund are the ones the service
    holds; its installments are those the service wrote (`pledge_installments_known`), else one
    query. (The API's answer to a new pledge, issue #17.)"""
    pledge.paid_amount = 0
    pledge.overpaid_amount = 0
    pledge.outstanding_amount = pledge.amount if pledge.status in OPEN_STATUSES else 0
    if "installments" not in getattr(pledge, "_prefetched_objects_cache", {}):
        prefetch_related_objects(
            [pledge], Prefetch("installments", queryset=PledgeInstallment.objects.order_by("number"))
        )
    return pledge


def pledge_installments_known(pledge: Pledge, installments: list[PledgeInstallment]) -> None:
    """Hold `installments` as the pledge's, in number order, as `prefetch_related` would: the
    service that has just written them all hands them on, so `pledge.installments.all()` reads
    no row (the API's answer to a new pledge)."""
    queryset = pledge.installments.all()  # not evaluated: its cache is filled here, as Django's prefetch does
    queryset._result_cache = sorted(installments, key=lambda installment: installment.number)
    queryset._prefetch_done = True
    pledge._prefetched_objects_cache = {**getattr(pledge, "_prefetched_objects_cache", {}), "installments": queryset}


def pledge_due_amounts(queryset: QuerySet[Pledge] | None = None, *, today: datetime.date | None = None) -> QuerySet[Pledge]:
    """Adds `due_amount`: the sum of installments whose due date has passed (before `today`).

    With `paid_amount`, the SQL form of `installment_amount_due`: `due_amount > paid_amount` exactly
    when the last installment due before `today` is not covered.
    """
    today = today or timezone.localdate()
    queryset = pledge_paid_amounts(queryset)
    return queryset.annotate(
        due_amount=_sum_subquery(PledgeInstallment.objects.filter(pledge=OuterRef("pk"), due_on__lt=today))
    )


def pledges_overdue(queryset: QuerySet[Pledge] | None = None, *, today: datetime.date | None = None) -> QuerySet[Pledge]:
    """Open pledges whose passed installments add up to more than has been paid."""
    queryset = pledge_due_amounts(queryset, today=today)
    return queryset.filter(status__in=OPEN_STATUSES, due_amount__gt=F("paid_amount"))


def pledges_not_overdue(queryset: QuerySet[Pledge] | None = None, *, today: datetime.date | None = None) -> QuerySet[Pledge]:
    queryset = pledge_due_amounts(queryset, today=today)
    return queryset.exclude(status__in=OPEN_STATUSES, due_amount__gt=F("paid_amount"))


def pledges_overpaid(queryset: QuerySet[Pledge] | None = None) -> QuerySet[Pledge]:
    """Pledges paid beyond their amount: the extra money is kept and shown, never lost."""
    return pledge_outstanding(queryset).filter(overpaid_amount__gt=0)


def pledge_list(queryset: QuerySet[Pledge] | None = None) -> QuerySet[Pledge]:
    """Pledges for a list page: related rows joined, paid/outstanding amounts annotated."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    return pledge_outstanding(queryset.select_related("donor", "campaign", "fund", "campaign__unit"))


def donor_merge_candidates(donor: Donor) -> QuerySet[Donor]:
    """Other donors of the same unit with the same normalised name, not merged: for a person to judge.

    `donor_find_or_create` merges only on a shared contact; two people called "Nguyễn Văn An" are
    common, so a name alone is never enough to merge automatically.
    """
    return (
        Donor.objects.filter(unit_id=donor.unit_id, name_normalized=donor.name_normalized, merged_into__isnull=True)
        .exclude(pk=donor.pk)
        .order_by("pk")
    )


def donor_totals(queryset: QuerySet[Donor] | None = None) -> QuerySet[Donor]:
    """Donors annotated with `pledged_total` and `paid_total` (payments not voided)."""
    queryset = Donor.objects.all() if queryset is None else queryset
    pledged = Pledge.objects.filter(donor=OuterRef("pk")).exclude(status=Pledge.Status.CANCELLED)
    pledged = pledged.order_by().values("donor_id").annotate(total=Sum("amount")).values("total")
    paid = Payment.objects.not_voided().filter(donor=OuterRef("pk")).order_by().values("donor_id").annotate(total=Sum("amount")).values("total")
    return queryset.annotate(
        pledged_total=Coalesce(Subquery(pledged, output_field=BigIntegerField()), Value(0)),
        paid_total=Coalesce(Subquery(paid, output_field=BigIntegerField()), Value(0)),
    )


def donor_data_export(donor) -> dict:
    """Everything held about `donor`, for the donor (four queries, whatever the amounts).

    The donor record, and the pledges and payments of the donor and of the donor records merged
    into it, as a JSON-ready dict. It only reads: `donor_data_export_record` hands it out and
    leaves the audit row, since giving personal data away is itself an event worth tracing.
    """
    merged = list(Donor.objects.filter(merged_into=donor).order_by("pk"))
    donor_ids = [donor.pk, *(record.pk for record in merged)]
    pledges = (
        Pledge.objects.filter(donor_id__in=donor_ids)
        .select_related("campaign", "fund")
        .prefetch_related("installments")
        .order_by("created_at", "pk")
    )
    payments = Payment.objects.filter(donor_id__in=donor_ids).select_related("fund", "pledge").order_by("received_on", "pk")
    return {
        "donor": _donor(donor),
        "merged_donor_records": [_donor(record) for record in merged],
        "pledges": [
            {
                "reference": pledge.reference,
                "donor_id": pledge.donor_id,
                "campaign": pledge.campaign.name,
                "fund": pledge.fund.name,
                "amount": pledge.amount,
                "status": pledge.status,
                "channel": pledge.channel,
                "anonymous": pledge.anonymous,
                "list_on_honor_roll": pledge.list_on_honor_roll,
                "message": pledge.message,
                "created_at": pledge.created_at.isoformat(),
                "installments": [
                    {"number": item.number, "due_on": item.due_on.isoformat(), "amount": item.amount}
                    for item in pledge.installments.all()
                ],
            }
            for pledge in pledges
        ],
        "payments": [
            {
                "donor_id": payment.donor_id,
                "pledge": payment.pledge.reference if payment.pledge_id else None,
                "fund": payment.fund.name,
                "amount": payment.amount,
                "method": payment.method,
                "in_kind_description": payment.in_kind_description,
                "received_on": payment.received_on.isoformat(),
                "bank_reference": payment.bank_reference,
            }
            for payment in payments
        ],
    }


def _donor(donor) -> dict:
    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": donor.pk,
        "kind": donor.kind,
        "name": donor.name,
        "email": donor.email,
        "phone": donor.phone,
        "tax_code": donor.tax_code,
        "address": donor.address,
        "honor_roll_consent": donor.honor_roll_consent,
        "honor_roll_consent_at": moment(donor.honor_roll_consent_at),
        "email_consent": donor.email_consent,
        "email_consent_at": moment(donor.email_consent_at),
        "created_at": moment(donor.created_at),
    }


def payment_ledger_references():
    """What each payment says about the journal, for `verify_ledger` (`fundmgr.ledger.references`).

    A payment names the entry that took its money in (a debit of its amount in its fund) and, once
    voided, the reversal of that entry. Streamed in primary-key order.
    """
    rows = Payment.objects.order_by("pk").values_list(
        "pk", "journal_entry_id", "fund_id", "amount", "voided_at", "void_entry_id"
    )
    for pk, entry_id, fund_id, amount, voided_at, void_entry_id in rows.iterator(chunk_size=2_000):
        yield LedgerReference(_("khoản thu #%(id)s") % {"id": pk}, entry_id, fund_id=fund_id, amount=amount)
        if voided_at is not None:
            yield LedgerReference(
                _("khoản thu #%(id)s (đã hủy)") % {"id": pk}, void_entry_id, reverses_entry_id=entry_id
            )


def payment_campaigns(ids: list[str]) -> dict[str, str]:
    """{payment id: "Chiến dịch <name>"}, or "Ủng hộ ngoài chiến dịch" for a payment without a
    pledge: the ledger's fund statement groups money in by campaign with it
    (`fundmgr.ledger.sources`; one query for all the ids)."""
    rows = Payment.objects.filter(pk__in=ids).values_list("pk", "pledge__campaign__name")
    return {
        str(pk): _("Chiến dịch %(name)s") % {"name": name} if name else _("Ủng hộ ngoài chiến dịch")
        for pk, name in rows
    }

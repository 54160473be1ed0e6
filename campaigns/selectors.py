"""Reads about campaigns: progress, its breakdowns, the honor roll.

Every figure is summed by the database, never by looping over rows in Python, so a page costs
the same few queries with 5 pledges or 50,000. Definitions:

- pledged: the sum of the campaign's pledges that are not cancelled;
- received: the sum of the payments made against the campaign's pledges, voided ones excepted
  (`Payment.objects.not_voided()`: a voided payment was reversed in the ledger);
- donors: the number of distinct donors with a pledge that is not cancelled.

Pledges and payments are summed in separate subqueries: joining both tables in one query would
repeat each pledge once per payment and inflate the sums.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from donations.models import Donor, Payment, Pledge
from fundmgr.ledger.models import Fund

from .models import Campaign

ANONYMOUS_DONOR = _("Nhà hảo tâm ẩn danh")


def _live_pledges():
    return Pledge.objects.exclude(status=Pledge.Status.CANCELLED)


def _sum_subquery(queryset: QuerySet, group_field: str, sum_field: str = "amount"):
    # `.values(group).annotate(...)` makes the subquery GROUP BY the outer key: one row, one value.
    aggregate = queryset.order_by().values(group_field).annotate(total=Sum(sum_field)).values("total")
    return Coalesce(Subquery(aggregate, output_field=IntegerField()), Value(0))


def campaigns_with_progress(queryset: QuerySet | None = None) -> QuerySet:
    """`queryset` (all campaigns by default) annotated with `pledged`, `received`, `donor_count`."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    donors = (
        _live_pledges().filter(campaign=OuterRef("pk")).order_by().values("campaign")
        .annotate(count=Count("donor", distinct=True)).values("count")
    )
    return queryset.annotate(
        pledged=_sum_subquery(_live_pledges().filter(campaign=OuterRef("pk")), "campaign"),
        received=_sum_subquery(Payment.objects.not_voided().filter(pledge__campaign=OuterRef("pk")), "pledge__campaign"),
        donor_count=Coalesce(Subquery(donors, output_field=IntegerField()), Value(0)),
    )


@dataclass(frozen=True)
class Progress:
    goal: int
    pledged: int
    received: int
    donor_count: int

    @property
    def received_percent(self) -> int:
        """Share of the goal received, in whole percent, capped at 100 for the bar."""
        return min(100, self.received * 100 // self.goal) if self.goal > 0 else 0

    @property
    def pledged_percent(self) -> int:
        return min(100, self.pledged * 100 // self.goal) if self.goal > 0 else 0


def campaign_progress(campaign: Campaign) -> Progress:
    """Totals of one campaign; reuses the annotations when `campaign` came from `campaigns_with_progress`."""
    if not hasattr(campaign, "pledged"):
        campaign = campaigns_with_progress(Campaign.objects.filter(pk=campaign.pk)).get()
    return Progress(
        goal=campaign.goal, pledged=campaign.pledged, received=campaign.received, donor_count=campaign.donor_count
    )


@dataclass(frozen=True)
class Share:
    """One line of a breakdown: a key (fund, donor kind, unit, day) and its sums."""

    key: object
    label: str
    pledged: int = 0
    received: int = 0
    pledge_count: int = 0


def progress_by_fund(campaign: Campaign) -> list[Share]:
    """Pledged and received per fund of the campaign, in the campaign's fund order (one query)."""
    funds = (
        Fund.objects.filter(campaigns=campaign)
        .annotate(
            pledged=_sum_subquery(_live_pledges().filter(campaign=campaign, fund=OuterRef("pk")), "fund"),
            received=_sum_subquery(Payment.objects.not_voided().filter(pledge__campaign=campaign, fund=OuterRef("pk")), "fund"),
            pledge_count=Coalesce(
                Subquery(
                    _live_pledges().filter(campaign=campaign, fund=OuterRef("pk")).order_by().values("fund")
                    .annotate(count=Count("pk")).values("count"),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
        )
        .order_by("code")
    )
    return [Share(fund.pk, fund.name, fund.pledged, fund.received, fund.pledge_count) for fund in funds]


def progress_by_donor_kind(campaign: Campaign) -> list[Share]:
    """Pledged and received per kind of donor (individual, business, agency, organisation): 2 queries."""
    pledged = {
        row["donor__kind"]: row
        for row in _live_pledges().filter(campaign=campaign).order_by().values("donor__kind")
        .annotate(total=Sum("amount"), count=Count("pk"))
    }
    received = dict(
        Payment.objects.not_voided().filter(pledge__campaign=campaign).order_by().values("donor__kind")
        .annotate(total=Sum("amount")).values_list("donor__kind", "total")
    )
    return [
        Share(kind, str(label), pledged.get(kind, {}).get("total") or 0, received.get(kind) or 0,
              pledged.get(kind, {}).get("count") or 0)
        for kind, label in Donor.Kind.choices
        if kind in pledged or kind in received
    ]


def progress_by_unit(campaign: Campaign) -> list[Share]:
    """Pledged per donor's unit and received per collecting unit, by unit path: 2 queries.

    A pledge belongs to the unit of its donor (the unit that brought the donor in); a payment to
    the unit that received the money, which may be another one (a branch collects for the province).
    """
    pledged = {
        row["donor__unit"]: row
        for row in _live_pledges().filter(campaign=campaign).order_by().values(
            "donor__unit", "donor__unit__name", "donor__unit__path"
        ).annotate(total=Sum("amount"), count=Count("pk"))
    }
    received = {
        row["unit"]: row
        for row in Payment.objects.not_voided().filter(pledge__campaign=campaign).order_by().values(
            "unit", "unit__name", "unit__path"
        ).annotate(total=Sum("amount"))
    }
    units = {pk: (row["donor__unit__path"], row["donor__unit__name"]) for pk, row in pledged.items()}
    units.update({pk: (row["unit__path"], row["unit__name"]) for pk, row in received.items()})
    return [
        Share(pk, name, (pledged.get(pk) or {}).get("total") or 0, (received.get(pk) or {}).get("total") or 0,
              (pledged.get(pk) or {}).get("count") or 0)
        for pk, (_path, name) in sorted(units.items(), key=lambda item: item[1][0])
    ]


def received_by_day(campaign: Campaign) -> list[tuple[datetime.date, int]]:
    """`(day, amount received that day)` for each day with money in, oldest first (one query)."""
    rows = (
        Payment.objects.not_voided().filter(pledge__campaign=campaign).order_by().values("received_on")
        .annotate(total=Sum("amount")).order_by("received_on").values_list("received_on", "total")
    )
    return list(rows)


@dataclass(frozen=True)
class HonorRollEntry:
    name: str  # for an anonymous pledge, the lazily translated "Nhà hảo tâm ẩn danh"
    donor_kind: str
    amount: int
    anonymous: bool


def honor_roll(campaign: Campaign, limit: int = 200) -> list[HonorRollEntry]:
    """The bảng vàng: pledges listed with consent, largest first; never any contact detail.

    Reads only the name and kind of the donor, so no contact can reach the template by mistake.
    Anonymous pledges show as "Nhà hảo tâm ẩn danh": their name does not even leave the database.
    A written-off pledge is left out, as its amount was never given.
    """
    rows = (
        _live_pledges().filter(campaign=campaign, list_on_honor_roll=True)
        .exclude(status=Pledge.Status.WRITTEN_OFF)
        .annotate(
            shown_name=Case(When(anonymous=True, then=Value("")), default=F("donor__name"), output_field=CharField())
        )
        .order_by("-amount", "created_at", "pk")
        .values_list("anonymous", "shown_name", "donor__kind", "amount")[:limit]
    )
    return [
        HonorRollEntry(name=ANONYMOUS_DONOR if anonymous else name, donor_kind=kind, amount=amount, anonymous=anonymous)
        for anonymous, name, kind, amount in rows
    ]


def open_campaigns() -> QuerySet:
    return campaigns_with_progress(Campaign.objects.filter(status=Campaign.Status.OPEN)).select_related("unit")


def public_campaign(slug: str) -> Campaign | None:
    """An open or closed campaign with its progress (drafts are not public), or None."""
    return (
        campaigns_with_progress(Campaign.objects.filter(slug=slug).filter(~Q(status=Campaign.Status.DRAFT)))
        .select_related("unit", "default_fund")
        .first()
    )

"""Reads about campaigns: progress, its breakdowns, the honor roll.

Every figure is summed by the database, never by looping over rows in Python, so a page costs
the same few queries with 5 pledges or 50,000.

The rule of the public figures: nothing a visitor types moves a number or reaches a page until
money has arrived or a treasurer has confirmed it. Anyone may type "900 tỷ" into the public form;
only a bank, a cashier or a treasurer can make that count. Definitions:

- received: the sum of the payments made against the campaign's pledges, voided ones excepted
  (`Payment.objects.not_voided()`: a voided payment was reversed in the ledger);
- a pledge's public amount (`public_pledges`): for a pledge a treasurer confirmed
  (`Pledge.confirmed_at`: recorded in the admin, the API or an import, or confirmed later with
  `pledge_confirm`), its amount; for one typed into the public form and not confirmed, only the
  money received on it. Cancelled pledges count nothing;
- pledged: the sum of the public amounts; pledges: those whose public amount is not zero;
- donors: the number of distinct donors of those pledges;
- the honor roll: donors by money received, never by what they promised;
- which name the public sees (`publicly_listed`, `publicly_named`, `public_name`): a donor's name
  appears on a public page (the honor roll, the statement) only for a pledge the donor asked to
  list (`list_on_honor_roll`), not anonymous, and with no removal request
  (`HonorRollRemovalRequest`: privacy first, the request hides the name before anyone handles it).

Pledges and payments are summed in separate subqueries: joining both tables in one query would
repeat each pledge once per payment and inflate the sums.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Campaign
from donations.models import (
    CampaignDonorTally,
    CampaignTally,
    Donor,
    HonorRollRemovalRequest,
    Payment,
    Pledge,
)
from fundmgr.ledger.models import Fund

ANONYMOUS_DONOR = _("Nhà hảo tâm ẩn danh")
# On the statement, before the end of the bank reference: "Nhà hảo tâm …22CD".
UNNAMED_DONOR = pgettext_lazy("a donor not named in public", "Nhà hảo tâm")
HONOR_ROLL_PAGE_SIZE = 50
# Far beyond any real honor roll (50 million donors); larger page numbers are refused before they
# become an OFFSET that the database could not even represent.
HONOR_ROLL_MAX_PAGE = 999_999


def publicly_listed(prefix: str = "") -> Q:
    """Pledges (with `prefix="pledge__"`: payments) whose money the honor roll may list: the donor
    asked for it and has not asked since to be removed."""
    return Q(**{f"{prefix}list_on_honor_roll": True, f"{prefix}honor_roll_removal__isnull": True})


def pledges_publicly_listed(pledges, removal_requested: set[int] | None = None) -> set[int]:
    """`publicly_listed` for pledges in memory: the ids of those with the donor's consent and no
    removal request. `removal_requested`: the ids among them that have one, when the caller has
    read them already (`removal_requested()`, after locking the pledges); else one query here
    (none when no pledge has the consent)."""
    consented = {pledge.pk for pledge in pledges if pledge.list_on_honor_roll}
    if not consented:
        return set()
    if removal_requested is None:
        removal_requested = set(
            HonorRollRemovalRequest.objects.filter(pledge_id__in=consented).values_list("pledge_id", flat=True)
        )
    return consented - removal_requested


def removal_requested() -> Exists:
    """Whether a pledge (the outer query's row) has a removal request: an annotation for a read
    that `pledges_publicly_listed` then needs no query of its own for."""
    return Exists(HonorRollRemovalRequest.objects.filter(pledge=OuterRef("pk")))


def publicly_named(prefix: str = "") -> Q:
    """Pledges (or payments) whose donor's name the public may read: listed and not anonymous."""
    return publicly_listed(prefix) & Q(**{f"{prefix}anonymous": False})


def public_name(prefix: str = "pledge__", name: str = "donor__name") -> Case:
    """The donor's name where the public may read it, else "": the one rule of the honor roll and
    the statement. A hidden name never leaves the database, so no template can show it by mistake."""
    return Case(When(publicly_named(prefix), then=F(name)), default=Value(""), output_field=CharField())


def _live_pledges():
    return Pledge.objects.exclude(status=Pledge.Status.CANCELLED)


def _sum_subquery(queryset: QuerySet, group_field: str, sum_field: str = "amount"):
    # `.values(group).annotate(...)` makes the subquery GROUP BY the outer key: one row, one value.
    aggregate = queryset.order_by().values(group_field).annotate(total=Sum(sum_field)).values("total")
    return Coalesce(Subquery(aggregate, output_field=BigIntegerField()), Value(0))


def public_pledges() -> QuerySet:
    """Live pledges that count in public, each with `public_amount` (see the module's docstring).

    The money received on a pledge that nobody confirmed is a correlated subquery, read only for
    those pledges (CASE evaluates its default only when no branch matched).
    """
    received_on_pledge = _sum_subquery(Payment.objects.not_voided().filter(pledge=OuterRef("pk")), "pledge")
    return _live_pledges().annotate(
        public_amount=Case(
            When(confirmed_at__isnull=False, then=F("amount")), default=received_on_pledge,
            output_field=BigIntegerField(),
        )
    ).filter(public_amount__gt=0)


def campaigns_with_progress_recount(queryset: QuerySet | None = None) -> QuerySet:
    """`queryset` (all campaigns by default) annotated with `pledged`, `received`, `donor_count`,
    summed over every pledge and payment (the recount that checks the tallies)."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    donors = (
        public_pledges().filter(campaign=OuterRef("pk")).order_by().values("campaign")
        .annotate(count=Count("donor", distinct=True)).values("count")
    )
    return queryset.annotate(
        pledged=_sum_subquery(public_pledges().filter(campaign=OuterRef("pk")), "campaign", "public_amount"),
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


def progress_by_fund_recount(campaign: Campaign) -> list[Share]:
    """Pledged and received per fund of the campaign, in the campaign's fund order (one query over
    every pledge and payment: the recount)."""
    pledges = public_pledges().filter(campaign=campaign, fund=OuterRef("pk"))
    funds = (
        Fund.objects.filter(campaigns=campaign)
        .annotate(
            pledged=_sum_subquery(pledges, "fund", "public_amount"),
            received=_sum_subquery(Payment.objects.not_voided().filter(pledge__campaign=campaign, fund=OuterRef("pk")), "fund"),
            pledge_count=Coalesce(
                Subquery(
                    pledges.order_by().values("fund").annotate(count=Count("pk")).values("count"),
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
        for row in public_pledges().filter(campaign=campaign).order_by().values("donor__kind")
        .annotate(total=Sum("public_amount"), count=Count("pk"))
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
        for row in public_pledges().filter(campaign=campaign).order_by().values(
            "donor__unit", "donor__unit__name", "donor__unit__path"
        ).annotate(total=Sum("public_amount"), count=Count("pk"))
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


def received_by_day_recount(campaign: Campaign) -> list[tuple[datetime.date, int]]:
    """`(day, amount received that day)` for each day with money in, oldest first (one query over
    every payment: the recount)."""
    rows = (
        Payment.objects.not_voided().filter(pledge__campaign=campaign).order_by().values("received_on")
        .annotate(total=Sum("amount")).order_by("received_on").values_list("received_on", "total")
    )
    return list(rows)


@dataclass(frozen=True)
class HonorRollEntry:
    name: str  # for an anonymous gift, the lazily translated "Nhà hảo tâm ẩn danh"
    donor_kind: str
    amount: int
    anonymous: bool


@dataclass(frozen=True)
class HonorRollPage:
    entries: list[HonorRollEntry]
    number: int
    has_next: bool
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        """The rank of the first entry (the `start` of the page's `<ol>`)."""
        return (self.number - 1) * self.per_page + 1


def honor_roll_rows_recount(campaign: Campaign) -> QuerySet:
    """The bảng vàng, summed over every payment (the recount), as rows `(anonymous, shown_name, donor_kind, amount)`, most money received first.

    One row per donor and per choice of anonymity: the money received (payments not voided) on
    the donor's pledges of the campaign that the donor asked to list on the honor roll and has not
    asked to remove (`publicly_listed`). What a
    donor promised does not count here, only what arrived, so nobody reaches the roll by typing.
    A donor who gave once in their name and once anonymously has two rows, and the anonymous one
    is not tied to the name. Its name does not even leave the database (an empty string), and
    only the name and kind of the donor are read, so no contact can reach the template by mistake.
    Equal amounts keep the order in which the money first arrived (the first payment's id): the
    order is total, so pages never overlap or skip a row.
    """
    return (
        Payment.objects.not_voided().filter(publicly_listed("pledge__"), pledge__campaign=campaign)
        .order_by().values("donor", "donor__kind", "pledge__anonymous")
        .annotate(total=Sum("amount"), first_payment=Min("pk"), shown_name=Max(public_name()))
        .order_by("-total", "first_payment")
        .values_list("pledge__anonymous", "shown_name", "donor__kind", "total")
    )


def honor_roll(
    campaign: Campaign, page: int = 1, per_page: int = HONOR_ROLL_PAGE_SIZE
) -> HonorRollPage | None:
    """Page `page` (from 1) of the honor roll, in one query; None for a page past the end.

    Page 1 always exists, empty for a campaign without money yet. One row more than the page is
    read to know whether another page follows, instead of counting the whole roll.
    """
    if not 1 <= page <= HONOR_ROLL_MAX_PAGE:
        return None
    offset = (page - 1) * per_page
    rows = list(honor_roll_rows(campaign)[offset:offset + per_page + 1])
    if not rows and page > 1:
        return None
    entries = [
        HonorRollEntry(name=ANONYMOUS_DONOR if anonymous else name, donor_kind=kind, amount=amount, anonymous=anonymous)
        for anonymous, name, kind, amount in rows[:per_page]
    ]
    return HonorRollPage(entries=entries, number=page, has_next=len(rows) > per_page, per_page=per_page)


# --- the figures from the running totals (`donations/services/tallies.py`) -----------------------
# The page reads these: a campaign's totals are a sum of at most funds × days × shards counter
# rows, and the honor roll a walk of an index, whatever the number of pledges and payments.


def _tally_sum(field: str, **match):
    rows = CampaignTally.objects.filter(**match).order_by().values("campaign").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0))


def campaigns_with_progress(queryset: QuerySet | None = None) -> QuerySet:
    """`queryset` (all campaigns by default) annotated with `pledged`, `received`, `donor_count`."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    return queryset.annotate(
        pledged=_tally_sum("pledged", campaign=OuterRef("pk")),
        received=_tally_sum("received", campaign=OuterRef("pk")),
        donor_count=_tally_sum("donor_count", campaign=OuterRef("pk")),
    )


def progress_by_fund(campaign: Campaign) -> list[Share]:
    """Pledged and received per fund of the campaign, in the campaign's fund order (one query)."""
    funds = (
        Fund.objects.filter(campaigns=campaign)
        .annotate(
            pledged=_tally_sum("pledged", campaign=campaign, fund=OuterRef("pk")),
            received=_tally_sum("received", campaign=campaign, fund=OuterRef("pk")),
            pledge_count=_tally_sum("pledge_count", campaign=campaign, fund=OuterRef("pk")),
        )
        .order_by("code")
    )
    return [Share(fund.pk, fund.name, fund.pledged, fund.received, fund.pledge_count) for fund in funds]


def received_by_day(campaign: Campaign) -> list[tuple[datetime.date, int]]:
    """`(day, amount received that day)` for each day with money in, oldest first (one query)."""
    rows = (
        CampaignTally.objects.filter(campaign=campaign).order_by().values("day").annotate(total=Sum("received"))
        .filter(total__gt=0).order_by("day").values_list("day", "total")
    )
    return list(rows)


def honor_roll_rows(campaign: Campaign) -> QuerySet:
    """The bảng vàng as rows `(anonymous, shown_name, donor_kind, amount)`, most money received
    first, read along an index of the donors' running totals (`CampaignDonorTally`); the same rows
    as `honor_roll_rows_recount`, which states the rule."""
    return (
        CampaignDonorTally.objects.filter(campaign=campaign, honor_total__gt=0)
        .order_by("-honor_total", "first_payment")
        .annotate(shown_name=Case(When(anonymous=False, then=F("donor__name")), default=Value(""), output_field=CharField()))
        .values_list("anonymous", "shown_name", "donor__kind", "honor_total")
    )


def campaign_figures(campaign: Campaign, *, recount: bool = False) -> dict:
    """Every public figure of the campaign, from the running totals or (`recount`) summed afresh
    over every pledge and payment: the two must be equal (`manage.py campaign_tallies --check`)."""
    with_progress = campaigns_with_progress_recount if recount else campaigns_with_progress
    totals = with_progress(Campaign.objects.filter(pk=campaign.pk)).get()
    funds = (progress_by_fund_recount if recount else progress_by_fund)(campaign)
    return {
        "pledged": totals.pledged,
        "received": totals.received,
        "donor_count": totals.donor_count,
        "funds": [(share.key, share.pledged, share.received, share.pledge_count) for share in funds],
        "days": (received_by_day_recount if recount else received_by_day)(campaign),
        "honor_roll": [tuple(row) for row in (honor_roll_rows_recount if recount else honor_roll_rows)(campaign)],
    }


def open_campaigns() -> QuerySet:
    return campaigns_with_progress(Campaign.objects.filter(status=Campaign.Status.OPEN)).select_related("unit")


def public_campaign(slug: str) -> Campaign | None:
    """An open or closed campaign with its progress (drafts are not public), or None."""
    return (
        campaigns_with_progress(Campaign.objects.filter(slug=slug).filter(~Q(status=Campaign.Status.DRAFT)))
        .select_related("unit", "default_fund")
        .first()
    )


def tally_mismatches(campaigns: QuerySet | None = None) -> list[tuple[Campaign, str, object, object]]:
    """`(campaign, figure, from the running totals, recounted)` for every public figure where the
    two differ; empty when the totals are right. The auditor's check (`manage.py campaign_tallies`)."""
    mismatches = []
    for campaign in (Campaign.objects.all() if campaigns is None else campaigns).order_by("pk"):
        kept, recounted = campaign_figures(campaign), campaign_figures(campaign, recount=True)
        mismatches += [(campaign, name, kept[name], recounted[name]) for name in kept if kept[name] != recounted[name]]
    return mismatches

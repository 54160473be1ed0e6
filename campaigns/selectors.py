"""Reads of campaigns beyond a plain filter."""

from __future__ import annotations

from fundmgr.core import sql_rows
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit

from .models import Campaign


def campaign_with_unit(slug: str) -> Campaign | None:
    """The campaign of `slug`, whatever its status, with its unit: `select_related("unit")` written
    as SQL, since every pledge POST of the API asks it. Who may see it is not decided here: the
    pledge POST finds it through `donations.selectors.campaign_for_money`, which is."""
    found = sql_rows.with_parents(
        (Campaign, "campaign"), [("campaign", "unit", OrgUnit, "unit")],
        f"{sql_rows.column(Campaign, 'campaign', 'slug')} = %s", [slug],
    )
    return found[0] if found else None


def campaign_public(slug: str) -> Campaign | None:
    """The campaign of `slug` unless it is a draft, with its unit and its default fund: what the
    pledge form needs. `select_related` written as SQL: every pledge POST of the form asks it,
    and the ORM's compilation of the two joins cost three times the lookup."""
    found = sql_rows.with_parents(
        (Campaign, "campaign"),
        [("campaign", "unit", OrgUnit, "unit"), ("campaign", "default_fund", Fund, "fund")],
        f"{sql_rows.column(Campaign, 'campaign', 'slug')} = %s AND {sql_rows.column(Campaign, 'campaign', 'status')} <> %s",
        [slug, Campaign.Status.DRAFT],
    )
    return found[0] if found else None

"""Reads of campaigns beyond a plain filter."""

from __future__ import annotations

from fundmgr.core import sql_rows
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit

from .models import Campaign


def campaign_with_unit(slug: str) -> Campaign | None:
    """The campaign of `slug`, whatever its status, with its unit: `select_related("unit")` written
    as SQL, since every pledge POST of the API asks it. Who may see it is the caller's check (the
    API's scope, `fundmgr.orgs.scoping.user_has_role` on its unit)."""
    aliased = ((Campaign, "campaign"), (OrgUnit, "unit"))
    sql = (
        f"SELECT {sql_rows.columns(aliased)} FROM {sql_rows.table(Campaign, 'campaign')} "
        f"INNER JOIN {sql_rows.table(OrgUnit, 'unit')} "
        f"ON {sql_rows.column(OrgUnit, 'unit', 'id')} = {sql_rows.column(Campaign, 'campaign', 'unit')} "
        f"WHERE {sql_rows.column(Campaign, 'campaign', 'slug')} = %s"
    )
    for campaign, unit in sql_rows.instances(sql, [slug], aliased):
        campaign.unit = unit
        return campaign
    return None


def campaign_public(slug: str) -> Campaign | None:
    """The campaign of `slug` unless it is a draft, with its unit and its default fund: what the
    pledge form needs. `select_related` written as SQL: every pledge POST of the form asks it,
    and the ORM's compilation of the two joins cost three times the lookup."""
    aliased = ((Campaign, "campaign"), (OrgUnit, "unit"), (Fund, "fund"))
    sql = (
        f"SELECT {sql_rows.columns(aliased)} FROM {sql_rows.table(Campaign, 'campaign')} "
        f"INNER JOIN {sql_rows.table(OrgUnit, 'unit')} "
        f"ON {sql_rows.column(OrgUnit, 'unit', 'id')} = {sql_rows.column(Campaign, 'campaign', 'unit')} "
        f"INNER JOIN {sql_rows.table(Fund, 'fund')} "
        f"ON {sql_rows.column(Fund, 'fund', 'id')} = {sql_rows.column(Campaign, 'campaign', 'default_fund')} "
        f"WHERE {sql_rows.column(Campaign, 'campaign', 'slug')} = %s "
        f"AND {sql_rows.column(Campaign, 'campaign', 'status')} <> %s"
    )
    for campaign, unit, fund in sql_rows.instances(sql, [slug, Campaign.Status.DRAFT], aliased):
        campaign.unit, campaign.default_fund = unit, fund
        return campaign
    return None

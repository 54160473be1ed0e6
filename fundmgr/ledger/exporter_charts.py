"""The chart of the fund statement's PDF: money in and out of the chosen fund by month."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from fundmgr.core.exporting import ExportRequest

from .selectors import fund_money_by_month

MONTHS_MOST = 24  # a longer period would squeeze the bars into lines


def fund_statement_chart(request: ExportRequest) -> dict | None:
    """Bars of money in and out by month of the one fund chosen (none: no chart), up to `date_to`."""
    fund = request.params.get("fund")
    if fund is None or (request.unit_ids is not None and fund.unit_id not in request.unit_ids):
        return None
    until = request.params.get("date_to") or timezone.localdate()
    start = request.params.get("date_from")
    months = 12 if start is None else (until.year - start.year) * 12 + until.month - start.month + 1
    flows = fund_money_by_month(fund, until=until, months=max(1, min(months, MONTHS_MOST)))
    return {
        "kind": "bars",
        "title": gettext("Thu chi theo tháng: %(fund)s") % {"fund": f"{fund.code} {fund.name}"},
        "labels": [f"{flow.month.month:02d}/{flow.month.year}" for flow in flows],
        "series": [
            (gettext("Tiền thu"), [flow.money_in for flow in flows]),
            (gettext("Tiền chi"), [flow.money_out for flow in flows]),
        ],
    }

"""The chart of the campaign report's PDF: money received against the goal."""

from __future__ import annotations

from django.utils.translation import gettext

from fundmgr.core.exporting import ExportRequest

from .progress import campaign_progress


def campaign_report_chart(request: ExportRequest) -> dict | None:
    """A progress bar of what the campaign received against its goal (none outside the scope)."""
    campaign = request.params["campaign"]
    if request.unit_ids is not None and campaign.unit_id not in request.unit_ids:
        return None
    progress = campaign_progress(campaign)
    return {
        "kind": "progress",
        "title": gettext("Đã nhận so với mục tiêu: %(campaign)s") % {"campaign": campaign.name},
        "value": progress.received,
        "goal": progress.goal,
    }

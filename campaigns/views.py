"""Public campaign pages: the list of open campaigns and one campaign's progress and honor roll."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import selectors
from .charts import received_chart_svg
from .models import Campaign


@require_http_methods(["GET", "HEAD"])
def campaign_list(request):
    campaigns = list(selectors.open_campaigns())  # one query, totals included
    return render(
        request,
        "campaigns/campaign_list.html",
        {"campaigns": [(campaign, selectors.campaign_progress(campaign)) for campaign in campaigns]},
    )


def _page_number(request) -> int:
    """`?page=` of the honor roll, from 1. What is not a number ("", "abc", "-1", "²") is page 1,
    and so is "0"; a number past the end of the roll, however large, finds no page (404)."""
    value = request.GET.get("page", "")
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > 9:  # no roll is that long; and int() of a huge string is slow, or refused
        return selectors.HONOR_ROLL_MAX_PAGE + 1
    return max(int(value), 1)


@require_http_methods(["GET", "HEAD"])
def campaign_detail(request, slug):
    campaign = selectors.public_campaign(slug)
    if campaign is None:
        raise Http404
    honor_roll = selectors.honor_roll(campaign, page=_page_number(request))
    if honor_roll is None:
        raise Http404  # a page of the honor roll past its end
    days = selectors.received_by_day(campaign)
    today = timezone.localdate()
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "is_open": campaign.status == Campaign.Status.OPEN,
            "progress": selectors.campaign_progress(campaign),
            "funds": selectors.progress_by_fund(campaign),
            "chart": received_chart_svg(days, start=campaign.starts_on, end=min(campaign.ends_on, today)),
            "days_with_money": days,
            "honor_roll": honor_roll,
        },
    )

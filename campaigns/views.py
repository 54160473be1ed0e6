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


@require_http_methods(["GET", "HEAD"])
def campaign_detail(request, slug):
    campaign = selectors.public_campaign(slug)
    if campaign is None:
        raise Http404
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
            "honor_roll": selectors.honor_roll(campaign),
        },
    )

"""The money-in panels of the admin's home (`fundmgr.adminkit.home`): the bank lines and overdue
pledges waiting for a treasurer, and the running campaigns against their goals.

Each costs a fixed number of queries: two COUNTs, and one annotated list of at most
`CAMPAIGNS_SHOWN` campaigns.
"""

from django.utils.translation import gettext as _

from campaigns.models import Campaign
from donations import progress, selectors
from donations.models import BankStatementLine, Pledge
from fundmgr.adminkit.home import TODO, HomeItem, HomePanel, changelist_url, register_home_panels
from fundmgr.core.charts import progress_chart_svg
from fundmgr.core.money import format_vnd
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

CAMPAIGNS_SHOWN = 3


@register_home_panels
def money_panels(request) -> list[HomePanel]:
    user, panels = request.user, []
    if user_can(user, Action.CHANGE, Domain.MONEY):
        writers = roles_with(Action.CHANGE, Domain.MONEY)
        unmatched = scope_queryset(
            BankStatementLine.objects.filter(status=BankStatementLine.Status.UNMATCHED), user, "statement__unit",
            roles=writers,
        ).count()
        overdue = selectors.pledges_overdue(scope_queryset(Pledge.objects.all(), user, "campaign__unit", roles=writers))
        panels.append(HomePanel(key=TODO, title=_("Việc cần làm"), order=10, items=[
            HomeItem(_("dòng sao kê chờ đối soát"), unmatched,
                     changelist_url(BankStatementLine, status__exact=BankStatementLine.Status.UNMATCHED)),
            HomeItem(_("cam kết quá hạn"), overdue.count(), changelist_url(Pledge, overdue="yes")),
        ]))
    if user_can(user, Action.ADD, Domain.MONEY):
        running = scope_queryset(Campaign.objects.filter(status=Campaign.Status.OPEN), user, "unit",
                                 roles=roles_with(Action.ADD, Domain.MONEY))
        campaigns = list(progress.campaigns_with_progress(running).order_by("-starts_on", "pk")[:CAMPAIGNS_SHOWN])
        rows, charts = [], []
        for number, campaign in enumerate(campaigns):
            totals = progress.campaign_progress(campaign)
            share = f"{totals.received * 100 // totals.goal} %" if totals.goal > 0 else "–"
            rows.append([campaign.name, format_vnd(totals.received), format_vnd(totals.goal), share])
            charts.append(progress_chart_svg(
                title=_("Tiền đã nhận của %(campaign)s so với mục tiêu") % {"campaign": campaign.name},
                received=totals.received, goal=totals.goal, pledged=totals.pledged, dom_id=f"home-campaign-{number}",
            ))
        panels.append(HomePanel(
            key="campaigns", title=_("Chiến dịch đang diễn ra"), order=20, charts=charts,
            header=[_("Chiến dịch"), _("Đã nhận"), _("Mục tiêu"), _("Đạt")], rows=rows,
            note="" if campaigns else _("Không có chiến dịch nào đang diễn ra."),
            link=(_("Mọi chiến dịch"), changelist_url(Campaign)),
        ))
    return panels

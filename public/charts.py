"""The campaign page's chart of money in over time, drawn by the kernel's chart kit
(`fundmgr.core.charts`): inline SVG, no JavaScript, no `style` attributes (see the kit)."""

import datetime

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from fundmgr.core.charts import step_chart_svg


def received_chart_svg(days: list[tuple[datetime.date, int]], *, start: datetime.date, end: datetime.date) -> SafeString:
    """Cumulative money received from `start` to `end`, one step per day with money in.

    `days` is `selectors.received_by_day`; an empty list draws nothing (the template says so).
    The axis runs from the campaign's first day (or the first money, if earlier) to `end` (today,
    or the campaign's end).
    """
    if not days:
        return step_chart_svg(title="", steps=[], start_label="", end_label="")
    start = min(start, days[0][0])
    end = max(end, days[-1][0], start + datetime.timedelta(days=1))
    span = (end - start).days
    return step_chart_svg(
        title=_("Tiền đã nhận theo thời gian"),
        steps=[((day - start).days / span, amount) for day, amount in days],
        start_label=date_format(start, "SHORT_DATE_FORMAT"),
        end_label=date_format(end, "SHORT_DATE_FORMAT"),
    )

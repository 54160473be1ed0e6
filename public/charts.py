"""The campaign page's chart of money in over time, drawn as inline SVG on the server.

No JavaScript and no chart library from a CDN: the page works with scripts off and under a strict
Content-Security-Policy. The SVG uses presentation attributes and CSS classes from site.css, never
`style` attributes (CSP would block them).
"""

import datetime
from html import escape

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 400, 230  # small enough that 13-unit labels stay legible on a 360 px phone
LEFT, RIGHT, TOP, BOTTOM = 72, 10, 12, 30  # margins around the plot, for the axis labels


def _units():
    return ((10**9, _("%(number)s tỷ")), (10**6, _("%(number)s triệu")), (10**3, _("%(number)s nghìn")))


def _in_unit(amount: int, size: int, label: str) -> str:
    number = round(amount / size, 1)
    return label % {"number": number_format(int(number) if number == int(number) else number)}


def _axis_labels(top: int, steps: int) -> list[str]:
    """Labels of the ticks 0 … top, all in the unit of `top` ("0,5 triệu", not "500 nghìn" next to "1 triệu")."""
    size, label = next(((size, label) for size, label in _units() if top >= size), (1, "%(number)s"))
    return ["0"] + [_in_unit(top * step // steps, size, label) for step in range(1, steps + 1)]


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value`, so that axis ticks are round numbers."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return 10 * magnitude


def received_chart_svg(days: list[tuple[datetime.date, int]], *, start: datetime.date, end: datetime.date) -> SafeString:
    """Cumulative money received from `start` to `end`, one point per day with money in.

    `days` is `selectors.received_by_day`; an empty list draws nothing (the template says so).
    """
    if not days:
        return mark_safe("")  # nosec B308
    start = min(start, days[0][0])
    end = max(end, days[-1][0], start + datetime.timedelta(days=1))
    span = (end - start).days
    total = sum(amount for _day, amount in days)
    top = _nice_ceiling(total)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: datetime.date) -> float:
        return LEFT + plot_width * (day - start).days / span

    def y(amount: int) -> float:
        return TOP + plot_height * (1 - amount / top)

    # A step line: the running total stays flat between days with money in.
    points = [(x(start), y(0))]
    running = 0
    for day, amount in days:
        points.append((x(day), y(running)))
        running += amount
        points.append((x(day), y(running)))
    points.append((x(end), y(running)))  # flat until the end of the axis (today, or the campaign's end)
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    area = f"{LEFT:.1f},{y(0):.1f} {line} {points[-1][0]:.1f},{y(0):.1f}"

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(_("Tiền đã nhận theo thời gian"))}</title>',
    ]
    for step, label in enumerate(_axis_labels(top, 4)):  # horizontal grid lines and the amount axis
        amount = top * step // 4
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(amount):.1f}" y2="{y(amount):.1f}"/>')
        parts.append(
            f'<text class="chart-label" x="{LEFT - 6}" y="{y(amount) + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    for day in (start, end):  # the date axis: first and last day of the campaign
        anchor = "start" if day == start else "end"
        parts.append(
            f'<text class="chart-label" x="{x(day):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">'
            f"{escape(date_format(day, 'SHORT_DATE_FORMAT'))}</text>"
        )
    parts.append(f'<polygon class="chart-area" points="{area}"/>')
    parts.append(f'<polyline class="chart-line" points="{line}"/>')
    parts.append("</svg>")
    # Safe: the markup is ours, the numbers are formatted floats, and every text is escaped above.
    return mark_safe("".join(parts))  # nosec B308 B703

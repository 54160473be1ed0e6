"""Charts drawn on the server as inline SVG: the one chart drawer of the project.

Design
------
- No JavaScript and no chart library from a CDN: a chart is markup in the page, so it works with
  scripts off, under the strict Content-Security-Policy, and in a PDF renderer that reads SVG.
- No `style` attributes (the CSP blocks them): geometry goes in presentation attributes (`x`,
  `width`, `text-anchor` …), looks in CSS classes (`chart-*`), styled by `static/css/charts.css`,
  which the public pages and the admin pages that show a chart both load.
- Every text is escaped here: labels may be a fund's or a campaign's name, typed by a person.
- Amounts on a chart are short (`1,5 tỷ`, `500 triệu`: `short_vnd`); exact amounts, as
  `1.500.000.000 ₫`, are in each bar's tooltip (`<title>`), which screen readers also read.
- Three drawings: a running total over time (`step_chart_svg`, the public campaign page), bars of
  several series by category (`bar_chart_svg`, a fund's money in and out by month) and a progress
  bar against a goal (`progress_chart_svg`, a campaign's money received).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .money import format_vnd

# Small enough that 13-unit labels stay legible on a 360 px phone.
WIDTH, HEIGHT = 400, 230
LEFT, RIGHT, TOP, BOTTOM = 72, 10, 12, 30  # margins around the plot, for the axis labels
AXIS_STEPS = 4


def _units():
    return ((10**9, _("%(number)s tỷ")), (10**6, _("%(number)s triệu")), (10**3, _("%(number)s nghìn")))


def short_vnd(amount: int, *, unit_of: int | None = None) -> str:
    """An amount for a chart: 1.500.000.000 → "1,5 tỷ", 500.000.000 → "500 triệu", 800 → "800".

    One decimal at most, in the language's number format. The unit is the one of `unit_of` when
    given, so that the labels of one axis share a unit ("0,5 triệu" next to "1 triệu", not
    "500 nghìn").
    """
    reference = abs(amount if unit_of is None else unit_of)
    for size, label in _units():
        if reference >= size:
            number = round(amount / size, 1)
            return label % {"number": number_format(int(number) if number == int(number) else number)}
    return number_format(amount)


def axis_top(value: int) -> int:
    """The top of an amount axis of `AXIS_STEPS` steps at or above `value`, each step 1, 2 or 5 × 10^n,
    so that every tick is a round number in the unit of the top (2,77 tỷ → 0, 1, 2, 3, 4 tỷ; never
    the 1,25-tỷ steps of a 5-tỷ top, which read "1,2 tỷ" and "3,8 tỷ")."""
    needed = max(value, 1)
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude * AXIS_STEPS >= needed:
                return step * magnitude * AXIS_STEPS
        magnitude *= 10


@dataclass(frozen=True)
class Frame:
    """The drawing area: a viewBox and the margins that leave room for the axis labels."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


def _svg_open(frame: Frame, title: str, dom_id: str, css_class: str = "chart") -> list[str]:
    return [
        f'<svg class="{css_class}" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'aria-labelledby="{escape(dom_id)}-title">',
        f'<title id="{escape(dom_id)}-title">{escape(title)}</title>',
    ]


def _svg_close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Safe: the markup is ours, the numbers are formatted here, and every text is escaped.
    return mark_safe("".join(parts))  # nosec B308 B703


def _amount_axis(frame: Frame, top: int, y) -> list[str]:
    """Horizontal grid lines and the amount labels 0 … `top`, all in the unit of `top`."""
    parts = []
    for step in range(AXIS_STEPS + 1):
        amount = top * step // AXIS_STEPS
        label = short_vnd(amount, unit_of=top) if step else "0"
        parts.append(
            f'<line class="chart-grid" x1="{frame.left}" x2="{frame.width - frame.right}" '
            f'y1="{y(amount):.1f}" y2="{y(amount):.1f}"/>'
        )
        parts.append(
            f'<text class="chart-label" x="{frame.left - 6}" y="{y(amount) + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    return parts


def _scale(frame: Frame, top: int):
    def y(amount: int) -> float:
        return frame.top + frame.plot_height * (1 - amount / top)

    return y


def step_chart_svg(
    *, title: str, steps: Sequence[tuple[float, int]], start_label: str, end_label: str, dom_id: str = "chart",
) -> SafeString:
    """A running total drawn as a step line with the area under it.

    `steps` are `(position, amount added there)`, oldest first, the position a fraction 0 … 1 of
    the time axis; the total stays flat between steps and until the end of the axis. The axis
    is labelled at its two ends. No steps, no chart (an empty string: the page says so in words).
    """
    if not steps:
        return mark_safe("")  # nosec B308
    frame = Frame()
    top = axis_top(sum(amount for _position, amount in steps))
    y = _scale(frame, top)

    def x(position: float) -> float:
        return frame.left + frame.plot_width * position

    points = [(x(0), y(0))]
    running = 0
    for position, amount in steps:
        points.append((x(position), y(running)))
        running += amount
        points.append((x(position), y(running)))
    points.append((x(1), y(running)))
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    area = f"{frame.left:.1f},{y(0):.1f} {line} {points[-1][0]:.1f},{y(0):.1f}"

    parts = _svg_open(frame, title, dom_id)
    parts.extend(_amount_axis(frame, top, y))
    for position, label, anchor in ((0, start_label, "start"), (1, end_label, "end")):
        parts.append(
            f'<text class="chart-label" x="{x(position):.1f}" y="{frame.height - 10}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    parts.append(f'<polygon class="chart-area" points="{area}"/>')
    parts.append(f'<polyline class="chart-line" points="{line}"/>')
    return _svg_close(parts)


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: its name (legend and tooltips), one value per category, and
    the CSS class that colours its bars (`chart-bar--in`, `chart-bar--out` in charts.css)."""

    label: str
    values: Sequence[int]
    css_class: str


BAR_FRAME = Frame(width=720, height=250, left=72, right=10, top=34, bottom=26)


def bar_chart_svg(
    *, title: str, categories: Sequence[str], series: Sequence[Series], dom_id: str = "chart",
) -> SafeString:
    """Bars side by side for each category (a month), one per series, with a legend on top.

    Negative values draw as nothing (a bar chart of flows has none). Each bar carries its exact
    amount in a `<title>`; a category without money still shows its label, so gaps are visible.
    """
    frame = BAR_FRAME
    top = axis_top(max((value for one in series for value in one.values), default=0))
    y = _scale(frame, top)
    slot = frame.plot_width / max(len(categories), 1)
    bar_width = slot * 0.8 / max(len(series), 1)

    parts = _svg_open(frame, title, dom_id)
    parts.extend(_amount_axis(frame, top, y))
    legend_x = frame.left
    for one in series:  # the legend: a swatch and the series' name
        parts.append(f'<rect class="chart-bar {escape(one.css_class)}" x="{legend_x}" y="8" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{legend_x + 18}" y="19">{escape(one.label)}</text>')
        legend_x += 18 + 9 * len(one.label) + 24
    for index, category in enumerate(categories):
        slot_left = frame.left + slot * index
        for number, one in enumerate(series):
            value = max(one.values[index], 0)
            bar_left = slot_left + slot * 0.1 + bar_width * number
            parts.append(
                f'<rect class="chart-bar {escape(one.css_class)}" x="{bar_left:.1f}" y="{y(value):.1f}" '
                f'width="{bar_width:.1f}" height="{y(0) - y(value):.1f}">'
                f"<title>{escape(f'{one.label} {category}: {format_vnd(value)}')}</title></rect>"
            )
        parts.append(
            f'<text class="chart-label" x="{slot_left + slot / 2:.1f}" y="{frame.height - 8}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    return _svg_close(parts)


PROGRESS_FRAME = Frame(width=640, height=60, left=0, right=0, top=4, bottom=28)  # drawn near 1:1 in the admin


def progress_chart_svg(
    *, title: str, received: int, goal: int, pledged: int | None = None, dom_id: str = "chart",
) -> SafeString:
    """A bar of the money received against a goal (the track), with what was pledged behind it.

    The bar stops at the end of the track when the goal is passed; the percentage below it does
    not (120 % is worth saying). A goal of zero draws an empty track.
    """
    frame = PROGRESS_FRAME

    def width(amount: int | None) -> float:
        if not amount or goal <= 0:
            return 0.0
        return frame.plot_width * min(max(amount, 0), goal) / goal

    percent = received * 100 // goal if goal > 0 else 0
    height = frame.plot_height
    parts = _svg_open(frame, title, dom_id, css_class="chart chart--progress")
    parts.append(
        f'<rect class="chart-track" x="{frame.left}" y="{frame.top}" width="{frame.plot_width}" height="{height}"/>'
    )
    if pledged is not None:
        parts.append(
            f'<rect class="chart-pledged" x="{frame.left}" y="{frame.top}" width="{width(pledged):.1f}" height="{height}">'
            f"<title>{escape(_('Đã cam kết %(amount)s') % {'amount': format_vnd(pledged)})}</title></rect>"
        )
    parts.append(
        f'<rect class="chart-received" x="{frame.left}" y="{frame.top}" width="{width(received):.1f}" height="{height}">'
        f"<title>{escape(_('Đã nhận %(amount)s') % {'amount': format_vnd(received)})}</title></rect>"
    )
    # Below the bar, a legend that is also the figures: a swatch of each bar and what it stands
    # for, left to right, then the goal at the right end.
    legend = [("chart-received", _("Đã nhận %(amount)s (%(percent)s %%)") % {
        "amount": short_vnd(received), "percent": percent,
    })]
    if pledged is not None:
        legend.append(("chart-pledged", _("Đã cam kết %(amount)s") % {"amount": short_vnd(pledged)}))
    baseline = frame.height - 10
    legend_x = frame.left
    for css_class, text in legend:
        parts.append(f'<rect class="{css_class}" x="{legend_x}" y="{baseline - 10}" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{legend_x + 18}" y="{baseline}">{escape(text)}</text>')
        legend_x += 18 + 8 * len(text) + 24
    goal_text = _("Mục tiêu %(amount)s") % {"amount": short_vnd(goal)}
    parts.append(
        f'<text class="chart-label" x="{frame.width - frame.right}" y="{baseline}" text-anchor="end">'
        f"{escape(goal_text)}</text>"
    )
    return _svg_close(parts)

"""The chart kit (fundmgr/core/charts.py): short amounts, bars, progress, escaping, and no style attribute."""

import re
from html import unescape

import pytest
from django.utils import translation

from fundmgr.core.charts import (
    AXIS_STEPS,
    Series,
    axis_top,
    bar_chart_svg,
    progress_chart_svg,
    short_vnd,
    step_chart_svg,
)


@pytest.mark.parametrize(("amount", "unit_of", "vietnamese", "english"), [
    (1_500_000_000, None, "1,5 tỷ", "1.5 billion"),
    (500_000_000, None, "500 triệu", "500 million"),
    (2_000_000_000, None, "2 tỷ", "2 billion"),
    (45_000, None, "45 nghìn", "45 thousand"),
    (800, None, "800", "800"),
    (500_000, 1_000_000, "0,5 triệu", "0.5 million"),  # one axis, one unit
    (1_234_567_890, None, "1,2 tỷ", "1.2 billion"),
])
def test_short_amounts(amount, unit_of, vietnamese, english):
    with translation.override("vi"):
        assert short_vnd(amount, unit_of=unit_of) == vietnamese
    with translation.override("en"):
        assert short_vnd(amount, unit_of=unit_of) == english


@pytest.mark.parametrize(("value", "top"), [
    (0, 4), (1, 4), (7, 8), (150, 200), (2_100, 4_000), (5_500_000, 8_000_000),
    (1_250_000_000, 2_000_000_000), (2_771_425_000, 4_000_000_000), (4_100_000_000, 8_000_000_000),
])
def test_axis_top(value, top):
    assert axis_top(value) == top


@pytest.mark.parametrize("value", [1, 7, 150, 2_100, 740_000, 5_500_000, 123_456_789, 1_250_000_000, 2_771_425_000,
                                   4_100_000_000, 37_000_000_000])
def test_every_tick_of_an_amount_axis_is_a_round_number_in_its_unit(value):
    # Issue #16: the campaign chart read "1,2 tỷ" and "3,8 tỷ" (a 5-tỷ top in four steps).
    top = axis_top(value)
    ticks = [top * step // AXIS_STEPS for step in range(1, AXIS_STEPS + 1)]
    with translation.override("vi"):
        labels = [short_vnd(tick, unit_of=top) for tick in ticks]
    for tick, label in zip(ticks, labels, strict=True):
        number = label.split()[0].replace(".", "").replace(",", ".")
        unit = {"tỷ": 10**9, "triệu": 10**6, "nghìn": 10**3}.get(label.split()[-1], 1)
        assert round(float(number) * unit) == tick, (value, labels)


def rects(svg: str, css_class: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(rf'<rect class="chart-bar {css_class}"[^>]*>', svg)]


def test_bar_chart_draws_a_bar_per_series_and_category_with_exact_amounts_in_tooltips():
    with translation.override("vi"):
        svg = bar_chart_svg(
            title="Tiền vào và tiền ra",
            categories=["1/26", "2/26", "3/26"],
            series=[Series("Tiền vào", [1_250_000_000, 0, 45_000_000], "chart-bar--in"),
                    Series("Tiền ra", [0, 600_000_000, 0], "chart-bar--out")],
            dom_id="fund-chart",
        )
    assert svg.startswith('<svg class="chart" viewBox="0 0 720 250" role="img" aria-labelledby="fund-chart-title">')
    assert '<title id="fund-chart-title">Tiền vào và tiền ra</title>' in svg
    money_in, money_out = rects(svg, "chart-bar--in"), rects(svg, "chart-bar--out")
    assert len(money_in) == len(money_out) == 1 + 3  # the legend's swatch, then one bar per month
    # The axis tops out at a round 2 tỷ: 1,25 tỷ is 62.5 % of the plot's 190 units of height.
    assert [float(bar["height"]) for bar in money_in[1:]] == [118.8, 0.0, 4.3]
    assert [float(bar["height"]) for bar in money_out[1:]] == [0.0, 57.0, 0.0]
    text = unescape(svg)
    for label in ("0", "0,5 tỷ", "1 tỷ", "1,5 tỷ", "2 tỷ", "1/26", "2/26", "3/26", "Tiền vào", "Tiền ra"):
        assert f">{label}</text>" in text
    assert "<title>Tiền vào 1/26: 1.250.000.000\u00a0₫</title>" in text
    assert "<title>Tiền ra 2/26: 600.000.000\u00a0₫</title>" in text
    assert "style=" not in svg


def test_texts_are_escaped():
    evil = '<script>alert("x")</script> & "Quỹ"'
    svgs = [
        bar_chart_svg(title=evil, categories=[evil], series=[Series(evil, [1_000], "chart-bar--in")], dom_id="a"),
        progress_chart_svg(title=evil, received=1, goal=2, pledged=1),
        step_chart_svg(title=evil, steps=[(0.5, 1_000)], start_label=evil, end_label=evil),
    ]
    for svg in svgs:
        assert "<script>" not in svg
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Quỹ&quot;" in svg


def test_progress_chart_received_against_the_goal():
    with translation.override("vi"):
        svg = progress_chart_svg(title="Tiến độ", received=1_500_000_000, goal=6_000_000_000, pledged=3_000_000_000)
    bars = re.findall(r'<rect class="chart-(\w+)"[^>]*width="([\d.]+)" height="28"', svg)
    assert [(name, float(width)) for name, width in bars] == [("track", 640.0), ("pledged", 320.0), ("received", 160.0)]
    text = unescape(svg)
    assert ">Đã nhận 1,5 tỷ (25 %)</text>" in text
    assert ">Mục tiêu 6 tỷ</text>" in text
    assert "<title>Đã cam kết 3.000.000.000\u00a0₫</title>" in text  # exact in the tooltip, short in the legend
    assert ">Đã cam kết 3 tỷ</text>" in text
    with translation.override("en"):
        assert ">Received 1.5 billion (25 %)</text>" in unescape(
            progress_chart_svg(title="Progress", received=1_500_000_000, goal=6_000_000_000)
        )


def test_progress_past_the_goal_fills_the_track_and_says_how_far():
    with translation.override("vi"):
        svg = progress_chart_svg(title="Tiến độ", received=7_200_000_000, goal=6_000_000_000)
    assert re.search(r'<rect class="chart-received"[^>]*width="640.0"', svg)
    assert "(120 %)" in svg
    assert "chart-pledged" not in svg


def test_a_step_chart_without_steps_is_empty():
    assert step_chart_svg(title="x", steps=[], start_label="", end_label="") == ""

"""PDF for the short statements: an A4 table with the report's title, a chart, page numbers.

The fonts are DejaVu Sans shipped in `fonts/` (never the machine's), registered once per process
and embedded as subsets with a ToUnicode map, so Vietnamese prints and `pdftotext` reads it back;
the receipt PDF (`receipts.pdf`) uses the same registration.

A PDF holds the whole table in memory while it is laid out, so only exporters that say
`pdf=True` (a fund statement, a trial balance, a campaign's report: tens of rows) may be written
as PDF; `export_write` refuses the others. `exporting.write_pdf` counts and hashes; this module
only lays out text.

A chart is plain data given by the exporter's `pdf_chart(request)`:
  {"kind": "bars", "title": ..., "labels": [...], "series": [(name, [amounts...]), ...]}
  {"kind": "progress", "title": ..., "value": received, "goal": goal, "label": ...}
and drawn with reportlab's own graphics (`chart_drawing`), no SVG conversion.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from .charts import short_vnd

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
MONEY_IN, MONEY_OUT = colors.Color(0.16, 0.5, 0.3), colors.Color(0.75, 0.3, 0.2)


@cache
def fonts_register() -> None:
    """Register DejaVu Sans from the repository once per process (reportlab keeps it globally)."""
    for name, file_name in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf"), (ITALIC, "DejaVuSans-Oblique.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / file_name)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def chart_drawing(chart: dict, width: float) -> Drawing:
    """The chart `chart` (see the module's docstring) as a reportlab drawing `width` points wide."""
    fonts_register()
    if chart["kind"] == "progress":
        drawing = Drawing(width, 46)
        goal, value = max(int(chart["goal"]), 0), int(chart["value"])
        share = min(1.0, value / goal) if goal else 0.0
        drawing.add(String(0, 34, str(chart.get("title", "")), fontName=BOLD, fontSize=9))
        drawing.add(Rect(0, 12, width, 14, fillColor=colors.Color(0.9, 0.9, 0.9), strokeColor=None))
        drawing.add(Rect(0, 12, width * share, 14, fillColor=MONEY_IN, strokeColor=None))
        caption = f"{short_vnd(value)} / {short_vnd(goal)} ({int(share * 100)}%)"
        drawing.add(String(0, 0, caption, fontName=REGULAR, fontSize=8))
        return drawing
    labels, series = list(chart["labels"]), list(chart["series"])
    drawing = Drawing(width, 170)
    drawing.add(String(0, 158, str(chart.get("title", "")), fontName=BOLD, fontSize=9))
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 60, 30, width - 70, 110
    bars.data = [list(values) for _name, values in series] or [[0]]
    top = max([max(values, default=0) for values in bars.data] + [1])
    bars.valueAxis.valueMin = 0
    bars.valueAxis.labelTextFormat = lambda amount: short_vnd(int(amount), unit_of=top) if amount else "0"
    bars.valueAxis.labels.fontName = REGULAR
    bars.valueAxis.labels.fontSize = 7
    bars.categoryAxis.categoryNames = [str(label) for label in labels]
    bars.categoryAxis.labels.fontName = REGULAR
    bars.categoryAxis.labels.fontSize = 7
    for index, colour in enumerate((MONEY_IN, MONEY_OUT)[: len(bars.data)]):
        bars.bars[index].fillColor = colour
        bars.bars[index].strokeColor = None
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = width - 160, 160, REGULAR, 8
    legend.alignment, legend.columnMaximum, legend.deltax = "right", 1, 70
    legend.colorNamePairs = [(colour, str(name)) for colour, (name, _values) in zip((MONEY_IN, MONEY_OUT), series, strict=False)]
    drawing.add(legend)
    return drawing


def pdf_table(labels: Sequence[str], rows: Iterable[Sequence[str]], *, right: Sequence[int], title: str,
              chart: dict | None = None) -> bytes:
    """An A4 PDF (landscape past five columns) of `rows` (cells as text) under the header `labels`
    and `title`, with `chart` above the table, the columns `right` right-aligned, page numbers."""
    fonts_register()
    # Many columns (the trial balance's eight) fit only across the page.
    page = landscape(A4) if len(labels) > 5 else A4
    cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=7.5, leading=9)
    header_style = ParagraphStyle("header", parent=cell, fontName=BOLD)
    body = [[Paragraph(_escape(label), header_style) for label in labels]]
    # Text wraps in its cell (a Paragraph); numbers stay on one line.
    body += [[text if index in right else Paragraph(_escape(text), cell) for index, text in enumerate(row)] for row in rows]
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 7.5),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [("ALIGN", (index, 1), (index, -1), "RIGHT") for index in right]
    table = LongTable(body, repeatRows=1)
    table.setStyle(TableStyle(style))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
        title=title, invariant=1,
    )
    story = [Paragraph(_escape(title), ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18)), Spacer(0, 4 * mm)]
    if chart is not None:
        story += [chart_drawing(chart, document.width), Spacer(0, 4 * mm)]
    story.append(table)

    def page_number(canvas, doc):
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(page[0] - 15 * mm, 8 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

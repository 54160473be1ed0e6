"""The pieces of a Vietnamese accounting form drawn with reportlab: the unit top left, the form's
number top right, a centred title with its date, `label value` lines, a row of signatures, and a
red rubber stamp across a cancelled document.

The cash receipt (`receipts.pdf`, Mẫu 01-TT) and the scholarship payment voucher
(`scholarships.papers`, Mẫu 02-TT) are the same form with other words, so they draw with this one
layout. Text is DejaVu Sans from `fonts/` (`pdf_report.fonts_register`), normalised to NFC, so
`pdftotext` reads the Vietnamese back.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping, Sequence

from reportlab.lib.colors import Color, black
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .pdf_report import BOLD, ITALIC, REGULAR

GREY = Color(0.35, 0.35, 0.35)
STAMP_RED = Color(0.8, 0.05, 0.05, alpha=0.6)
NOTE_RED = Color(0.78, 0.1, 0.1)
# The form's legal basis, printed under its number (Thông tư 200/2014/TT-BTC; 133/2016 has the same forms).
REGULATION_LINES = ("(Ban hành theo Thông tư số 200/2014/TT-BTC", "ngày 22/12/2014 của Bộ Tài chính)")


def nfc(text: str) -> str:
    # Vietnamese typed on some keyboards arrives decomposed (a + combining marks); the font has
    # the precomposed letters, and pdftotext gives back what was drawn.
    return unicodedata.normalize("NFC", text or "")


def date_in_words(day: datetime.date) -> str:
    """`Ngày 25 tháng 11 năm 2026` (as a form writes its date)."""
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def wrap(text: str, font: str, size: float, first_width: float, width: float) -> list[str]:
    """Greedy word wrap: the first line has `first_width`, the others `width`; a word longer than
    a line is cut."""
    words = text.split()
    if not words:
        return [""]
    lines: list[str] = []
    current = ""
    limit = first_width
    for word in words:
        candidate = f"{current} {word}" if current else word
        if pdfmetrics.stringWidth(candidate, font, size) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
            limit = width
        while pdfmetrics.stringWidth(word, font, size) > limit:
            cut = len(word)
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > limit:
                cut -= 1
            lines.append(word[:cut])
            limit = width
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


class FormLayout:
    """Draws a form top-down on one page; `self.y` is the baseline of the next line.

    `large` is a portrait A4 page (more air); otherwise a landscape A5 half sheet.
    """

    MARGIN = 10 * mm

    def __init__(self, canvas: Canvas, page: tuple[float, float], *, large: bool):
        self.canvas = canvas
        self.width, self.height = page
        self.size = 11 if large else 9.5
        self.leading = (7.2 if large else 5.6) * mm
        self.gap = (5 if large else 2.2) * mm
        self.left = self.MARGIN
        self.right = self.width - self.MARGIN
        self.y = self.height - self.MARGIN - self.size

    # --- primitives ---------------------------------------------------------------------------
    def text(self, x, y, text, font=REGULAR, size=None, align="left", color=black):
        canvas = self.canvas
        canvas.setFillColor(color)
        canvas.setFont(font, size or self.size)
        text = nfc(text)
        if align == "center":
            canvas.drawCentredString(x, y, text)
        elif align == "right":
            canvas.drawRightString(x, y, text)
        else:
            canvas.drawString(x, y, text)

    def field(self, label: str, value: str, *, value_font=BOLD, dotted=True):
        """`label value`, the value wrapped onto following lines when long; dots when empty."""
        label = nfc(label) + " "
        value = nfc(value)
        label_width = pdfmetrics.stringWidth(label, REGULAR, self.size)
        self.text(self.left, self.y, label)
        x, available = self.left + label_width, self.right - self.left - label_width
        if not value and dotted:
            self.dots(x, self.y, self.right)
            self.y -= self.leading
            return
        for line in wrap(value, value_font, self.size, available, self.right - self.left):
            self.text(x, self.y, line, font=value_font)
            self.y -= self.leading
            x = self.left

    def dots(self, x0, y, x1):
        canvas = self.canvas
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.4)
        canvas.setDash(0.6, 1.8)
        canvas.line(x0, y - 1, x1, y - 1)
        canvas.restoreState()

    def attachments(self, attached: str):
        """`Kèm theo: … chứng từ gốc.`, dots for the count when nothing is named."""
        label = "Kèm theo:"
        attached = nfc(attached)
        self.text(self.left, self.y, label)
        suffix = "chứng từ gốc."
        x = self.left + pdfmetrics.stringWidth(label + " ", REGULAR, self.size)
        if attached:
            self.text(x, self.y, attached + " – " + suffix)
        else:
            self.dots(x, self.y, x + 30 * mm)
            self.text(x + 31 * mm, self.y, suffix)
        self.y -= self.leading

    # --- blocks ---------------------------------------------------------------------------------
    def unit_header(self, unit_name: str, unit_address: str, form_number: str | None):
        """The unit and its address top left, the form's number and its regulation top right
        (none for a document that is not one of the regulation's forms)."""
        top = self.y
        half = (self.right - self.left) * 0.58
        indent = max(pdfmetrics.stringWidth(label, REGULAR, self.size) for label in ("Đơn vị: ", "Địa chỉ: "))
        width = half - indent
        self.text(self.left, self.y, "Đơn vị:")
        for line in wrap(nfc(unit_name), BOLD, self.size, width, width)[:2]:
            self.text(self.left + indent, self.y, line, font=BOLD)
            self.y -= self.leading * 0.8
        self.text(self.left, self.y, "Địa chỉ:")
        for line in wrap(nfc(unit_address) or "…", REGULAR, self.size, width, width)[:2]:
            self.text(self.left + indent, self.y, line)
            self.y -= self.leading * 0.8
        center = self.right - 36 * mm
        small = self.size - 2
        if form_number:
            self.text(center, top, form_number, font=BOLD, align="center")
            for index, line in enumerate(REGULATION_LINES):
                self.text(center, top - small * (1.5 + 1.3 * index), line, font=ITALIC, size=small, align="center")
        self.y = min(self.y, top - small * 3.2) - self.gap

    def title_block(self, title: str, day: datetime.date, rows: Sequence[tuple[str, str]]):
        """The title and its date in the middle; `rows` (book, number, accounts) in a column at
        the right of the title."""
        center = self.width / 2
        title_size = self.size + 7
        self.y -= title_size * 0.6
        self.text(center, self.y, title, font=BOLD, size=title_size, align="center")
        block_top = self.y
        self.y -= self.leading
        self.text(center, self.y, date_in_words(day), font=ITALIC, align="center")
        step = self.leading * 0.82
        label_width = max(pdfmetrics.stringWidth(label + "  ", REGULAR, self.size) for label, _value in rows)
        value_width = max(pdfmetrics.stringWidth(nfc(value), BOLD, self.size) for _label, value in rows)
        x = self.right - label_width - max(value_width, 28 * mm)
        for offset, (label, value) in enumerate(rows):
            y = block_top - offset * step
            self.text(x, y, label)
            self.text(x + label_width, y, value, font=BOLD)
        self.y = min(self.y, block_top - (len(rows) - 1) * step) - self.leading * 0.9 - self.gap * 0.5

    def signature_row(self, day: datetime.date | None, signatures: Sequence[tuple[str, str]],
                      names: Mapping[int, str], *, space: float | None = None):
        """The date at the right, then one column per (title, hint), with `names` (column index →
        name) printed under the space left to sign."""
        if day is not None:
            self.text(self.right - 2 * mm, self.y, date_in_words(day), font=ITALIC, align="right")
            self.y -= self.leading * 0.9
        column = (self.right - self.left) / len(signatures)
        small = self.size - 1.5
        for index, (title, hint) in enumerate(signatures):
            center = self.left + column * (index + 0.5)
            self.text(center, self.y, title, font=BOLD, size=small, align="center")
            self.text(center, self.y - small * 1.3, hint, font=ITALIC, size=small - 1, align="center")
        if space is None:
            space = self.leading * (4.0 if self.height > self.width else 3.4)
        names_y = self.y - space
        lowest = names_y
        for index, name in names.items():
            if name:
                center = self.left + column * (index + 0.5)
                lines = wrap(nfc(name), REGULAR, small, column - 3 * mm, column - 3 * mm)[:2]
                for offset, line in enumerate(lines):
                    y = names_y - offset * small * 1.25
                    self.text(center, y, line, size=small, align="center")
                    lowest = min(lowest, y)
        self.y = lowest - self.leading * 1.2

    def stamp(self, *, big: str, lines: Sequence[str], center_y: float, big_size: float = 60):
        """A red rubber stamp across the form: `big` and `lines` in a frame, rotated. Opaque enough
        to be seen at a glance and on a photocopy, translucent enough that the form under it can
        still be read (a cancelled document stays a document of the books)."""
        canvas = self.canvas
        lines = [nfc(line) for line in lines]
        big = nfc(big)
        canvas.saveState()
        canvas.translate(self.width / 2, center_y)
        canvas.rotate(18)
        canvas.setFillColor(STAMP_RED)
        canvas.setStrokeColor(STAMP_RED)
        canvas.setFont(BOLD, big_size)
        canvas.drawCentredString(0, 0, big)
        canvas.setFont(BOLD, 11)
        for index, line in enumerate(lines):
            canvas.drawCentredString(0, -20 - index * 14, line)
        text_width = max(
            [pdfmetrics.stringWidth(big, BOLD, big_size)] + [pdfmetrics.stringWidth(line, BOLD, 11) for line in lines]
        )
        canvas.setLineWidth(3)
        bottom = -20 - (len(lines) - 1) * 14 - 10
        canvas.roundRect(-text_width / 2 - 10, bottom, text_width + 20, big_size - bottom, 8, stroke=1, fill=0)
        canvas.restoreState()

    def stamp_reason_lines(self, prefix: str, reason: str) -> list[str]:
        """The reason as at most two lines of the stamp (the foot of the page prints it whole)."""
        lines = wrap(nfc(f"{prefix}{reason}"), BOLD, 11, 118 * mm, 118 * mm)
        if len(lines) > 2:
            lines = [lines[0], lines[1][:-1] + "…"]
        return lines

    def foot_note(self, text: str, *, y: float):
        """A red line at the foot of the page (for readers and text extraction that skip rotated text)."""
        self.text(self.left, y, text[:150], font=BOLD, size=self.size - 1, color=NOTE_RED)

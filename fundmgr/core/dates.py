"""Plausible dates (the shared kernel): one rule for the date of a money document, one for a
student's birth date. The services call them, so the admin, the API, imports and forms all get
the same refusal with the same message.

- A document date (the day a payment was received, which also dates its receipt and journal
  entry and picks the receipt's numbering year) lies between `EARLIEST_DOCUMENT_DATE` and today.
  The earliest day is 1 January 1996, the year the Vietnam Study Promotion Association (Hội
  Khuyến học Việt Nam) was founded: no unit holds a receipt older than the association, while a
  unit that moves its books into this system may still enter every year it has. Anything
  earlier (0001-01-01, 1900, 1026 for 2026) is a typing slip, and would open a receipt series of
  a year that never had one.
- A birth date lies between `STUDENT_MAX_AGE_YEARS` (30) years ago and today. Scholarships go
  to pupils and to students of colleges and universities, mature students included; someone
  older than thirty is a slip of the year (1800, 1912 for 2012) far more often than a student.

"Today" is the date in the project's time zone (Asia/Ho_Chi_Minh), not the server's or UTC's:
at 06:30 in Hà Nội it is still yesterday in UTC.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST_DOCUMENT_DATE = datetime.date(1996, 1, 1)
STUDENT_MAX_AGE_YEARS = 30


def today() -> datetime.date:
    return timezone.localdate()


def _is_date(value) -> bool:
    # A datetime is a date in Python; a document carries a day, not an instant.
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def document_date_errors(day, *, label: str) -> list[ValidationError]:
    """Why `day` cannot date a money document ([] when it can); `label` names the date in the
    message ("Ngày nhận"): "<label> không được sau ngày hôm nay."."""
    if not _is_date(day):
        return [ValidationError(_("%(label)s không hợp lệ.") % {"label": label}, code="invalid_date")]
    if day > today():
        return [ValidationError(_("%(label)s không được sau ngày hôm nay.") % {"label": label}, code="date_in_future")]
    if day < EARLIEST_DOCUMENT_DATE:
        return [ValidationError(
            _("%(label)s không được trước ngày %(earliest)s.")
            % {"label": label, "earliest": f"{EARLIEST_DOCUMENT_DATE:%d/%m/%Y}"},
            code="date_too_early",
        )]
    return []


def birth_date_errors(day) -> list[ValidationError]:
    """Why `day` cannot be a student's birth date ([] when it can, or when it is not given)."""
    if day is None:
        return []
    if not _is_date(day):
        return [ValidationError(_("Ngày sinh không hợp lệ."), code="invalid_date")]
    if day > today():
        return [ValidationError(_("Ngày sinh không thể ở tương lai."), code="date_in_future")]
    earliest = years_before(today(), STUDENT_MAX_AGE_YEARS)
    if day < earliest:
        return [ValidationError(
            _("Ngày sinh phải từ ngày %(earliest)s trở về sau: học bổng dành cho người học không quá %(years)d tuổi.")
            % {"earliest": f"{earliest:%d/%m/%Y}", "years": STUDENT_MAX_AGE_YEARS},
            code="birth_date_too_early",
        )]
    return []

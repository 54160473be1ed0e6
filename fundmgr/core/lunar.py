"""The Vietnamese lunar calendar: Tết, the lunar year of a date, and the Can-Chi name of a year.

A campaign ("Tết khuyến học Xuân Ất Tỵ 2025") belongs to a lunar year, so the app needs the
first day of each lunar year *as observed in Vietnam*. A table copied from a Chinese calendar
is wrong for some years: Vietnam has computed its calendar at UTC+7 since 1968, China at UTC+8,
and a new moon or a solar term that falls between midnight at UTC+7 and midnight at UTC+8
moves a month boundary. Tết 1968 is 29 January in Vietnam and 30 January in China; Tết 1985 is
21 January in Vietnam and 20 February in China.

The algorithm is Hồ Ngọc Đức's, as published with his "Âm lịch Việt Nam" calendar
(https://www.informatik.uni-leipzig.de/~duc/amlich/ , rules explained in calrules_v02.html),
which takes the astronomy from Jean Meeus, "Astronomical Algorithms" (1998):

- a lunar month starts on the local day (UTC+7) of a new moon;
- month 11 is the month that contains the winter solstice;
- a lunar year with 13 months (13 new moons from one month 11 to the next) has a leap month:
  the first month after month 11 that contains no major solar term (trung khí), i.e. in which
  the sun's longitude does not cross a multiple of 30°.

The formulas approximate (errors of minutes), which is fine for whole days in 1900–2100; the
functions refuse years outside that range rather than pretend to be right there. Like Hồ Ngọc
Đức's converter, they use UTC+7 for every year; before 1968 the calendar in use in Vietnam
followed China's (UTC+8), so a date computed here for a year before 1968 may differ from the
one observed then. Campaign years are all later.
"""

import math
from datetime import date

from django.utils.translation import gettext as _

TIME_ZONE = 7.0  # hours east of UTC: the calendar of Vietnam
FIRST_YEAR, LAST_YEAR = 1900, 2100

SYNODIC_MONTH = 29.530588853  # mean length of a lunar month, in days
NEW_MOON_EPOCH = 2415021.076998695  # Julian day of the new moon of 1900-01-01 (k = 0)

CAN = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")
# Vietnamese zodiac: Mão is the cat (China: rabbit); Tỵ and Hợi are the usual spellings.
CHI = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")

# date.toordinal() counts 0001-01-01 as day 1; the Julian day number of that day is 1721426.
_JDN_OFFSET = 1721425


def _jdn(d: date) -> int:
    """Julian day number (proleptic Gregorian; only years 1900–2100 are used here)."""
    return d.toordinal() + _JDN_OFFSET


def _date(jdn: int) -> date:
    return date.fromordinal(jdn - _JDN_OFFSET)


def _new_moon(k: int) -> float:
    """Julian date (UTC) of the k-th new moon after the one of 1900-01-01 (Meeus, ch. 49)."""
    t = k / 1236.85  # Julian centuries since 1900-01-00.5
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)  # mean new moon
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3  # sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3  # moon's mean anomaly
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3  # moon's arg. of latitude
    c1 = (
        (0.1734 - 0.000393 * t) * math.sin(m * dr)
        + 0.0021 * math.sin(2 * dr * m)
        - 0.4068 * math.sin(mpr * dr)
        + 0.0161 * math.sin(dr * 2 * mpr)
        - 0.0004 * math.sin(dr * 3 * mpr)
        + 0.0104 * math.sin(dr * 2 * f)
        - 0.0051 * math.sin(dr * (m + mpr))
        - 0.0074 * math.sin(dr * (m - mpr))
        + 0.0004 * math.sin(dr * (2 * f + m))
        - 0.0004 * math.sin(dr * (2 * f - m))
        - 0.0006 * math.sin(dr * (2 * f + mpr))
        + 0.0010 * math.sin(dr * (2 * f - mpr))
        + 0.0005 * math.sin(dr * (2 * mpr + m))
    )
    # Difference between dynamical time and universal time (ΔT), in days.
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _sun_longitude(jd: float) -> float:
    """The sun's apparent longitude in degrees, in [0, 360), at Julian date jd (Meeus, ch. 25)."""
    t = (jd - 2451545.0) / 36525  # Julian centuries since 2000-01-01 12:00 UTC
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2  # mean anomaly
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2  # mean longitude
    dl = (
        (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
        + (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m)
        + 0.000290 * math.sin(dr * 3 * m)
    )
    return (l0 + dl) % 360


def new_moon_day(k: int) -> int:
    """Julian day number of the local (UTC+7) day on which the k-th new moon falls."""
    return math.floor(_new_moon(k) + 0.5 + TIME_ZONE / 24)


def _sun_sector(jdn: int) -> int:
    """Which 30° sector (0..11) the sun is in at local midnight starting day jdn.

    Sector 0 starts at the March equinox; the winter solstice starts sector 9. A month holds a
    major solar term when the sector at its start differs from the sector at the next month's.
    """
    return math.floor(_sun_longitude(jdn - 0.5 - TIME_ZONE / 24) / 30)


def _month_index(jdn: float) -> int:
    """Index k of the mean new moon on or before jdn; the true one may be k or k + 1."""
    return math.floor((jdn - NEW_MOON_EPOCH) / SYNODIC_MONTH)


def _lunar_month_11(year: int) -> int:
    """First day (JDN) of lunar month 11, the month holding the winter solstice of `year`."""
    k = math.floor((_jdn(date(year, 12, 31)) - 2415021) / SYNODIC_MONTH)
    start = new_moon_day(k)
    if _sun_sector(start) >= 9:  # that new moon is already past the solstice: one month back
        start = new_moon_day(k - 1)
    return start


def _leap_month_offset(a11: int) -> int:
    """Offset (in months after month 11 starting on a11) of the leap month of a 13-month year.

    The leap month is the first month in which the sun's sector does not change, i.e. the first
    month without a major solar term.
    """
    k = math.floor((a11 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5)
    i = 1
    sector = _sun_sector(new_moon_day(k + i))
    while True:
        previous = sector
        i += 1
        sector = _sun_sector(new_moon_day(k + i))
        if sector == previous or i >= 14:
            return i - 1


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        message = _(
            "Lịch âm chỉ tính được cho các năm từ %(first)d đến %(last)d, không tính được năm %(year)d."
        )
        raise ValueError(message % {"first": FIRST_YEAR, "last": LAST_YEAR, "year": year})


def tet_date(year: int) -> date:
    """The solar date of Tết Nguyên Đán (day 1 of month 1) of lunar `year`, in Vietnam."""
    _check_year(year)
    a11 = _lunar_month_11(year - 1)
    b11 = _lunar_month_11(year)
    k = math.floor((a11 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5)
    offset = 2  # month 1 is normally the second month after month 11
    if b11 - a11 > 365 and _leap_month_offset(a11) <= offset:  # a leap 11th or 12th month
        offset += 1
    return _date(new_moon_day(k + offset))


def lunar_year_of(d: date) -> int:
    """The lunar year a solar date falls in: the solar year, or the one before until Tết."""
    year = d.year
    return year if d >= tet_date(year) else year - 1


def solar_to_lunar(d: date) -> tuple[int, int, int, bool]:
    """The lunar date of solar date d in Vietnam, as (day, month, year, is_leap_month)."""
    _check_year(d.year)
    day_number = _jdn(d)
    k = _month_index(day_number)
    month_start = new_moon_day(k + 1)
    if month_start > day_number:
        month_start = new_moon_day(k)
    a11 = _lunar_month_11(d.year)
    b11 = a11
    if a11 >= month_start:
        lunar_year = d.year
        a11 = _lunar_month_11(d.year - 1)
    else:
        lunar_year = d.year + 1
        b11 = _lunar_month_11(d.year + 1)
    day = day_number - month_start + 1
    months_after_11 = (month_start - a11) // 29
    month, leap = months_after_11 + 11, False
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11)
        if months_after_11 >= leap_offset:
            month = months_after_11 + 10
            leap = months_after_11 == leap_offset
    if month > 12:
        month -= 12
    if month >= 11 and months_after_11 < 4:  # months 11 and 12 belong to the year before
        lunar_year -= 1
    return day, month, lunar_year, leap


def can_chi(year: int) -> str:
    """The Can-Chi (sexagenary) name of a lunar year: can_chi(2025) == "Ất Tỵ"."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    # Year 4 (and every 60 years after it, e.g. 1984) is Giáp Tý.
    return f"{CAN[(year - 4) % 10]} {CHI[(year - 4) % 12]}"


def is_new_moon_day(d: date) -> bool:
    """Whether a lunar month starts on solar date d (at UTC+7)."""
    jdn = _jdn(d)
    k = round((jdn - NEW_MOON_EPOCH) / SYNODIC_MONTH)
    return any(new_moon_day(k + delta) == jdn for delta in (-1, 0, 1))


__all__ = ["tet_date", "lunar_year_of", "solar_to_lunar", "can_chi", "is_new_moon_day", "new_moon_day"]

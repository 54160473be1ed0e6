"""The lunar calendar kernel: Tết in Vietnam (UTC+7), lunar years, Can-Chi names."""

from datetime import date, timedelta

import pytest
from django.utils import translation

from fundmgr.core.lunar import can_chi, is_new_moon_day, lunar_year_of, solar_to_lunar, tet_date


@pytest.mark.parametrize(
    ("year", "tet"),
    [
        # Years where Vietnam (UTC+7) and China (UTC+8) differ; China's date in the comment.
        (1968, date(1968, 1, 29)),  # China 1968-01-30: the Tết offensive began on Vietnam's date
        (1985, date(1985, 1, 21)),  # China 1985-02-20: a whole month apart
        (2007, date(2007, 2, 17)),  # China 2007-02-18
        (2030, date(2030, 2, 2)),  # China 2030-02-03
        (2053, date(2053, 2, 18)),  # China 2053-02-19
        # Recent and coming years.
        (2023, date(2023, 1, 22)),
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        # Bounds of the supported range.
        (1900, date(1900, 1, 31)),
        (2100, date(2100, 2, 9)),
    ],
)
def test_tet_date(year, tet):
    assert tet_date(year) == tet


@pytest.mark.parametrize("year", [1899, 2101, 0, -5])
def test_tet_date_outside_range(year):
    with translation.override("vi"), pytest.raises(ValueError) as refused:
        tet_date(year)
    assert str(refused.value) == (
        f"Lịch âm chỉ tính được cho các năm từ 1900 đến 2100, không tính được năm {year}."
    )
    with translation.override("en"), pytest.raises(ValueError) as refused:
        tet_date(year)
    assert str(refused.value) == (
        f"The lunar calendar can only be computed for the years 1900 to 2100, not for {year}."
    )


@pytest.mark.parametrize("bad", [True, 2025.0, "2025", None])
def test_tet_date_refuses_non_int(bad):
    with pytest.raises(TypeError):
        tet_date(bad)


def test_every_tet_1900_to_2100():
    for year in range(1900, 2101):
        tet = tet_date(year)
        assert tet.year == year
        assert date(year, 1, 21) <= tet <= date(year, 2, 20), year
        assert is_new_moon_day(tet), year
        assert not is_new_moon_day(tet - timedelta(days=1)), year
        # The same algorithm read the other way round agrees: day 1 of month 1 of `year`,
        # and the day before is the last day (29th or 30th) of month 12 of the year before.
        assert solar_to_lunar(tet) == (1, 1, year, False)
        day, month, lunar_year, _leap = solar_to_lunar(tet - timedelta(days=1))
        assert (month, lunar_year) == (12, year - 1) and day in (29, 30), year


def test_tets_are_a_lunar_year_apart():
    for year in range(1901, 2101):
        days = (tet_date(year) - tet_date(year - 1)).days
        assert days in (353, 354, 355, 383, 384, 385), year  # 12 or 13 lunar months


@pytest.mark.parametrize(
    ("day", "lunar_year"),
    [
        (date(2026, 2, 16), 2025),  # the eve of Tết Bính Ngọ still belongs to Ất Tỵ
        (date(2026, 2, 17), 2026),
        (date(2026, 1, 1), 2025),
        (date(2025, 12, 31), 2025),
        (date(2025, 1, 28), 2024),
        (date(2025, 1, 29), 2025),
        (date(1985, 1, 21), 1985),
        (date(1985, 1, 20), 1984),
        (date(1900, 1, 31), 1900),
        (date(2100, 12, 31), 2100),
    ],
)
def test_lunar_year_of(day, lunar_year):
    assert lunar_year_of(day) == lunar_year


@pytest.mark.parametrize(
    ("solar", "lunar"),
    [
        # Leap months: 2020 had a leap 4th month, 2023 a leap 2nd, 2025 a leap 6th.
        (date(2020, 5, 23), (1, 4, 2020, True)),
        (date(2023, 3, 22), (1, 2, 2023, True)),
        (date(2023, 3, 21), (30, 2, 2023, False)),
        (date(2025, 7, 25), (1, 6, 2025, True)),
        (date(2025, 7, 24), (30, 6, 2025, False)),
        (date(2025, 10, 6), (15, 8, 2025, False)),  # Tết Trung thu 2025
        (date(2026, 2, 16), (29, 12, 2025, False)),
    ],
)
def test_solar_to_lunar(solar, lunar):
    assert solar_to_lunar(solar) == lunar


@pytest.mark.parametrize(
    ("year", "name"),
    [
        (1984, "Giáp Tý"),
        (1985, "Ất Sửu"),
        (1986, "Bính Dần"),
        (1987, "Đinh Mão"),  # the cat, not the rabbit
        (1988, "Mậu Thìn"),
        (1989, "Kỷ Tỵ"),
        (1990, "Canh Ngọ"),
        (1991, "Tân Mùi"),
        (1992, "Nhâm Thân"),
        (1993, "Quý Dậu"),
        (1994, "Giáp Tuất"),
        (1995, "Ất Hợi"),
        (1968, "Mậu Thân"),
        (2000, "Canh Thìn"),
        (2023, "Quý Mão"),
        (2024, "Giáp Thìn"),
        (2025, "Ất Tỵ"),
        (2026, "Bính Ngọ"),
        (2043, "Quý Hợi"),  # the last year of the cycle that began in 1984
        (2044, "Giáp Tý"),
        (1924, "Giáp Tý"),
        (1900, "Canh Tý"),
    ],
)
def test_can_chi(year, name):
    assert can_chi(year) == name


def test_can_chi_cycle():
    names = [can_chi(year) for year in range(1984, 2044)]
    assert len(set(names)) == 60  # sixty distinct names, then the cycle repeats
    assert all(can_chi(year) == can_chi(year + 60) for year in range(1900, 2100))

"""`fundmgr.core.dates`: the one rule for the date of a money document and for a birth date."""

import datetime

import pytest
from django.utils import timezone

from fundmgr.core import dates


def codes(errors):
    return [error.code for error in errors]


def test_a_document_date_lies_between_1996_and_today():
    today = timezone.localdate()
    for day in (datetime.date(1996, 1, 1), datetime.date(2025, 2, 1), today):
        assert dates.document_date_errors(day, label="Ngày nhận") == []
    assert codes(dates.document_date_errors(datetime.date(1, 1, 1), label="Ngày nhận")) == ["date_too_early"]
    assert codes(dates.document_date_errors(datetime.date(1995, 12, 31), label="Ngày nhận")) == ["date_too_early"]
    assert codes(dates.document_date_errors(today + datetime.timedelta(days=1), label="Ngày nhận")) == ["date_in_future"]
    (error,) = dates.document_date_errors(datetime.date(1, 1, 1), label="Ngày nhận")
    assert error.messages == ["Ngày nhận không được trước ngày 01/01/1996."]


@pytest.mark.parametrize("value", [None, "2026-01-01", datetime.datetime(2026, 1, 1, 8, 0), 20260101])
def test_a_document_date_must_be_a_date(value):
    (error,) = dates.document_date_errors(value, label="Ngày nhận")
    assert (error.code, error.messages) == ("invalid_date", ["Ngày nhận không hợp lệ."])


def test_today_is_the_date_in_vietnam(settings, monkeypatch):
    # 23:30 UTC on 31 December is 06:30 on 1 January in Hà Nội: a payment of that morning is today's.
    instant = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert dates.today() == datetime.date(2027, 1, 1)
    assert dates.document_date_errors(datetime.date(2027, 1, 1), label="Ngày nhận") == []


def test_a_birth_date_lies_within_thirty_years_before_today():
    today = timezone.localdate()
    earliest = dates.years_before(today, 30)
    assert dates.birth_date_errors(earliest) == []
    assert dates.birth_date_errors(today) == []
    assert dates.birth_date_errors(None) == []
    assert codes(dates.birth_date_errors(earliest - datetime.timedelta(days=1))) == ["birth_date_too_early"]
    assert codes(dates.birth_date_errors(datetime.date(1800, 1, 1))) == ["birth_date_too_early"]
    assert codes(dates.birth_date_errors(today + datetime.timedelta(days=1))) == ["date_in_future"]


def test_years_before_survives_29_february():
    assert dates.years_before(datetime.date(2028, 2, 29), 30) == datetime.date(1998, 2, 28)
    assert dates.years_before(datetime.date(2026, 12, 6), 30) == datetime.date(1996, 12, 6)

"""Dates as Vietnamese treasurers type and read them: day first. Django has no Vietnamese input
formats and fell back to the American month-first ones (`05/01/2027` read as 1 May)."""

import datetime

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import translation


class DayForm(forms.Form):
    day = forms.DateField(widget=AdminDateWidget)


@pytest.mark.parametrize(("typed", "day"), [
    ("05/01/2027", datetime.date(2027, 1, 5)),
    ("13/01/2027", datetime.date(2027, 1, 13)),
    ("5-1-2027", datetime.date(2027, 1, 5)),
    ("05.01.2027", datetime.date(2027, 1, 5)),
    ("2027-01-05", datetime.date(2027, 1, 5)),  # what a browser's date picker sends
])
def test_vietnamese_dates_are_day_first(typed, day):
    with translation.override("vi"):
        form = DayForm({"day": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == day


def test_a_vietnamese_date_field_shows_its_value_day_first():
    with translation.override("vi"):
        assert 'value="05/01/2027"' in str(DayForm(initial={"day": datetime.date(2027, 1, 5)})["day"])


def test_english_keeps_english_formats():
    with translation.override("en"):
        form = DayForm({"day": "2027-01-05"})
        assert form.is_valid() and form.cleaned_data["day"] == datetime.date(2027, 1, 5)
        assert not DayForm({"day": "13/01/2027"}).is_valid()  # month first in English: no 13th month

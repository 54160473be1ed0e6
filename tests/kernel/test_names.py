"""`name_clean`: the one rule for names people type (donors, students, guardians)."""

import unicodedata

import pytest

from fundmgr.core.contacts import name_clean

INVISIBLE = {
    "zero-width-space": "\u200b",
    "zero-width-non-joiner": "\u200c",
    "zero-width-joiner": "\u200d",
    "word-joiner": "\u2060",
    "byte-order-mark": "\ufeff",
    "right-to-left-override": "\u202e",
    "soft-hyphen": "\u00ad",
    "null": "\x00",
    "bell": "\x07",
    "hangul-filler": "\u3164",
    "braille-blank": "\u2800",
    "combining-grapheme-joiner": "\u034f",
    "variation-selector": "\ufe0f",
}


@pytest.mark.parametrize("character", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_a_name_of_invisible_characters_is_empty(character):
    assert name_clean(character * 5) == ""
    assert name_clean(f" {character} \u00a0{character}\t") == ""


def test_a_name_of_all_of_them_together_is_empty():
    assert name_clean("".join(INVISIBLE.values()) + "\u200b \u2060 \ufeff") == ""


@pytest.mark.parametrize(("typed", "stored"), [
    ("\u200bNguyễn\u200d Văn\u2060 An\ufeff", "Nguyễn Văn An"),
    ("  Lò   Thị\u00a0Mai ", "Lò Thị Mai"),
    ("Nguyễn\x00Văn An", "NguyễnVăn An"),
    ("Nguyễn\u202eVăn An", "NguyễnVăn An"),
    ("Công ty CP Sữa Việt Nam (Vinamilk)", "Công ty CP Sữa Việt Nam (Vinamilk)"),
    (unicodedata.normalize("NFD", "Đặng Thị Hồng"), "Đặng Thị Hồng"),  # stored composed (NFC)
    ("", ""),
    (None, ""),
])
def test_invisible_characters_are_stripped_and_spaces_collapsed(typed, stored):
    assert name_clean(typed) == stored

"""People's names and phone numbers as the apps compare and store them (the shared kernel).

Donors and students' guardians type names with or without diacritics and phone numbers in any
Vietnamese form (`0912 345 678`, `+84 912345678`); both apps store and match the same way.

A name is stored as `name_clean` leaves it: NFC, without the characters that print as nothing
(zero-width spaces and joiners, the word joiner, the byte-order mark, direction overrides, soft
hyphens, control characters, the blank fillers of Hangul and Braille), spaces collapsed. A name
of nothing but such characters is empty, and refused as an empty name is: it would list as a
blank line on the honour roll and on a receipt, and match no search.
"""

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Letters that fonts draw as blank space, although Unicode counts them as letters or symbols.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format (zero-width, joiners, bidi controls, BOM, soft hyphen), control, and lone surrogates,
# which no database encoding accepts.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})


def name_clean(name: str) -> str:
    """A name as stored: NFC, invisible characters removed, spaces collapsed; "" when nothing visible is left."""
    kept = []
    for character in unicodedata.normalize("NFC", name or ""):
        if character.isspace():
            kept.append(" ")
        elif unicodedata.category(character) not in _INVISIBLE_CATEGORIES and character not in _BLANK_LETTERS:
            kept.append(character)
    cleaned = " ".join("".join(kept).split())
    # Combining marks and variation selectors alone print nothing either: a name needs a letter,
    # a digit or a symbol.
    if not any(unicodedata.category(character)[0] in "LNPS" for character in cleaned if character not in _BLANK_LETTERS):
        return ""
    return cleaned


def name_normalize(name: str) -> str:
    """A name as compared: without diacritics, đ→d, casefolded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", name or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.casefold().split())


def phone_normalize(phone: str, *, field: str = "phone") -> str:
    """E.164 (`+84912345678`) or "" when empty; ValidationError on `field` when it is not a phone number."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError({field: ValidationError(_("Số điện thoại không hợp lệ."), code="invalid_phone")})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_national(phone: str) -> str:
    """A stored E.164 number the way people here write it (`0912 345 678`); other text unchanged.

    Exports use it: a cell that starts with "+" is a formula to a spreadsheet.
    """
    try:
        parsed = phonenumbers.parse(phone or "", "VN")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)

"""People's names and phone numbers as the apps compare and store them (the shared kernel).

Donors and students' guardians type names with or without diacritics and phone numbers in any
Vietnamese form (`0912 345 678`, `+84 912345678`); both apps store and match the same way.
"""

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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

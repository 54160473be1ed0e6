"""People's names and contacts (phone, e-mail, tax code) as the apps compare and store them (the
shared kernel).

Donors and students' guardians type names with or without diacritics and phone numbers in any
Vietnamese form (`0912 345 678`, `+84 912345678`); both apps store and match the same way.

Each contact has one rule here, with one message: the public form, the admin, the API and the
imports all reach it through the service (`donations.services.donor_fields_clean`), so no door
accepts what another refuses. A phone number must be a Vietnamese one (mobile or landline): the
association calls and texts its donors and guardians from Vietnam, and the documented form has
always asked for one. A tax code is a Vietnamese mã số thuế, 10 digits or 13 for a branch, with
its check digit. Each normaliser raises a ValidationError keyed by `field`, so that a caller with
another field name (a guardian's phone) gets the message next to its own field.

A name is stored as `name_clean` leaves it: NFC, without the characters that print as nothing
(zero-width spaces and joiners, the word joiner, the byte-order mark, direction overrides, soft
hyphens, control characters, the blank fillers of Hangul and Braille), spaces collapsed. A name
of nothing but such characters is empty, and refused as an empty name is: it would list as a
blank line on the honour roll and on a receipt, and match no search.
"""

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.vn import mst

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


def _refusal(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def phone_normalize(phone: str, *, field: str = "phone") -> str:
    """E.164 (`+84912345678`) or "" when empty; ValidationError on `field` when it is not a
    Vietnamese phone number (module docstring)."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        parsed = None
    if (
        parsed is None
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.region_code_for_number(parsed) != "VN"
    ):
        raise _refusal(
            field, _("Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."), "invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_normalize(email: str, *, field: str = "email") -> str:
    """Lower case, without surrounding spaces, or "" when empty; ValidationError on `field` when it
    is not an e-mail address."""
    email = (email or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise _refusal(field, _("Địa chỉ e-mail chưa đúng, ví dụ: ten@example.com."), "invalid_email") from None
    return email


def tax_code_normalize(tax_code: str, *, field: str = "tax_code") -> str:
    """Digits only (10, or 13 for a branch) with a valid check digit, or "" when empty; a
    ValidationError on `field` otherwise, which says whether the check digit or the shape is wrong."""
    tax_code = (tax_code or "").strip()
    if not tax_code:
        return ""
    try:
        return mst.validate(tax_code)
    except InvalidChecksum:
        raise _refusal(field, _("Mã số thuế sai chữ số kiểm tra. Vui lòng xem lại."), "tax_code_checksum") from None
    except StdnumValidationError:
        raise _refusal(
            field,
            _("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0100112437-001)."),
            "invalid_tax_code",
        ) from None


def phone_national(phone: str) -> str:
    """A stored E.164 number the way people here write it (`0912 345 678`); other text unchanged.

    Exports use it: a cell that starts with "+" is a formula to a spreadsheet.
    """
    try:
        parsed = phonenumbers.parse(phone or "", "VN")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)

"""Vietnamese dong: read what people type, print amounts, and write them in words for receipts.

Design
------
- Money is a Python ``int`` of dong. Never float (binary fractions lose dong) and never a
  Decimal with a fraction: the dong has no minor unit in use. ``Decimal`` appears only inside
  ``parse_vnd``, to multiply "2,5 triệu" exactly and to prove the result is a whole number.
- ``parse_vnd`` is the one door for amounts typed by a person (forms, admin, CSV import). It
  accepts the forms Vietnamese people write and refuses everything else with an ``AmountError``
  whose message is translated (Vietnamese msgid, English in ``fundmgr/locale/en``) and whose
  ``code`` tells a form which kind of refusal it was.
- ``format_vnd`` prints ``1.000.000 ₫``: dot grouping, a non-breaking space so the symbol never
  wraps onto its own line.
- ``vnd_in_words`` writes the amount in words, as receipts ("Số tiền bằng chữ") require.

Reading a number (``parse_vnd``)
--------------------------------
Input is normalised to NFC (text pasted from macOS or some keyboards is decomposed, NFD) and
every kind of space (no-break, narrow no-break, thin) becomes a plain space. Accepted:

- an integer, plain or grouped in threes by ``.``, ``,`` or a space, one separator kind
  throughout: ``1000000``, ``1.000.000``, ``1,000,000``, ``1 000 000``. Grouping must be valid
  (``1.00.000`` is refused);
- a decimal, whose separator is ``.`` or ``,`` (the one not used for grouping): ``2,5``,
  ``1.000.000,00``. Its value must still be a whole number of dong;
- then optionally a unit: ``k``/``nghìn``/``ngàn`` (10³), ``tr``/``triệu`` (10⁶),
  ``tỷ``/``tỉ`` (10⁹), also typed without diacritics (``nghin``, ``ngan``, ``trieu``, ``ty``, ``ti``);
- then optionally the currency: ``₫``, ``đ``, ``đồng``, ``VND``, ``VNĐ``.

Without a unit, a single ``.`` or ``,`` followed by exactly three digits is read as grouping
(``1.000`` is a thousand dong: nobody writes one dong with three decimals). With a unit the same
text is genuinely ambiguous — ``1.500 triệu`` is 1,5 million by English habits and 1.500 million
by Vietnamese ones, ``2,500 triệu`` the other way round — so it is refused with its own message
rather than guessed: a refusal costs a retype, a wrong guess costs a factor of a thousand.

Refusals, each with its own message: empty input, not a number, zero or negative, a fraction of
a dong (``1.5``, ``1,0000005 triệu``), more than ``MAX_AMOUNT`` (10^12) dong, and the ambiguity above.

Bounds of an amount (``amount_check``)
--------------------------------------
One rule for every amount of money a service accepts, whoever typed it (form, admin, API, CSV):
a whole, positive number of dong, at most ``MAX_AMOUNT`` = 10^12 (one thousand billion dong:
a province's whole Tết campaign raises a few billion, so more is a slip of the keyboard's zeros),
and for a pledge at least ``pledge_minimum()`` = ``MIN_PLEDGE_AMOUNT`` = 10.000 đ (setting
``PLEDGE_MIN_AMOUNT``): below that, the bank fees and the receipt cost more than the gift, and a
1-dong pledge is a probe or a test. Payments have no minimum: the last installment of a pledge
may be a few dong.

Writing in words (``vnd_in_words``)
-----------------------------------
The amount is read in groups of three digits from the left with the scale words ``nghìn``,
``triệu``, ``tỷ``. Above ``tỷ`` the words repeat: the number of tỷ is read as a number of its
own and followed by ``tỷ`` (10^12 "Một nghìn tỷ", 10^15 "Một triệu tỷ", 1.500.000.000.000
"Một nghìn năm trăm tỷ", not "một nghìn tỷ năm trăm tỷ"; 10^18 "Một tỷ tỷ").
Inside a group: ``mười`` for 10–19, ``mươi`` for 20–90; ``mốt`` for a final 1 after 20–90 but
``mười một``; ``lăm`` for a final 5 after 10–90; ``bốn`` for 4 (the variant ``tư`` is never
used, so one amount has one spelling); ``linh`` for an empty tens place before a unit
(``một trăm linh năm``; ``lẻ`` is the southern variant, not used).

Groups that are all zero are skipped, scale word and all (1.000.000.000 → "Một tỷ đồng").
Every other group except the leading one is read with its hundreds, also when they are zero
(``không trăm``): 1.005.000 → "Một triệu không trăm linh năm nghìn đồng". So that the words
cannot be misread as a smaller number, this holds also for a group that follows skipped zero
groups: 1.000.000.050 → "Một tỷ không trăm năm mươi đồng", 1.000.005.000 → "Một tỷ không trăm
linh năm nghìn đồng". That is the majority convention in published Vietnamese number-to-words
code and its test cases, e.g.

- https://github.com/trinhvuduc/number_to_vietnamese_words (README): 1000000001 →
  "Một tỷ không trăm linh một";
- https://github.com/deverlex/ReadVNDCurrency (src/test/java/Test.java): 1000000001 →
  "một tỷ không trăm linh một", 1001410000 → "một tỷ không trăm linh một triệu bốn trăm
  mười nghìn", 320400001 → "ba trăm hai mươi triệu bốn trăm nghìn không trăm linh một";

and it is how the primary-school textbook reads an inner group (Toán 4: 56 032 "năm mươi sáu
nghìn không trăm ba mươi hai"). A minority of snippets never say "không trăm" (e.g. readGroup in
https://github.com/hoangp0915/hoangp0915.github.io, notes/javascript-function.md, reads a group
050 as "năm mươi" whatever precedes it); that reads like a smaller number, and is not followed.

``round_suffix=True`` appends ``chẵn`` ("Một triệu đồng chẵn"), as cash receipts do for round
amounts. Chosen meaning of "round": a positive amount with no odd dong below a thousand
(``amount % 1000 == 0``); 1.000.500 stays "… đồng", and zero is never "chẵn".
"""

import re
import unicodedata
from decimal import Decimal, Inexact, localcontext

from django.conf import settings
from django.utils.translation import gettext as _

MAX_AMOUNT = 10**12  # one nghìn tỷ dong: far above any campaign or fund; past it a slip of the keyboard is likelier
MIN_PLEDGE_AMOUNT = 10_000
_MAX_INPUT_LENGTH = 64  # longer text is not an amount; also keeps Decimal arithmetic small

_UNITS = {"k": 10**3, "nghìn": 10**3, "ngàn": 10**3, "tr": 10**6, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
# Phones without a Vietnamese keyboard drop the diacritics: "5 trieu", "500 nghin", "1 ty".
_UNITS |= {"nghin": 10**3, "ngan": 10**3, "trieu": 10**6, "ty": 10**9, "ti": 10**9}
_CURRENCIES = ("₫", "đồng", "đ", "vnd", "vnđ", "dong")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009]+")
_MINUS_SIGNS = ("-", "\u2212", "\u2013")  # hyphen-minus, minus sign, en dash (as word processors type it)

_AMOUNT = re.compile(
    r"(?P<number>[0-9](?:[0-9.,]| (?=[0-9]))*)"  # digits, separators, a space only between digits
    r" ?(?P<unit>" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")?"
    r" ?(?P<currency>" + "|".join(sorted(map(re.escape, _CURRENCIES), key=len, reverse=True)) + r")?"
)


class AmountError(ValueError):
    """An amount a person typed that is not a whole, positive, sane number of dong.

    ``code`` is one of: empty, invalid, not_positive, fraction, too_large, ambiguous (``parse_vnd``),
    not_integer, too_small (``amount_check``).
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _error(code: str) -> AmountError:
    # Translated when raised, in the language of the request being served.
    messages = {
        "empty": _("Hãy nhập số tiền."),
        "invalid": _("Không đọc được số tiền. Hãy viết, ví dụ: 1.000.000, 5 triệu hoặc 500k."),
        "not_positive": _("Số tiền phải lớn hơn 0 đồng."),
        "fraction": _("Số tiền không được có phần lẻ dưới một đồng."),
        # The figure is MAX_AMOUNT's; written out so that the catalogue holds the whole sentence.
        "too_large": _("Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."),
        "not_integer": _("Số tiền phải là một số nguyên đồng."),
        "ambiguous": _(
            "Số tiền chưa rõ ràng: dấu chấm hoặc dấu phẩy trước đơn vị có thể là dấu thập phân "
            "hoặc dấu phân cách hàng nghìn. Hãy viết, ví dụ: 1,5 triệu hoặc 1.500.000."
        ),
    }
    return AmountError(messages[code], code)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip().lower()


def _grouped(number: str, sep: str) -> bool:
    """Whether `number` is digits grouped in threes by `sep` (at least one separator)."""
    return re.fullmatch(r"[0-9]{1,3}(?:" + re.escape(sep) + r"[0-9]{3})+", number) is not None


def _to_decimal(number: str, has_unit: bool) -> Decimal:
    """The exact value of the number text; raises AmountError if it is not a number."""
    separators = [c for c in "., " if c in number]
    if not separators:
        return Decimal(number)
    if len(separators) == 1:
        sep = separators[0]
        if _grouped(number, sep):
            if has_unit and sep != " " and number.count(sep) == 1:
                raise _error("ambiguous")
            return Decimal(number.replace(sep, ""))
        if sep != " " and number.count(sep) == 1:  # "2,5", "1.5", "1000.50": a decimal point
            return _decimal(*number.split(sep))
        raise _error("invalid")
    # Two kinds: grouping, then one decimal separator at the end ("1.000.000,00", "1,000.5").
    last = max(number.rfind(c) for c in separators)
    whole, decimal_sep, fraction = number[:last], number[last], number[last + 1 :]
    group_seps = {c for c in whole if not c.isdigit()}
    if decimal_sep == " " or len(group_seps) != 1 or decimal_sep in group_seps:
        raise _error("invalid")
    group_sep = group_seps.pop()
    if not _grouped(whole, group_sep):
        raise _error("invalid")
    return _decimal(whole.replace(group_sep, ""), fraction)


def _decimal(whole: str, fraction: str) -> Decimal:
    if not (whole.isdigit() and fraction.isdigit()):  # "1." or ".5" are typos, not amounts
        raise _error("invalid")
    return Decimal(f"{whole}.{fraction}")


def parse_vnd(text: str | None) -> int:
    """Read an amount of dong as typed by a person; see the module docstring for the forms."""
    if text is None:
        raise _error("empty")
    if not isinstance(text, str):
        raise TypeError(f"parse_vnd reads text, not {type(text).__name__}")
    text = _normalise(text)
    if not text:
        raise _error("empty")
    if len(text) > _MAX_INPUT_LENGTH:
        raise _error("invalid")
    negative = text.startswith(_MINUS_SIGNS)
    if negative:
        text = text[1:].lstrip()
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise _error("invalid")
    unit = match["unit"]
    value = _to_decimal(match["number"], has_unit=unit is not None)
    with localcontext() as ctx:
        ctx.prec = 2 * _MAX_INPUT_LENGTH  # enough for any input we accept: the product is exact
        ctx.traps[Inexact] = True
        value *= _UNITS[unit] if unit else 1
    if negative:
        value = -value
    if value > 0 and value != value.to_integral_value():
        raise _error("fraction")
    amount = int(value)  # a negative fraction truncates towards 0, which amount_check refuses as not positive
    # The bounds are amount_check's, the one check every service also applies: a typed amount and
    # an amount sent as a number meet the same limits, with the same messages.
    amount_check(amount)
    return amount


def pledge_minimum() -> int:
    return getattr(settings, "PLEDGE_MIN_AMOUNT", MIN_PLEDGE_AMOUNT)


def amount_check(amount: object, *, minimum: int = 1) -> None:
    """Refuse an amount of dong outside the bounds (module docstring) with an ``AmountError``.

    ``code``: not_integer, not_positive, too_small (below ``minimum``), too_large.
    """
    # bool is an int in Python; a checkbox value must never become a 1-dong amount.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _error("not_integer")
    if amount <= 0:
        raise _error("not_positive")
    if amount < minimum:
        raise AmountError(
            _("Số tiền ủng hộ tối thiểu là %(minimum)s.") % {"minimum": format_vnd(minimum)}, "too_small"
        )
    if amount > MAX_AMOUNT:
        raise _error("too_large")


def _check_int(amount: object) -> None:
    # bool is an int in Python; True dong is a bug, not an amount.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"an amount of dong must be an int, not {type(amount).__name__}")


def format_vnd(amount: int) -> str:
    """1000000 → "1.000.000 ₫" (dot grouping, no-break space before the symbol)."""
    _check_int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + "\u00a0₫"


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _group_words(group: int, full: bool) -> list[str]:
    """Words for 1..999; `full` reads an empty hundreds place ("không trăm") for inner groups."""
    hundreds, tens, units = group // 100, group // 10 % 10, group % 10
    words = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _number_words(number: int, full: bool) -> list[str]:
    """Words for number > 0. The count of tỷ is itself read as a number, then "tỷ"."""
    billions, rest = divmod(number, 10**9)
    words = _number_words(billions, full) + ["tỷ"] if billions else []
    for scale, group in (("triệu", rest // 10**6), ("nghìn", rest // 1000 % 1000), ("", rest % 1000)):
        if group:  # an all-zero group is skipped with its scale word
            words += _group_words(group, full=full or bool(words)) + ([scale] if scale else [])
    return words


def vnd_in_words(amount: int, *, round_suffix: bool = False) -> str:
    """1005000 → "Một triệu không trăm linh năm nghìn đồng" (rules in the module docstring)."""
    _check_int(amount)
    if amount < 0:
        raise ValueError("an amount in words cannot be negative")
    text = " ".join(_number_words(amount, full=False) if amount else ["không"]) + " đồng"
    if round_suffix and amount > 0 and amount % 1000 == 0:
        text += " chẵn"
    return text[0].upper() + text[1:]

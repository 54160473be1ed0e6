"""The money kernel: parse what people type, format, and write amounts in words."""

import unicodedata

import pytest
from django.utils import translation

from fundmgr.core.money import (
    MAX_AMOUNT,
    MIN_PLEDGE_AMOUNT,
    AmountError,
    amount_check,
    format_vnd,
    parse_vnd,
    pledge_minimum,
    vnd_in_words,
)

NBSP = "\u00a0"

# --- vnd_in_words ---------------------------------------------------------------------------

# Cases that pin each rule of the module docstring.
RULES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (4, "Bốn đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi bốn đồng"),
    (25, "Hai mươi lăm đồng"),
    (91, "Chín mươi mốt đồng"),
    (95, "Chín mươi lăm đồng"),
    (101, "Một trăm linh một đồng"),
    (104, "Một trăm linh bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (111, "Một trăm mười một đồng"),
    (115, "Một trăm mười lăm đồng"),
    (121, "Một trăm hai mươi mốt đồng"),
    (1_000, "Một nghìn đồng"),
    (1_001, "Một nghìn không trăm linh một đồng"),
    (1_010, "Một nghìn không trăm mười đồng"),
    (1_015, "Một nghìn không trăm mười lăm đồng"),
    (10_000, "Mười nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (100_000, "Một trăm nghìn đồng"),
    (105_000, "Một trăm linh năm nghìn đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_000_500, "Một triệu năm trăm đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
    (2_500_000, "Hai triệu năm trăm nghìn đồng"),
    (5_000_000, "Năm triệu đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    # Inner groups after skipped zero groups keep "không trăm" (the convention in the docstring).
    (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
    (1_000_000_050, "Một tỷ không trăm năm mươi đồng"),
    (1_000_000_500, "Một tỷ năm trăm đồng"),
    (1_000_005_000, "Một tỷ không trăm linh năm nghìn đồng"),
    (1_005_000_000, "Một tỷ không trăm linh năm triệu đồng"),
    (
        1_234_567_891,
        "Một tỷ hai trăm ba mươi bốn triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi mốt đồng",
    ),
    # Above tỷ the count of tỷ is read as a number of its own.
    (10**12, "Một nghìn tỷ đồng"),
    (1_500_000_000_000, "Một nghìn năm trăm tỷ đồng"),
    (1_000_000_000_500, "Một nghìn tỷ năm trăm đồng"),
    (1_000_005_000_000_000, "Một triệu không trăm linh năm tỷ đồng"),
    (10**15, "Một triệu tỷ đồng"),
    (10**15 + 50, "Một triệu tỷ không trăm năm mươi đồng"),
    (10**18, "Một tỷ tỷ đồng"),
]

# Published examples. Sources that write without "đồng" or in lower case are compared on our
# form (capitalised, followed by "đồng"); the words themselves are as published.
PUBLISHED = [
    # https://github.com/trinhvuduc/number_to_vietnamese_words (README.md)
    (2_001, "Hai nghìn không trăm linh một đồng"),
    (2_023, "Hai nghìn không trăm hai mươi ba đồng"),
    (10_000_000, "Mười triệu đồng"),
    (1_000_000_001, "Một tỷ không trăm linh một đồng"),
    # https://github.com/deverlex/ReadVNDCurrency (src/test/java/Test.java)
    (102, "Một trăm linh hai đồng"),
    (112, "Một trăm mười hai đồng"),
    (1_101, "Một nghìn một trăm linh một đồng"),
    (2_312, "Hai nghìn ba trăm mười hai đồng"),
    (1_000_001, "Một triệu không trăm linh một đồng"),
    (1_102_101, "Một triệu một trăm linh hai nghìn một trăm linh một đồng"),
    (1_001_350, "Một triệu không trăm linh một nghìn ba trăm năm mươi đồng"),
    (300_000_000, "Ba trăm triệu đồng"),
    (320_400_001, "Ba trăm hai mươi triệu bốn trăm nghìn không trăm linh một đồng"),
    (1_000_100_321, "Một tỷ một trăm nghìn ba trăm hai mươi mốt đồng"),
    (1_001_410_000, "Một tỷ không trăm linh một triệu bốn trăm mười nghìn đồng"),
    (
        99_999_999_999_999_999,
        "Chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ "
        "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
    ),
    # https://rdsic.edu.vn/blog/blog-3/cach-doc-so-tien-vi-cb.html
    (123_456, "Một trăm hai mươi ba nghìn bốn trăm năm mươi sáu đồng"),
    # https://www.ntdvn.net/doc-so-tien-bang-chu-522081.html
    (9, "Chín đồng"),
    (19, "Mười chín đồng"),
    (999, "Chín trăm chín mươi chín đồng"),
    # https://aloketoan.com/2018/01/06/huong-dan-viet-so-tien-bang-chu-tren-hoa-don-tac-gia-suu-thi1-cach-doc-so/
    (123_456_789, "Một trăm hai mươi ba triệu bốn trăm năm mươi sáu nghìn bảy trăm tám mươi chín đồng"),
    (301, "Ba trăm linh một đồng"),
    (711, "Bảy trăm mười một đồng"),
    (731, "Bảy trăm ba mươi mốt đồng"),
    (456_901, "Bốn trăm năm mươi sáu nghìn chín trăm linh một đồng"),
    (46_704, "Bốn mươi sáu nghìn bảy trăm linh bốn đồng"),
    # Toán 4, textbook exercise:
    # http://loga.vn/hoi-dap/bai-2-trang-11-sgk-toan-4-a-doc-cac-so-sau-va-cho-biet-chu-so-3-o-moi-so-do-thuoc-hang-nao-lop-n-2197347
    (46_307, "Bốn mươi sáu nghìn ba trăm linh bảy đồng"),
    (56_032, "Năm mươi sáu nghìn không trăm ba mươi hai đồng"),
    (123_517, "Một trăm hai mươi ba nghìn năm trăm mười bảy đồng"),
    (305_804, "Ba trăm linh năm nghìn tám trăm linh bốn đồng"),
    (960_783, "Chín trăm sáu mươi nghìn bảy trăm tám mươi ba đồng"),
    # https://github.com/playwrightvn/pw-discovery (daily-challenges/2024-12/18/problem.md)
    (1_234, "Một nghìn hai trăm ba mươi bốn đồng"),
    (500_000, "Năm trăm nghìn đồng"),
    (145_000, "Một trăm bốn mươi lăm nghìn đồng"),
]


@pytest.mark.parametrize(("amount", "words"), RULES + PUBLISHED)
def test_vnd_in_words(amount, words):
    assert vnd_in_words(amount) == words


def test_enough_worked_examples():
    assert len({amount for amount, _ in RULES + PUBLISHED}) >= 60


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (1_000_000, "Một triệu đồng chẵn"),
        (2_500_000, "Hai triệu năm trăm nghìn đồng chẵn"),
        (1_000, "Một nghìn đồng chẵn"),
        (1_000_500, "Một triệu năm trăm đồng"),  # odd dong below a thousand: no "chẵn"
        (999, "Chín trăm chín mươi chín đồng"),
        (0, "Không đồng"),  # nothing to be round about
    ],
)
def test_round_suffix(amount, words):
    assert vnd_in_words(amount, round_suffix=True) == words


def test_in_words_refuses_negative_and_non_int():
    with pytest.raises(ValueError):
        vnd_in_words(-1)
    for bad in (True, 1.0, "1000", None):
        with pytest.raises(TypeError):
            vnd_in_words(bad)


def test_in_words_has_no_stray_spaces():
    for amount in range(0, 2_000_000, 997):
        words = vnd_in_words(amount)
        assert "  " not in words and words == words.strip()


# --- format_vnd -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0"),
        (5, "5"),
        (999, "999"),
        (1_000, "1.000"),
        (1_000_000, "1.000.000"),
        (1_234_567_891, "1.234.567.891"),
        (-1_000, "-1.000"),
        (-5, "-5"),
        (10**15, "1.000.000.000.000.000"),
    ],
)
def test_format_vnd(amount, text):
    assert format_vnd(amount) == text + NBSP + "₫"


@pytest.mark.parametrize("bad", [True, False, 1.0, "1000", None])
def test_format_refuses_non_int(bad):
    with pytest.raises(TypeError):
        format_vnd(bad)


# --- parse_vnd: accepted forms --------------------------------------------------------------

ACCEPTED = [
    ("1.000.000", 1_000_000),
    ("1,000,000", 1_000_000),
    ("1 000 000", 1_000_000),
    ("1000000", 1_000_000),
    ("1.000", 1_000),  # grouping, not one dong with three decimals
    ("1,000", 1_000),
    ("1.000.000 ₫", 1_000_000),
    ("1.000.000₫", 1_000_000),
    ("1.000.000đ", 1_000_000),
    ("1.000.000 đ", 1_000_000),
    ("1.000.000 đồng", 1_000_000),
    ("1.000.000 VND", 1_000_000),
    ("1.000.000 vnđ", 1_000_000),
    ("5 triệu", 5_000_000),
    ("5 Triệu", 5_000_000),
    ("5tr", 5_000_000),
    ("5 tr", 5_000_000),
    ("5 triệu đồng", 5_000_000),
    ("2,5 triệu", 2_500_000),
    ("2.5 triệu", 2_500_000),
    ("2,75tr", 2_750_000),
    ("0,5 triệu", 500_000),
    ("500k", 500_000),
    ("500K", 500_000),
    ("500 nghìn", 500_000),
    ("500 ngàn", 500_000),
    ("1,5k", 1_500),
    ("1 tỷ", 1_000_000_000),
    ("1 tỉ", 1_000_000_000),
    ("1,2 tỷ", 1_200_000_000),
    ("1.000.000 triệu", MAX_AMOUNT),  # two separators: grouping, not a decimal
    ("1 500 triệu", 1_500_000_000),  # a space is never a decimal point
    ("1.000.000,00", 1_000_000),  # as bank statements print it
    ("1,000,000.00", 1_000_000),
    ("1 000 000,00 ₫", 1_000_000),
    ("  1.000.000  ", 1_000_000),
    ("1" + NBSP + "000" + NBSP + "000", 1_000_000),
    ("1.000.000" + NBSP + "₫", 1_000_000),
    ("5" + NBSP + "triệu", 5_000_000),
    ("1\u202f000\u202f000", 1_000_000),  # narrow no-break space, as some locales group
    (unicodedata.normalize("NFD", "5 triệu"), 5_000_000),
    (unicodedata.normalize("NFD", "500 nghìn đồng"), 500_000),
    (unicodedata.normalize("NFD", "1 tỷ"), 1_000_000_000),
    ("1", 1),
    # typed on a phone without a Vietnamese keyboard
    ("5 trieu", 5_000_000),
    ("2,5 trieu", 2_500_000),
    ("500 nghin", 500_000),
    ("500 ngan dong", 500_000),
    ("1 ty", 1_000_000_000),
    ("2 ti", 2_000_000_000),
    ("1.000.000 dong", 1_000_000),
    ("1.000.000.000.000", MAX_AMOUNT),
    ("1000 tỷ", MAX_AMOUNT),
]


@pytest.mark.parametrize(("text", "amount"), ACCEPTED)
def test_parse_vnd_accepts(text, amount):
    assert parse_vnd(text) == amount
    assert type(parse_vnd(text)) is int


def test_parse_round_trips_format():
    for amount in (1, 999, 1_000, 1_005_000, 1_234_567_891, MAX_AMOUNT):
        assert parse_vnd(format_vnd(amount)) == amount


# --- parse_vnd: refusals, with their messages in Vietnamese and in English ------------------

MESSAGES = {
    "empty": ("Hãy nhập số tiền.", "Please enter an amount."),
    "invalid": (
        "Không đọc được số tiền. Hãy viết, ví dụ: 1.000.000, 5 triệu hoặc 500k.",
        "This amount could not be read. Write it like 1.000.000, 5 triệu or 500k.",
    ),
    # One message for the rule, whether the amount was typed (parse_vnd) or sent as a number (amount_check).
    "not_positive": ("Số tiền phải lớn hơn 0 đồng.", "The amount must be greater than 0 dong."),
    "fraction": (
        "Số tiền không được có phần lẻ dưới một đồng.",
        "The amount cannot contain a fraction of a dong.",
    ),
    "too_large": (
        "Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng.",
        "The amount exceeds the maximum of 1,000,000,000,000 dong.",
    ),
    "ambiguous": (
        "Số tiền chưa rõ ràng: dấu chấm hoặc dấu phẩy trước đơn vị có thể là dấu thập phân "
        "hoặc dấu phân cách hàng nghìn. Hãy viết, ví dụ: 1,5 triệu hoặc 1.500.000.",
        "The amount is ambiguous: the dot or comma before the unit could be a decimal point "
        "or a thousands separator. Write it like 1,5 triệu or 1.500.000.",
    ),
}

REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    (NBSP, "empty"),
    (None, "empty"),
    ("abc", "invalid"),
    ("một triệu", "invalid"),
    ("1.00.000", "invalid"),  # bad grouping
    ("1,00,000", "invalid"),  # Indian lakh grouping
    ("10.00.000", "invalid"),
    ("1.000,000.000", "invalid"),  # mixed grouping
    ("1 5", "invalid"),
    ("1.", "invalid"),
    ("1.000.", "invalid"),
    (".5", "invalid"),
    ("1.5.3", "invalid"),
    ("1e6", "invalid"),
    ("5 triệu 500 nghìn", "invalid"),
    ("₫1.000", "invalid"),
    ("5 đô", "invalid"),
    ("1" * 65, "invalid"),
    ("0", "not_positive"),
    ("0 đ", "not_positive"),
    ("0,0 triệu", "not_positive"),
    ("-5", "not_positive"),
    ("-1.000.000 ₫", "not_positive"),
    ("\u22121.000", "not_positive"),  # the minus sign U+2212
    ("- 5 triệu", "not_positive"),
    ("1.5", "fraction"),
    ("1,5", "fraction"),
    ("0,5", "fraction"),
    ("1000,50", "fraction"),
    ("1.000.000,50", "fraction"),
    ("1,0000005 triệu", "fraction"),
    ("1,0005k", "fraction"),
    ("1.000.000.000.001", "too_large"),
    ("1001 tỷ", "too_large"),
    ("1.000.000.000.000.000", "too_large"),  # the old bound of parse_vnd, 10^15: now one maximum for all
    ("99999999999999999999", "too_large"),
    ("1.500 triệu", "ambiguous"),
    ("2,500 tr", "ambiguous"),
    ("1.000 k", "ambiguous"),
]


@pytest.mark.parametrize(("text", "code"), REFUSED)
def test_parse_vnd_refuses(text, code):
    vietnamese, english = MESSAGES[code]
    with translation.override("vi"), pytest.raises(AmountError) as refused:
        parse_vnd(text)
    assert refused.value.code == code
    assert str(refused.value) == vietnamese
    assert isinstance(refused.value, ValueError)
    with translation.override("en"), pytest.raises(AmountError) as refused:
        parse_vnd(text)
    assert str(refused.value) == english


def test_parse_refuses_non_text():
    with pytest.raises(TypeError):
        parse_vnd(1000)


# --- amount_check: the one set of bounds of an amount ------------------------------------------

def test_one_maximum_for_typed_and_given_amounts():
    assert MAX_AMOUNT == 10**12
    amount_check(MAX_AMOUNT)
    with pytest.raises(AmountError) as typed:
        parse_vnd("1.000.000.000.001")
    with pytest.raises(AmountError) as given:
        amount_check(MAX_AMOUNT + 1)
    assert typed.value.code == given.value.code == "too_large"
    assert typed.value.message == given.value.message == "Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."


@pytest.mark.parametrize(("amount", "minimum", "code", "message"), [
    (1, MIN_PLEDGE_AMOUNT, "too_small", "Số tiền ủng hộ tối thiểu là 10.000\u00a0₫."),
    (9_999, MIN_PLEDGE_AMOUNT, "too_small", "Số tiền ủng hộ tối thiểu là 10.000\u00a0₫."),
    (0, 1, "not_positive", "Số tiền phải lớn hơn 0 đồng."),
    (-5, MIN_PLEDGE_AMOUNT, "not_positive", "Số tiền phải lớn hơn 0 đồng."),
    (True, 1, "not_integer", "Số tiền phải là một số nguyên đồng."),
    (10.0, 1, "not_integer", "Số tiền phải là một số nguyên đồng."),
    ("10000", 1, "not_integer", "Số tiền phải là một số nguyên đồng."),
    (10**12 + 1, MIN_PLEDGE_AMOUNT, "too_large", "Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."),
])
def test_amount_check_refuses_out_of_bounds(amount, minimum, code, message):
    with pytest.raises(AmountError) as refused:
        amount_check(amount, minimum=minimum)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_the_pledge_minimum_is_ten_thousand_dong_and_a_setting_may_change_it(settings):
    assert pledge_minimum() == MIN_PLEDGE_AMOUNT == 10_000
    amount_check(10_000, minimum=pledge_minimum())
    settings.PLEDGE_MIN_AMOUNT = 50_000
    assert pledge_minimum() == 50_000

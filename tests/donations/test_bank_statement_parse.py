"""Reading bank statements: the layouts of docs/bank-statements.md, keys, refusals."""

import datetime

import pytest

from donations.services.bank_statement import StatementError, line_keys, statement_parse
from tests.tabular_files import cp1258_bytes, xlsx_bytes

VCB = """\
NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM
SAO KÊ TÀI KHOẢN
Số tài khoản:;0011004123456
Từ ngày:;01/01/2026;Đến ngày:;31/01/2026

STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả
1;15/01/2026;5213.150126.093112;;5.000.000;105.000.000;MBVCB.1234.NGUYEN VAN DUC chuyen tien ung ho TKH26-7KQ3M
2;15/01/2026;5213.150126.101010;200.000;;104.800.000;Phi quan ly tai khoan
3;16/01/2026;5213.160126.080000;;1.500.000;106.300.000;ung ho tkh26 abcde
;;;;;;
Tổng cộng;;;200.000;6.500.000;;
;Tổng cộng;;200.000;6.500.000;;
"""

BIDV = """\
STT,Ngày giao dịch,Số bút toán,Tên tài khoản đối ứng,Số tài khoản đối ứng,Ghi nợ,Ghi có,Số dư,Diễn giải
1,15/01/2026 09:31:12,FT26015123456,CONG TY TNHH AN PHAT,12010000123456,,"20,000,000","120,000,000",CONG TY AN PHAT UNG HO QUY KHUYEN HOC
"""

TECHCOMBANK = (
    "Ngày giao dịch\tNgày hiệu lực\tMã giao dịch\tTên người chuyển/nhận\tTài khoản đối ứng\tNội dung\tNợ TKTT\tCó TKTT\tSố dư\n"
    "2026-01-17\t2026-01-17\tFT26017999999\tTRAN THI MAI\t19033333333011\tTKH26 XYZ23 ung ho\t\t500000\t600500000\n"
)

GENERIC = """\
Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển
18/01/2026,300.000,Ủng hộ quỹ khuyến học,,Lê Văn Hùng
18/01/2026,300.000,Ủng hộ quỹ khuyến học,,Lê Văn Hùng
19/01/2026,"1,000,000",TKH26-QWERT,REF-1,Phạm Minh
"""


def test_vietcombank_with_title_block_debits_and_totals():
    parsed = statement_parse(VCB.encode("utf-8-sig"))
    assert parsed.layout.code == "vcb"
    assert parsed.debit_rows == 1
    assert [(r.line_number, r.date, r.amount, r.reference) for r in parsed.rows] == [
        (7, datetime.date(2026, 1, 15), 5_000_000, "5213.150126.093112"),
        (9, datetime.date(2026, 1, 16), 1_500_000, "5213.160126.080000"),
    ]
    assert parsed.rows[1].memo == "ung ho tkh26 abcde" and parsed.rows[1].counterparty == ""


def test_bidv_with_comma_grouping_and_time():
    (row,) = statement_parse(BIDV.encode()).rows
    assert (row.date, row.amount, row.reference, row.counterparty) == (
        datetime.date(2026, 1, 15), 20_000_000, "FT26015123456", "CONG TY TNHH AN PHAT"
    )


def test_techcombank_tab_separated_utf16():
    parsed = statement_parse(TECHCOMBANK.encode("utf-16"))
    assert parsed.layout.code == "techcombank"
    assert [(r.amount, r.counterparty, r.memo) for r in parsed.rows] == [(500_000, "TRAN THI MAI", "TKH26 XYZ23 ung ho")]


def test_generic_and_explicit_format():
    parsed = statement_parse(GENERIC.encode(), format="generic")
    assert [r.amount for r in parsed.rows] == [300_000, 300_000, 1_000_000]
    assert parsed.rows[0].counterparty == "Lê Văn Hùng"


def test_headers_without_diacritics_still_read():
    text = "Ngay giao dich,So tien ghi co,Noi dung\n01/02/2026,100000,ung ho\n"
    assert statement_parse(text.encode()).rows[0].amount == 100_000


def test_cp1258_file():
    parsed = statement_parse(cp1258_bytes(GENERIC))
    assert parsed.rows[0].memo == "Ủng hộ quỹ khuyến học"


def test_keys_are_the_bank_reference_or_a_stable_hash_per_occurrence():
    rows = statement_parse(GENERIC.encode()).rows
    keys = line_keys(rows)
    assert keys[2] == "REF-1"
    assert keys[0].startswith("H-") and keys[1].startswith("H-") and keys[0] != keys[1]
    assert line_keys(statement_parse(GENERIC.encode()).rows) == keys  # the same file, the same keys


def test_unknown_layout_is_refused():
    with pytest.raises(StatementError) as caught:
        statement_parse(b"a,b,c\n1,2,3\n")
    assert caught.value.messages == [
        "Không nhận ra mẫu sao kê: không tìm thấy dòng tiêu đề có các cột ngày giao dịch, số tiền ghi có và nội dung."
    ]


def test_wrong_explicit_layout_is_refused():
    with pytest.raises(StatementError) as caught:
        statement_parse(GENERIC.encode(), format="bidv")
    assert caught.value.messages == ["Tệp không có dòng tiêu đề của mẫu BIDV."]


def test_unreadable_rows_are_listed_by_line():
    text = "Ngày giao dịch,Số tiền ghi có,Nội dung\n32/01/2026,100000,x\n01/02/2026,mười nghìn,y\n"
    with pytest.raises(StatementError) as caught:
        statement_parse(text.encode())
    assert caught.value.messages == [
        "Dòng 2: không đọc được ngày giao dịch “32/01/2026”.",
        "Dòng 3: không đọc được số tiền “mười nghìn”.",
    ]


# --- the same statements as Excel workbooks (numbers as numbers, dates as dates) -------------------

VCB_ROWS = [
    ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"],
    ["SAO KÊ TÀI KHOẢN"],
    ["Số tài khoản:", "0011004123456"],
    ["Từ ngày:", datetime.date(2026, 1, 1), "Đến ngày:", datetime.date(2026, 1, 31)],
    [],
    ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Mô tả"],
    [1, datetime.date(2026, 1, 15), "5213.150126.093112", None, 5000000, 105000000,
     "MBVCB.1234.NGUYEN VAN DUC chuyen tien ung ho TKH26-7KQ3M"],
    [2, datetime.date(2026, 1, 15), "5213.150126.101010", 200000, None, 104800000, "Phi quan ly tai khoan"],
    [3, datetime.date(2026, 1, 16), "5213.160126.080000", None, 1500000.0, 106300000, "ung ho tkh26 abcde"],
    [None] * 7,
    ["Tổng cộng", None, None, 200000, 6500000, None, None],
    [None, "Tổng cộng", None, 200000, 6500000, None, None],
]
GENERIC_ROWS = [
    ["Ngày giao dịch", "Số tiền ghi có", "Nội dung", "Số tham chiếu", "Tên người chuyển"],
    [datetime.date(2026, 1, 18), 300000, "Ủng hộ quỹ khuyến học", None, "Lê Văn Hùng"],
    [datetime.date(2026, 1, 18), 300000, "Ủng hộ quỹ khuyến học", None, "Lê Văn Hùng"],
    [datetime.date(2026, 1, 19), 1000000, "TKH26-QWERT", "REF-1", "Phạm Minh"],
]


def test_an_xlsx_statement_reads_as_its_csv_with_the_same_row_numbers_and_keys():
    from_xlsx, from_csv = statement_parse(xlsx_bytes(VCB_ROWS)), statement_parse(VCB.encode("utf-8-sig"))
    assert from_xlsx.layout.code == "vcb" and from_xlsx.debit_rows == from_csv.debit_rows == 1
    assert from_xlsx.rows == from_csv.rows
    assert [row.line_number for row in from_xlsx.rows] == [7, 9]

    generic_xlsx = statement_parse(xlsx_bytes(GENERIC_ROWS))
    assert generic_xlsx.rows == statement_parse(GENERIC.encode()).rows
    # Keys made from the content are the same: the workbook and its CSV are one statement, not two.
    assert line_keys(generic_xlsx.rows) == line_keys(statement_parse(GENERIC.encode()).rows)


def test_unreadable_rows_of_a_workbook_are_listed_by_excel_row():
    rows = [
        *VCB_ROWS[:7],
        [2, "32/01/2026", "X", None, 5000, None, "x"],
        [],
        [3, datetime.date(2026, 1, 16), "Y", None, "năm nghìn", None, "y"],
    ]
    with pytest.raises(StatementError) as caught:
        statement_parse(xlsx_bytes(rows))
    assert caught.value.messages == [
        "Dòng 8: không đọc được ngày giao dịch “32/01/2026”.",
        "Dòng 10: không đọc được số tiền “năm nghìn”.",
    ]


def test_a_file_that_is_no_table_is_refused_with_the_readers_message():
    with pytest.raises(StatementError) as caught:
        statement_parse(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert caught.value.messages == [
        "Tệp không phải bảng tính Excel (.xlsx) hay CSV: hãy mở tệp trong Excel và lưu lại dưới dạng .xlsx hoặc CSV (UTF-8)."
    ]

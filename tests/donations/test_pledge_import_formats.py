"""A pledge list saved from Excel as .xlsx, and as Windows-1258 CSV, imports as the UTF-8 CSV does.

The same list is written three ways and each is imported into a fresh state (a savepoint rolled
back after the snapshot); the donors and pledges created are compared field by field. In the
workbook the cells are what a treasurer types in Excel: amounts and the number of installments as
numbers, the phone as a number (Excel drops its leading zero), yes as TRUE, the tax code as text.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from donations.models import Pledge
from donations.services import pledges_import
from fundmgr.core.tabular import TABLE_FILE_ACCEPT
from tests.tabular_files import cp1258_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Họ tên", "Loại", "E-mail", "Điện thoại", "Mã số thuế", "Địa chỉ", "Số tiền", "Quỹ", "Số đợt", "Ẩn danh",
          "Ghi danh bảng vàng", "Lời nhắn"]
CSV_TEXT = (
    ";".join(HEADER) + "\n"
    "Nguyễn Thị Tuyết;Cá nhân;tuyet@example.vn;0912345678;;Số 5 phố Đặng Tất, phường Ba Đình;5.000.000;;1;;có;"
    "Chúc các em học giỏi, đỗ đạt!\n"
    ";;;;;;;;;;;\n"
    "Công ty TNHH Thương mại Hưng Thịnh;Doanh nghiệp;;;0100109106;Khu công nghiệp Lễ Môn;20.000.000;NCUM;4;;x;\n"
    "Trương Văn Đức;Cá nhân;;0987654321;;Xã Quảng Hưng;1.500.000;QKH-TH;;có;;"
    "Ủng hộ quỹ khuyến học, mong các cháu vượt khó\n"
)
XLSX_ROWS = [
    HEADER,
    ["Nguyễn Thị Tuyết", "Cá nhân", "tuyet@example.vn", 912345678, None, "Số 5 phố Đặng Tất, phường Ba Đình",
     5000000, None, 1, None, True, "Chúc các em học giỏi, đỗ đạt!"],
    [],
    ["Công ty TNHH Thương mại Hưng Thịnh", "Doanh nghiệp", None, None, "0100109106", "Khu công nghiệp Lễ Môn",
     20000000.0, "NCUM", 4, None, "x", None],
    ["Trương Văn Đức", "Cá nhân", None, "0987654321", None, "Xã Quảng Hưng", 1500000, "QKH-TH", None, True, False,
     "Ủng hộ quỹ khuyến học, mong các cháu vượt khó"],
]
FILES = {
    "utf-8": CSV_TEXT.encode("utf-8"),
    "windows-1258": cp1258_bytes(CSV_TEXT),
    "xlsx": xlsx_bytes(XLSX_ROWS),
}


def snapshot(pledges):
    return [
        (
            pledge.donor.name, pledge.donor.kind, pledge.donor.phone, pledge.donor.email, pledge.donor.tax_code,
            pledge.donor.address, pledge.contact_name, pledge.amount, pledge.fund.code, pledge.anonymous,
            pledge.list_on_honor_roll, pledge.message, pledge.channel,
            list(pledge.installments.order_by("number").values_list("number", "amount")),
        )
        for pledge in pledges
    ]


def imported(campaign, content):
    """What importing `content` into a campaign without pledges creates; rolled back afterwards."""
    with transaction.atomic():
        result = pledges_import(campaign=campaign, content=content)
        assert (result.created, result.existing) == (3, 0)
        pledges = Pledge.objects.filter(campaign=campaign).select_related("donor", "fund").order_by("pk")
        assert [pledge.pk for pledge in result.pledges] == [pledge.pk for pledge in pledges]
        created = snapshot(pledges)
        transaction.set_rollback(True)
    return created


def test_the_files_really_differ():
    with pytest.raises(UnicodeDecodeError):
        FILES["windows-1258"].decode("utf-8")
    assert b"\xcc" in FILES["windows-1258"]  # a combining tone mark (ế, ặ, ỡ are not in the code page)
    assert FILES["xlsx"].startswith(b"PK\x03\x04")


def test_a_list_from_excel_and_in_windows_1258_imports_as_the_utf8_csv(campaign):
    snapshots = {name: imported(campaign, content) for name, content in FILES.items()}

    tuyet, company, duc = snapshots["utf-8"]
    assert tuyet[:9] == ("Nguyễn Thị Tuyết", "individual", "+84912345678", "tuyet@example.vn", "",
                         "Số 5 phố Đặng Tất, phường Ba Đình", "Nguyễn Thị Tuyết", 5_000_000, "QKH-TH")
    assert tuyet[9:12] == (False, True, "Chúc các em học giỏi, đỗ đạt!")
    assert company[:9] == ("Công ty TNHH Thương mại Hưng Thịnh", "business", "", "", "0100109106",
                           "Khu công nghiệp Lễ Môn", "Công ty TNHH Thương mại Hưng Thịnh", 20_000_000, "NCUM")
    assert [amount for _number, amount in company[13]] == [5_000_000] * 4
    assert duc[:9] == ("Trương Văn Đức", "individual", "+84987654321", "", "", "Xã Quảng Hưng", "Trương Văn Đức",
                       1_500_000, "QKH-TH")
    assert duc[9:12] == (True, False, "Ủng hộ quỹ khuyến học, mong các cháu vượt khó")
    assert snapshots["windows-1258"] == snapshots["utf-8"]
    assert snapshots["xlsx"] == snapshots["utf-8"]
    assert Pledge.objects.count() == 0  # each import was rolled back


def test_a_bad_row_of_a_workbook_is_named_by_its_excel_row(campaign):
    rows = [list(row) for row in XLSX_ROWS]
    rows[4][6] = "mười lăm"  # row 5 (row 3 is empty): an amount in words
    with pytest.raises(ValidationError) as raised:
        pledges_import(campaign=campaign, content=xlsx_bytes(rows))
    assert raised.value.messages == [
        "Dòng 5: Số tiền: Không đọc được số tiền. Hãy viết, ví dụ: 1.000.000, 5 triệu hoặc 500k."
    ]
    assert Pledge.objects.count() == 0


def test_the_command_and_the_admin_pages_take_an_xlsx_file(campaign, treasurer, client, tmp_path):
    client.force_login(treasurer)
    page = client.get(reverse("admin:donations_pledge_import"))
    assert f'accept="{TABLE_FILE_ACCEPT}"' in page.content.decode()

    response = client.post(reverse("admin:donations_pledge_import"), {
        "campaign": campaign.pk, "file": SimpleUploadedFile("cam-ket.xlsx", FILES["xlsx"]),
    })
    assert response.status_code == 302
    assert Pledge.objects.count() == 3

    statement_page = client.get(reverse("admin:donations_bankstatementimport_add"))
    assert f'accept="{TABLE_FILE_ACCEPT}"' in statement_page.content.decode()

    path = tmp_path / "cam-ket.xlsx"
    path.write_bytes(FILES["xlsx"])
    call_command("import_pledges", str(path), "--campaign", campaign.slug)  # the same file again: nothing new
    assert Pledge.objects.count() == 3

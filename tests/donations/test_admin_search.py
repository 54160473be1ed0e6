"""Searching the admin's lists without diacritics: names, pledge codes, receipt numbers, bank references.

Runs on SQLite (the folding function registered on the connection) and on PostgreSQL (`translate`).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.models import Pledge
from donations.services import pledge_create
from donations.services.bank_statement import statement_import
from receipts.models import Receipt

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")


def make_pledge(campaign, name, amount):
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              channel=Pledge.Channel.ADMIN)
    return pledge


def listed(client, url_name, term):
    response = client.get(reverse(url_name), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("spelling", ["Nguyễn Thị Hoà", "Nguyễn Thị Hòa", "NGUYỄN THỊ HOÀ"])
def test_a_name_typed_without_diacritics_finds_the_donor_and_their_pledges(treasurer_client, campaign, spelling):
    pledge = make_pledge(campaign, spelling, 1_000_000)
    other = make_pledge(campaign, "Nguyễn Thị Hoàng Anh", 2_000_000)
    make_pledge(campaign, "Trần Văn Hòa", 3_000_000)

    assert set(listed(treasurer_client, "admin:donations_donor_changelist", "nguyen thi hoa")) == {pledge.donor, other.donor}
    assert set(listed(treasurer_client, "admin:donations_pledge_changelist", "nguyen thi hoa")) == {pledge, other}
    assert listed(treasurer_client, "admin:donations_pledge_changelist", "nguyen hoang") == [other]
    assert listed(treasurer_client, "admin:donations_pledge_changelist", '"hoa nguyen"') == []  # quotes keep the order
    assert listed(treasurer_client, "admin:donations_pledge_changelist", "Hoà Nguyễn thị") != []  # words in any order


def test_the_receipt_list_finds_a_receipt_by_pledge_code_receipt_number_and_bank_reference(treasurer_client, campaign, unit, treasurer):
    hoa = make_pledge(campaign, "Nguyễn Thị Hoà", 1_000_000)
    binh = make_pledge(campaign, "Lê Văn Bình", 2_000_000)
    content = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f'"{DAY}","1.000.000","ung ho {hoa.reference}","FT26012345678","NGUYEN THI HOA"\n'
        f'"{DAY}","2.000.000","ung ho {binh.reference}","FT26099999999","LE VAN BINH"\n'
    ).encode()
    statement_import(unit=unit, file_name="sao-ke.csv", content=content, created_by=treasurer)
    receipt = Receipt.objects.get(payment__pledge=hoa)
    other = Receipt.objects.get(payment__pledge=binh)
    assert receipt != other

    url = "admin:receipts_receipt_changelist"
    assert listed(treasurer_client, url, hoa.reference) == [receipt]
    assert listed(treasurer_client, url, hoa.reference.lower()) == [receipt]
    assert listed(treasurer_client, url, receipt.number) == [receipt]
    assert listed(treasurer_client, url, "FT26012345678") == [receipt]
    assert listed(treasurer_client, url, "ft26012345678") == [receipt]
    assert listed(treasurer_client, url, "nguyen thi hoa") == [receipt]
    assert listed(treasurer_client, url, "khong co ai") == []


def test_the_bank_lines_and_payments_are_searched_folded(treasurer_client, campaign, unit, treasurer):
    content = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f'"{DAY}","700.000","Ủng hộ khuyến học","FT777","ĐẶNG THỊ HƯƠNG"\n'
    ).encode()
    statement_import(unit=unit, file_name="a.csv", content=content, created_by=treasurer)
    assert len(listed(treasurer_client, "admin:donations_bankstatementline_changelist", "dang thi huong")) == 1
    assert len(listed(treasurer_client, "admin:donations_bankstatementline_changelist", "ung ho")) == 1
    assert len(listed(treasurer_client, "admin:donations_bankstatementline_changelist", "ft777")) == 1

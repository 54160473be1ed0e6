"""The receipts register: every receipt, voided ones with their reason, time and a negative line.

The scene: the province issues PT 1 (Nguyễn Thị Hồng Nhung, 1.5 million) and PT 2 (a payer named
like a spreadsheet formula, 2 million), then voids PT 2; the commune issues its own PT 1 (700,000).
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import Donor, Payment
from donations.services import receipt_void
from fundmgr.core.exporting import ExportRequest, exporter_get
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import visible_units
from receipts.exporters import ReceiptsRegisterForm
from tests.exporting import written_rows

from .conftest import record_payment, user_with_role

pytestmark = pytest.mark.django_db

FORMULA_NAME = '=HYPERLINK("x")'
DAY = datetime.date(2026, 2, 17)


@pytest.fixture
def scene(province, commune, fund, donor, treasurer):
    formula_donor = Donor.objects.create(name=FORMULA_NAME, name_normalized="hyperlink x", unit=province,
                                         address="-1 Lê Lợi")
    commune_fund = Fund.objects.create(code="QKH-HT", name="Quỹ Khuyến học phường Hạc Thành", unit=commune)
    _payment, first = record_payment(donor=donor, fund=fund, unit=province, received_on=DAY, recorded_by=treasurer)
    _payment, second = record_payment(donor=formula_donor, fund=fund, unit=province, amount=2_000_000,
                                      method=Payment.Method.CASH, received_on=DAY, recorded_by=treasurer)
    _payment, commune_receipt = record_payment(donor=donor, fund=commune_fund, unit=commune, amount=700_000,
                                               method=Payment.Method.CASH, received_on=DAY, recorded_by=treasurer)
    voided = receipt_void(receipt=second, reason="Ghi nhầm người nộp", voided_by=treasurer)
    return first, voided, commune_receipt


def register(params=None, **request):
    exporter = exporter_get("receipts_register")
    return list(exporter.rows(ExportRequest(params=params or {}, **request)))


def test_the_register_lists_every_receipt_voided_ones_with_reason_time_and_a_negative_line(scene, province, commune):
    first, voided, commune_receipt = scene
    voided_at = timezone.localtime(voided.voided_at).isoformat(timespec="seconds")

    rows = register()

    assert rows == [
        (first.number, DAY, province.name, "Nguyễn Thị Hồng Nhung", "***", first.reason,
         "Quỹ Khuyến học tỉnh Thanh Hóa", "Chuyển khoản", 1_500_000, "Đã phát hành", 0, "", ""),
        (voided.number, DAY, province.name, FORMULA_NAME, "***", voided.reason,
         "Quỹ Khuyến học tỉnh Thanh Hóa", "Tiền mặt", 2_000_000, "Đã hủy", -2_000_000, "Ghi nhầm người nộp", voided_at),
        (commune_receipt.number, DAY, commune.name, "Nguyễn Thị Hồng Nhung", "***", commune_receipt.reason,
         "Quỹ Khuyến học phường Hạc Thành", "Tiền mặt", 700_000, "Đã phát hành", 0, "", ""),
    ]
    assert register(personal=True)[0][4] == "Thôn Đông Sơn, xã Quảng Xương, tỉnh Thanh Hóa"


def test_the_register_filters_by_state_and_date(scene):
    first, voided, commune_receipt = scene
    form = ReceiptsRegisterForm({"state": "voided", "date_from": "2026-02-17", "date_to": "2026-02-17"})
    assert form.is_valid(), form.errors

    assert [row[0] for row in register(form.cleaned_data)] == [voided.number]
    assert register({"date_from": DAY + datetime.timedelta(days=1)}) == []


def test_a_commune_auditor_reads_only_the_communes_receipts(scene, commune, django_user_model):
    auditor = user_with_role(django_user_model, "kiemtra-xa", Membership.Role.AUDITOR, commune)
    units = frozenset(visible_units(auditor, roles_with(Action.VIEW, Domain.MONEY)).values_list("pk", flat=True))

    assert [row[0] for row in register(unit_ids=units)] == [scene[2].number]
    assert register(unit_ids=units)[0][2] == commune.name


def test_a_formula_stays_text_and_the_voided_line_a_negative_number_in_csv_and_xlsx(scene):
    csv_rows, xlsx_rows, manifest = written_rows("receipts_register", ExportRequest(params={}))

    assert csv_rows[2][3] == xlsx_rows[2][3] == "'" + FORMULA_NAME
    assert csv_rows[2][10] == "-2000000"
    assert xlsx_rows[2][10] == -2_000_000 and isinstance(xlsx_rows[2][10], int)
    assert xlsx_rows[2][8] == 2_000_000 and xlsx_rows[2][1] == datetime.datetime(2026, 2, 17)
    # What the receipts still certify: the issued amounts plus the voided lines.
    assert manifest.totals == {"số tiền": 4_200_000, "ghi giảm do hủy": -2_000_000}


def test_the_register_reads_one_query_whatever_the_rows(scene, django_assert_num_queries):
    with django_assert_num_queries(1):  # the receipts, ordered by their unit's path (a join)
        rows = register()
    assert len(rows) == 3
    assert exporter_get("receipts_register").count(ExportRequest(params={})) == 3  # the progress bar's total

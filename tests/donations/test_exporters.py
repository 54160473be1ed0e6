"""The money-in books (pledges outstanding, the campaign report, donors) as worked examples.

The scene: the province's Tết campaign with two pledges (An Phát 10 million, 4 million paid;
Bình 5 million, paid in full) and a commune's campaign with one pledge of 3 million, nothing paid,
from a donor whose name is a spreadsheet formula. A commune auditor's request reads the commune only.
"""

import datetime
import itertools

import pytest
from django.utils import timezone

from donations.exporters import CampaignReportForm, PledgesOutstandingForm
from donations.models import Donor, Payment, Pledge
from donations.services import payment_record, pledge_create
from fundmgr.core.exporting import ExportRequest, exporter_get
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import visible_units
from tests.exporting import written_rows

from .conftest import campaign_make

pytestmark = pytest.mark.django_db

FORMULA_NAME = '=HYPERLINK("x")'
_bank_references = itertools.count(1)


def make_pledge(campaign, name, kind, amount, **contacts):
    pledge, _created = pledge_create(
        campaign=campaign, donor_name=name, donor_kind=kind, amount=amount, channel=Pledge.Channel.ADMIN, **contacts,
    )
    return pledge


def pay(pledge, amount):
    return payment_record(
        donor=pledge.donor, amount=amount, method=Payment.Method.BANK_TRANSFER, received_on=timezone.localdate(),
        unit=pledge.campaign.unit, pledge=pledge, bank_reference=f"FT-EXPORT-{next(_bank_references)}",
    )


@pytest.fixture
def commune(ward):
    return ward


@pytest.fixture
def scene(campaign, commune):
    commune_fund = Fund.objects.create(code="QKH-HT", name="Quỹ Khuyến học phường Hạc Thành", unit=commune)
    commune_campaign = campaign_make(unit=commune, fund=commune_fund, slug="tet-hac-thanh-2026", prefix="HT26")
    an_phat = make_pledge(campaign, "Công ty TNHH An Phát", "business", 10_000_000,
                          email="ketoan@anphat.vn", phone="0912345678", tax_code="0100109106")
    binh = make_pledge(campaign, "Trần Văn Bình", "individual", 5_000_000)
    formula = make_pledge(commune_campaign, FORMULA_NAME, "individual", 3_000_000, address="Phố Lê Lợi")
    pay(an_phat, 4_000_000)
    pay(binh, 5_000_000)
    return {"an_phat": an_phat, "binh": binh, "formula": formula, "commune_campaign": commune_campaign}


def rows_of(name, params=None, **request):
    exporter = exporter_get(name)
    return list(exporter.rows(ExportRequest(params=params or {}, **request)))


def commune_auditor_units(commune, django_user_model):
    auditor = django_user_model.objects.create_user(username="kiemtra-xa", password="x" * 12)
    Membership.objects.create(user=auditor, unit=commune, role=Membership.Role.AUDITOR)
    return frozenset(visible_units(auditor, roles_with(Action.VIEW, Domain.MONEY)).values_list("pk", flat=True))


def cleaned(form_class, data):
    form = form_class(data)
    assert form.is_valid(), form.errors
    return form.cleaned_data


def test_pledges_outstanding_lists_what_is_still_to_pay(scene, campaign, unit, commune, fund):
    today = timezone.localdate()
    an_phat, formula = scene["an_phat"], scene["formula"]

    rows = rows_of("pledges_outstanding", cleaned(PledgesOutstandingForm, {"which": "outstanding"}))

    assert rows == [
        (an_phat.reference, campaign.name, unit.name, "Công ty TNHH An Phát", "Doanh nghiệp", fund.name, today,
         "Đã nộp một phần", 10_000_000, 4_000_000, 6_000_000, 0, "không"),
        (formula.reference, scene["commune_campaign"].name, commune.name, FORMULA_NAME, "Cá nhân",
         "Quỹ Khuyến học phường Hạc Thành", today, "Đã cam kết", 3_000_000, 0, 3_000_000, 0, "không"),
    ]


def test_overdue_pledges_are_those_whose_installments_due_exceed_what_was_paid(scene):
    an_phat, formula = scene["an_phat"], scene["formula"]
    after_all_due = max(item.due_on for item in an_phat.installments.all()) + datetime.timedelta(days=1)
    params = cleaned(PledgesOutstandingForm, {"which": "overdue", "as_of": after_all_due.isoformat()})

    rows = rows_of("pledges_outstanding", params)

    assert [(row[0], row[10], row[11], row[12]) for row in rows] == [
        (an_phat.reference, 6_000_000, 6_000_000, "có"), (formula.reference, 3_000_000, 3_000_000, "có"),
    ]
    # Today nothing is due yet: nothing is overdue.
    assert rows_of("pledges_outstanding", cleaned(PledgesOutstandingForm, {"which": "overdue"})) == []


def test_a_commune_auditor_reads_only_the_communes_rows(scene, campaign, commune, django_user_model):
    units = commune_auditor_units(commune, django_user_model)

    outstanding = rows_of("pledges_outstanding", {"which": "outstanding"}, unit_ids=units)
    donors = rows_of("donors", {}, unit_ids=units)

    assert [row[0] for row in outstanding] == [scene["formula"].reference]
    assert [row[2] for row in donors] == [FORMULA_NAME]
    # A campaign of the province asked for by name still gives nothing.
    assert rows_of("campaign_report", {"campaign": campaign}, unit_ids=units) == []
    assert rows_of("pledges_outstanding", {"campaign": campaign}, unit_ids=units) == []
    assert rows_of("campaign_report", {"campaign": scene["commune_campaign"]}, unit_ids=units) != []


def test_the_campaign_report_by_fund_donor_kind_unit_and_day(scene, campaign, unit, fund, second_fund):
    today = timezone.localdate()

    rows = rows_of("campaign_report", cleaned(CampaignReportForm, {"campaign": campaign.pk}))

    assert rows == [
        ("quỹ", second_fund.name, None, 0, 0, 0),  # funds by code: NCUM, QKH-TH
        ("quỹ", fund.name, None, 15_000_000, 9_000_000, 2),
        ("loại nhà hảo tâm", "Cá nhân", None, 5_000_000, 5_000_000, 1),
        ("loại nhà hảo tâm", "Doanh nghiệp", None, 10_000_000, 4_000_000, 1),
        ("đơn vị", unit.name, None, 15_000_000, 9_000_000, 2),
        ("ngày", today.isoformat(), today, None, 9_000_000, None),
    ]


def test_donors_show_names_and_mask_contacts_unless_personal(scene, unit, commune):
    an_phat = Donor.objects.get(name="Công ty TNHH An Phát")
    created = timezone.localtime(an_phat.created_at).date()

    masked = rows_of("donors", {"kind": "business"})
    personal = rows_of("donors", {"kind": "business"}, personal=True)

    assert masked == [(an_phat.pk, "Doanh nghiệp", "Công ty TNHH An Phát", "k***@anphat.vn", "+84*****678", "***", "",
                       unit.name, "không", created, 10_000_000, 4_000_000)]
    assert personal == [(an_phat.pk, "Doanh nghiệp", "Công ty TNHH An Phát", "ketoan@anphat.vn", "+84912345678",
                         "0100109106", "", unit.name, "không", created, 10_000_000, 4_000_000)]
    assert [row[2] for row in rows_of("donors")] == ["Công ty TNHH An Phát", "Trần Văn Bình", FORMULA_NAME]


def test_a_donor_named_like_a_formula_is_escaped_in_csv_and_xlsx(scene):
    csv_rows, xlsx_rows, csv_manifest = written_rows("donors", ExportRequest(params={}))

    assert csv_rows[3][2] == xlsx_rows[3][2] == "'" + FORMULA_NAME
    assert xlsx_rows[1][10:] == (10_000_000, 4_000_000)  # amounts are numbers
    assert csv_manifest.rows == 3 and csv_manifest.totals == {"tổng cam kết": 18_000_000, "đã nộp": 9_000_000}


@pytest.mark.parametrize(("name", "params", "queries"), [
    ("pledges_outstanding", {"which": "outstanding"}, 1),  # the pledges with their sums as subqueries
    ("donors", {}, 1),  # the donors with their sums as subqueries
    ("campaign_report", None, 6),  # by fund 1, by donor kind 2, by unit 2, by day 1
])
def test_exporters_read_a_fixed_number_of_queries(scene, campaign, name, params, queries, django_assert_num_queries):
    for extra in range(3):  # more rows, the same queries
        make_pledge(campaign, f"Nhà hảo tâm {extra}", "agency", 1_000_000)
    params = {"campaign": campaign} if params is None else params

    with django_assert_num_queries(queries):
        rows = rows_of(name, params)

    assert len(rows) >= 3
    count = exporter_get(name).count
    assert count is None or count(ExportRequest(params=params)) == len(rows)  # the progress bar's total

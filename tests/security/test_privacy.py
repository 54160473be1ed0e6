"""Personal data: masking, anonymising a record, and a donor's own data export."""

import datetime
import json

import pytest

from campaigns.models import Campaign
from donations.models import Donor, Payment, Pledge, PledgeInstallment
from donations.selectors import donor_data_export
from fundmgr.audit.masking import mask_personal, mask_value, personal_fields
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import ANONYMISED_TEXT, anonymise
from fundmgr.ledger.models import Fund


@pytest.mark.parametrize(
    "value, kind, masked",
    [
        ("+84912345678", "phone", "+84*****678"),
        ("0912345678", "phone", "091*****678"),
        ("123", "phone", "*****"),
        ("nguyenvana@gmail.com", "email", "n***@gmail.com"),
        ("a@b.vn", "email", "a***@b.vn"),
        ("not-an-email", "email", "***"),
        ("Nguyễn Văn An", "name", "N.V.A."),
        ("  Đỗ   Thị Mai ", "name", "Đ.T.M."),
        ("Số 1 phố Huế", "redact", "***"),
        ("", "phone", ""),
        (None, "email", None),
    ],
)
def test_mask_value(value, kind, masked):
    assert mask_value(value, kind) == masked


def test_mask_personal_copies_and_masks_only_the_named_fields():
    data = {"phone": "+84912345678", "email": "nguyenvana@gmail.com", "full_name": "Lê Văn Tám", "amount": 500_000}
    masked = mask_personal(data, ["phone", "email", "full_name", "missing"])
    assert masked == {"phone": "+84*****678", "email": "n***@gmail.com", "full_name": "L.V.T.", "amount": 500_000}
    assert data["phone"] == "+84912345678"  # the input is not changed
    assert mask_personal(data, {"amount": "redact"})["amount"] == "***"
    assert mask_personal(None, ["phone"]) is None
    with pytest.raises(ValueError, match="unknown masking kind"):
        mask_personal(data, {"phone": "scramble"})


def test_personal_fields_come_from_settings_with_patterns(settings):
    assert personal_fields("donations.donor")["phone"] == "phone"
    assert personal_fields("scholarships.student")["full_name"] == "name"
    assert personal_fields("ledger.journalentry") == {}
    settings.AUDIT_PERSONAL_FIELDS = {"ledger.*": {"memo": "redact"}}
    assert personal_fields("ledger.journalentry") == {"memo": "redact"}
    assert personal_fields("donations.donor") == {}


# --- with data ---------------------------------------------------------------------------------

@pytest.fixture
def books(units):
    fund = Fund.objects.create(code="QKH-S", name="Quỹ Khuyến học tỉnh", unit=units.province)
    campaign = Campaign.objects.create(
        name="Tết khuyến học Bính Ngọ 2026", slug="tet-2026", unit=units.province, lunar_year=2026,
        reference_prefix="TKH26", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 3, 31),
        goal=1_000_000_000, default_fund=fund, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0011004455667", bank_account_name="HOI KHUYEN HOC",
    )
    campaign.funds.add(fund)
    return fund, campaign


@pytest.fixture
def donor(units):
    return Donor.objects.create(
        name="Nguyễn Văn An", name_normalized="nguyen van an", email="nguyenvana@gmail.com",
        phone="+84912345678", address="Số 1 phố Huế", unit=units.province,
        email_consent=True, email_consent_at=datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC),
    )


def test_anonymise_erases_the_fields_and_records_which_without_the_old_values(donor, make_user):
    officer = make_user("baomat", superuser=True)
    changed = anonymise(donor, ["name", "name_normalized", "email", "phone", "address", "tax_code"], actor=officer)

    assert changed == ["name", "name_normalized", "email", "phone", "address"]  # tax_code was already empty
    donor.refresh_from_db()
    assert (donor.name, donor.email, donor.phone, donor.address) == (ANONYMISED_TEXT, "", "", "")
    event = AuditEvent.objects.get(source=AuditEvent.Source.SERVICE)
    assert (event.action, event.actor, event.before) == ("change", officer, None)
    assert event.after == {"anonymised": ["address", "email", "name", "name_normalized", "phone"]}
    assert "Nguyễn" not in str(event.after)

    assert anonymise(donor, ["name", "email"]) == []  # a second run changes nothing and logs nothing
    assert AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE).count() == 1


def test_anonymise_refuses_a_field_it_cannot_empty(donor):
    with pytest.raises(ValueError, match="cannot anonymise"):
        anonymise(donor, ["email_consent"])
    donor.refresh_from_db()
    assert donor.email == "nguyenvana@gmail.com"


def test_donor_data_export_holds_the_donor_and_their_pledges_and_payments(
    books, donor, units, django_assert_num_queries
):
    fund, campaign = books
    old_record = Donor.objects.create(
        name="Nguyen Van An", name_normalized="nguyen van an", phone="0912345678", unit=units.province, merged_into=donor,
    )
    stranger = Donor.objects.create(name="Trần Thị Bình", name_normalized="tran thi binh", unit=units.province)
    pledge = Pledge.objects.create(
        reference="TKH26-7KQ3M", donor=donor, campaign=campaign, fund=fund, amount=5_000_000,
        channel=Pledge.Channel.FORM, message="Chúc các cháu học giỏi",
    )
    PledgeInstallment.objects.create(pledge=pledge, number=1, due_on=datetime.date(2026, 2, 1), amount=5_000_000)
    Payment.objects.create(
        donor=old_record, fund=fund, unit=units.province, amount=2_000_000, method=Payment.Method.CASH,
        received_on=datetime.date(2026, 1, 20),
    )
    Payment.objects.create(
        donor=donor, pledge=pledge, fund=fund, unit=units.province, amount=5_000_000,
        method=Payment.Method.BANK_TRANSFER, received_on=datetime.date(2026, 2, 1), bank_reference="FT26032123456",
    )
    Pledge.objects.create(
        reference="TKH26-XXXXX", donor=stranger, campaign=campaign, fund=fund, amount=1, channel=Pledge.Channel.ADMIN,
    )
    audit_rows_before = AuditEvent.objects.count()

    # merged records, pledges, their installments, payments
    with django_assert_num_queries(4):
        data = donor_data_export(donor)

    assert data["donor"]["email"] == "nguyenvana@gmail.com"  # their own data, unmasked
    assert data["donor"]["email_consent_at"] == "2026-01-05T08:00:00+00:00"
    assert [record["phone"] for record in data["merged_donor_records"]] == ["0912345678"]
    assert [(p["reference"], p["amount"], p["campaign"]) for p in data["pledges"]] == [
        ("TKH26-7KQ3M", 5_000_000, "Tết khuyến học Bính Ngọ 2026")
    ]
    assert data["pledges"][0]["installments"] == [{"number": 1, "due_on": "2026-02-01", "amount": 5_000_000}]
    assert [(p["amount"], p["pledge"], p["received_on"]) for p in data["payments"]] == [
        (2_000_000, None, "2026-01-20"), (5_000_000, "TKH26-7KQ3M", "2026-02-01"),
    ]
    assert "Trần Thị Bình" not in str(data)
    json.dumps(data)  # ready to hand out as a file
    assert AuditEvent.objects.count() == audit_rows_before  # it only reads


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+SUM(1+1)*cmd|' /C calc'!A0", "'+SUM(1+1)*cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Công ty A-B", "Công ty A-B"),
        (-500_000, -500_000),
        (None, None),
    ],
)
def test_spreadsheet_safe_neutralises_formulas_only(value, expected):
    from fundmgr.core.spreadsheet import spreadsheet_safe, spreadsheet_safe_row

    assert spreadsheet_safe(value) == expected
    assert spreadsheet_safe_row([value, 1]) == [expected, 1]

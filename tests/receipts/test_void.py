"""Voiding a receipt: a reason, a treasurer of the issuing unit, the reversal posted, the number kept.

A worked example: Nhung pays 1.500.000 ₫ by bank transfer; the treasurer sees it was recorded
twice (it was one transfer), voids the second receipt, and the fund's balance is 1.500.000 ₫
again. The voided number stays in the register; the next payment takes the next number.
"""

import datetime
import importlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Payment, Pledge
from donations.progress import campaign_progress
from donations.selectors import pledge_paid_amounts
from donations.services import payment_record, payment_void, pledge_create, pledge_write_off, receipt_void
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry
from fundmgr.ledger.selectors import account_balances, fund_balances
from fundmgr.ledger.services import entry_reverse
from receipts.models import Receipt, ReceiptCounter

from .conftest import record_payment

pytestmark = pytest.mark.django_db


def test_worked_example_a_duplicate_payment_is_voided(province, fund, donor, treasurer, today):
    first, receipt_one = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
    second, receipt_two = record_payment(donor=donor, fund=fund, unit=province, recorded_by=treasurer)
    assert fund_balances() == {fund.pk: 3_000_000}

    voided = receipt_void(receipt=receipt_two, reason="  Ghi trùng   giao dịch  ", voided_by=treasurer)

    assert (voided.state, voided.void_reason, voided.voided_by) == ("voided", "Ghi trùng giao dịch", treasurer)
    assert voided.voided_at is not None
    reversal = voided.void_entry
    assert reversal.reverses == second.journal_entry
    assert reversal.reversal_reason == f"Hủy phiếu thu {receipt_two.number}: Ghi trùng giao dịch"
    assert reversal.date == today and reversal.created_by == treasurer
    assert fund_balances() == {fund.pk: 1_500_000}
    assert account_balances()[accounts.BANK] == 1_500_000
    # The number stays in the register, with what it certified.
    assert list(Receipt.objects.order_by("sequence").values_list("number", "state", "amount")) == [
        (receipt_one.number, "issued", 1_500_000), (receipt_two.number, "voided", 1_500_000),
    ]
    # A corrected payment is a new payment with a new number.
    _third, receipt_three = record_payment(donor=donor, fund=fund, unit=province, amount=2_000_000)
    assert receipt_three.sequence == 3
    assert ReceiptCounter.objects.get().last_number == 3


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required_and_nothing_is_written_without_one(province, fund, donor, treasurer, reason):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        receipt_void(receipt=receipt, reason=reason, voided_by=treasurer)
    assert error.value.message_dict == {"reason": ["Hãy ghi lý do hủy phiếu thu."]}
    assert Receipt.objects.get(pk=receipt.pk).state == "issued"
    assert JournalEntry.objects.count() == entries


def test_only_a_treasurer_of_the_issuing_unit_or_above_may_void(
    province, commune, fund, donor, treasurer, commune_treasurer, auditor, django_user_model
):
    _payment, province_receipt = record_payment(donor=donor, fund=fund, unit=province)
    _payment, commune_receipt = record_payment(donor=donor, fund=fund, unit=commune)
    stranger = django_user_model.objects.create_user(username="khach", password="x" * 12)
    entries = JournalEntry.objects.count()
    for user, receipt in (
        (commune_treasurer, province_receipt),  # a unit below is not the issuing unit
        (auditor, province_receipt),  # auditors look, they do not change
        (stranger, province_receipt),
        (None, province_receipt),
    ):
        with pytest.raises(PermissionDenied, match="Chỉ thủ quỹ / kế toán của đơn vị thu mới được làm việc này."):
            receipt_void(receipt=receipt, reason="Sai", voided_by=user)
    assert set(Receipt.objects.values_list("state", flat=True)) == {"issued"}
    assert JournalEntry.objects.count() == entries

    receipt_void(receipt=commune_receipt, reason="Sai đơn vị", voided_by=commune_treasurer)
    receipt_void(receipt=province_receipt, reason="Sai quỹ", voided_by=treasurer)
    assert set(Receipt.objects.values_list("state", flat=True)) == {"voided"}


def test_a_receipt_is_voided_once(province, fund, donor, treasurer):
    _payment, receipt = record_payment(donor=donor, fund=fund, unit=province)
    receipt_void(receipt=receipt, reason="Ghi nhầm", voided_by=treasurer)
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        receipt_void(receipt=receipt, reason="Lần nữa", voided_by=treasurer)
    assert error.value.messages == [f"Phiếu thu {receipt.number} đã bị hủy trước đó."]
    assert JournalEntry.objects.count() == entries
    assert Receipt.objects.get(pk=receipt.pk).void_reason == "Ghi nhầm"


# --- the pledge and the campaign follow the void ------------------------------------------------

@pytest.fixture
def campaign(province, fund, today):
    campaign = Campaign.objects.create(
        name="Tết khuyến học Xuân Bính Ngọ 2026", slug="tet-2026", unit=province, lunar_year=2026,
        reference_prefix="TKH26", starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=60), goal=6_000_000_000, default_fund=fund,
        status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.add(fund)
    return campaign


def pledge_of(campaign, donor, amount):
    pledge, _created = pledge_create(
        campaign=campaign, donor_name=donor.name, donor_kind="individual", email=donor.email, amount=amount,
        channel=Pledge.Channel.ADMIN,
    )
    assert pledge.donor == donor
    return pledge


def pay(pledge, amount, treasurer):
    payment = payment_record(
        donor=pledge.donor, pledge=pledge, amount=amount, method=Payment.Method.BANK_TRANSFER,
        received_on=timezone.localdate(), unit=pledge.campaign.unit, recorded_by=treasurer,
        bank_reference=f"FT-VOID-{pledge.pk}-{amount}-{Payment.objects.count()}",
    )
    return payment, payment.receipt


def paid_amount(pledge):
    return pledge_paid_amounts(Pledge.objects.filter(pk=pledge.pk)).get().paid_amount


def service_rows(after_pk):
    return list(
        AuditEvent.objects.filter(source=AuditEvent.Source.SERVICE, pk__gt=after_pk).order_by("pk")
        .values_list("action", "model_label", "object_id", "before", "after")
    )


def test_worked_example_a_voided_payment_leaves_the_pledge_and_the_campaign(campaign, fund, donor, treasurer):
    """Nhung pledges 5.000.000 ₫ and the treasurer records 5.000.000 ₫ received; her bank shows she
    sent 3.000.000 ₫ (the amount was typed wrong). The receipt is voided: the pledge is back to
    pledged with nothing paid, the fund and the campaign back to 0. The corrected payment of
    3.000.000 ₫ gets a new number and leaves the pledge partially paid."""
    pledge = pledge_of(campaign, donor, 5_000_000)
    payment, receipt = pay(pledge, 5_000_000, treasurer)
    pledge.refresh_from_db()
    assert (pledge.status, paid_amount(pledge)) == ("fulfilled", 5_000_000)
    assert fund_balances() == {fund.pk: 5_000_000}
    assert campaign_progress(campaign).received == 5_000_000

    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    receipt_void(receipt=receipt, reason="Nhập sai số tiền", voided_by=treasurer)

    pledge.refresh_from_db()
    payment.refresh_from_db()
    assert (pledge.status, paid_amount(pledge)) == ("pledged", 0)
    assert (payment.is_voided, payment.void_reason, payment.voided_by) == (True, "Nhập sai số tiền", treasurer)
    assert payment.void_entry.reverses == payment.journal_entry
    assert Receipt.objects.get(pk=receipt.pk).void_entry == payment.void_entry
    assert fund_balances() == {fund.pk: 0}
    assert account_balances()[accounts.BANK] == 0
    assert campaign_progress(campaign).received == 0
    # One row per record the void changed, in the void's transaction, all by the treasurer.
    voided_at = DjangoJSONEncoder().default(payment.voided_at)  # as the audit row stores it
    entry, reversal = payment.journal_entry, payment.void_entry
    assert service_rows(start) == [
        ("transition", "ledger.journalentry", str(entry.pk), {"reversed_by": None}, {
            "reversed_by": reversal.pk, "entry": reversal.pk, "hash": reversal.hash, "total": 5_000_000,
            "reason": f"Hủy phiếu thu {receipt.number}: Nhập sai số tiền",
        }),
        ("transition", "donations.payment", str(payment.pk),
         {"voided_at": None, "void_reason": "", "voided_by_id": None, "void_entry_id": None},
         {"voided_at": voided_at, "void_reason": "Nhập sai số tiền", "voided_by_id": treasurer.pk,
          "void_entry_id": reversal.pk}),
        ("transition", "donations.pledge", str(pledge.pk), {"status": "fulfilled"}, {"status": "pledged"}),
        ("transition", "receipts.receipt", str(receipt.pk),
         {"state": "issued", "void_reason": "", "voided_by_id": None, "voided_at": None, "void_entry_id": None},
         {"state": "voided", "void_reason": "Nhập sai số tiền", "voided_by_id": treasurer.pk,
          "voided_at": voided_at, "void_entry_id": reversal.pk}),
    ]
    assert set(AuditEvent.objects.filter(pk__gt=start, source=AuditEvent.Source.SERVICE)
               .values_list("actor", flat=True)) == {treasurer.pk}

    corrected, corrected_receipt = pay(pledge, 3_000_000, treasurer)
    pledge.refresh_from_db()
    assert corrected_receipt.number != receipt.number and corrected_receipt.sequence == receipt.sequence + 1
    assert (pledge.status, paid_amount(pledge)) == ("partially_paid", 3_000_000)
    assert fund_balances() == {fund.pk: 3_000_000}
    assert campaign_progress(campaign).received == 3_000_000


def test_voiding_one_of_two_payments_of_a_fulfilled_pledge_leaves_it_partially_paid(campaign, donor, treasurer):
    pledge = pledge_of(campaign, donor, 4_000_000)
    _first, first_receipt = pay(pledge, 1_000_000, treasurer)
    pay(pledge, 3_000_000, treasurer)
    receipt_void(receipt=first_receipt, reason="Ghi trùng", voided_by=treasurer)
    pledge.refresh_from_db()
    assert (pledge.status, paid_amount(pledge)) == ("partially_paid", 3_000_000)


def test_a_written_off_pledge_stays_written_off_when_a_payment_is_voided(campaign, donor, treasurer):
    pledge = pledge_of(campaign, donor, 4_000_000)
    _payment, receipt = pay(pledge, 1_000_000, treasurer)
    pledge_write_off(pledge=pledge, reason="Doanh nghiệp giải thể", by=treasurer)
    receipt_void(receipt=receipt, reason="Ghi nhầm", voided_by=treasurer)
    pledge.refresh_from_db()
    assert (pledge.status, paid_amount(pledge)) == ("written_off", 0)


def test_a_payment_is_voided_once_and_a_refusal_writes_nothing(campaign, donor, treasurer):
    pledge = pledge_of(campaign, donor, 1_000_000)
    payment, receipt = pay(pledge, 1_000_000, treasurer)
    receipt_void(receipt=receipt, reason="Ghi nhầm", voided_by=treasurer)
    counts = (JournalEntry.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        payment_void(payment=payment, reason="Lần nữa", by=treasurer)
    assert error.value.messages == ["Khoản thu này đã bị hủy trước đó."]
    with pytest.raises(ValidationError):
        payment_void(payment=payment, reason="  ", by=treasurer)
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == counts
    payment.refresh_from_db()
    assert payment.void_reason == "Ghi nhầm"


def test_the_migration_voids_the_payments_of_receipts_voided_before_payments_could_be(campaign, donor, treasurer):
    """Migration receipts/0004: a receipt voided by the earlier `receipt_void` (entry reversed,
    payment still counted) gets its payment voided and its pledge's status recomputed."""
    from django.apps import apps

    migration = importlib.import_module("receipts.migrations.0004_void_payments_of_voided_receipts")
    pledge = pledge_of(campaign, donor, 2_000_000)
    payment, receipt = pay(pledge, 2_000_000, treasurer)
    reversal = entry_reverse(entry=payment.journal_entry, reason=f"Hủy phiếu thu {receipt.number}: Ghi nhầm")
    Receipt.objects.filter(pk=receipt.pk).update(
        state="voided", void_reason="Ghi nhầm", voided_by=treasurer, voided_at=timezone.now(), void_entry=reversal
    )
    assert Pledge.objects.get(pk=pledge.pk).status == "fulfilled"

    migration.void_payments(apps, None)
    migration.void_payments(apps, None)  # again: nothing more to do

    payment.refresh_from_db()
    receipt.refresh_from_db()
    assert (payment.voided_at, payment.void_reason, payment.voided_by, payment.void_entry) == (
        receipt.voided_at, "Ghi nhầm", treasurer, reversal
    )
    pledge.refresh_from_db()
    assert (pledge.status, paid_amount(pledge)) == ("pledged", 0)

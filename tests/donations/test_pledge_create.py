"""pledge_create: the one service behind the public form, the admin, the API and imports."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Donor, Pledge, PledgeInstallment
from donations.services import REFERENCE_ALPHABET, installment_schedule, pledge_create
from donations.services import pledges as pledge_services

from .conftest import campaign_make

pytestmark = pytest.mark.django_db


def pledge_kwargs(campaign, **overrides):
    kwargs = dict(
        campaign=campaign,
        donor_name="Nguyễn Văn Đức",
        donor_kind="individual",
        email="Duc.Nguyen@Example.vn",
        phone="0912 345 678",
        tax_code="",
        address="Số 1 Lê Lợi, Thanh Hóa",
        amount=5_000_000,
        fund=None,
        installments=1,
        anonymous=False,
        list_on_honor_roll=True,
        message="Chúc các cháu học giỏi",
        channel=Pledge.Channel.FORM,
    )
    kwargs.update(overrides)
    return kwargs


def assert_nothing_written():
    assert Pledge.objects.count() == 0
    assert PledgeInstallment.objects.count() == 0
    assert Donor.objects.count() == 0


def test_creates_pledge_donor_and_one_installment(campaign, fund):
    pledge, created = pledge_create(**pledge_kwargs(campaign))

    assert created is True
    assert pledge.fund == fund  # the campaign's default fund
    assert pledge.status == Pledge.Status.PLEDGED
    prefix, code = pledge.reference.split("-")
    assert prefix == "TKH26" and len(code) == 5 and set(code) <= set(REFERENCE_ALPHABET)
    donor = pledge.donor
    assert (donor.name, donor.name_normalized) == ("Nguyễn Văn Đức", "nguyen van duc")
    assert (donor.email, donor.phone, donor.unit) == ("duc.nguyen@example.vn", "+84912345678", campaign.unit)
    assert donor.honor_roll_consent is True and donor.honor_roll_consent_at is not None
    assert donor.email_consent is False and donor.email_consent_at is None
    installments = list(pledge.installments.values_list("number", "due_on", "amount"))
    today = timezone.localdate()
    assert installments == [(1, pledge_services._add_months(today, 1), 5_000_000)]


def test_reference_alphabet_has_no_ambiguous_characters():
    assert not set("0O1IL") & set(REFERENCE_ALPHABET)


def test_installments_are_monthly_and_the_last_absorbs_the_remainder():
    schedule = installment_schedule(amount=10_000_000, installments=3, start=datetime.date(2026, 1, 31))
    assert schedule == [
        (1, datetime.date(2026, 2, 28), 3_333_333),
        (2, datetime.date(2026, 3, 31), 3_333_333),
        (3, datetime.date(2026, 4, 30), 3_333_334),
    ]
    schedule = installment_schedule(amount=1_200, installments=12, start=datetime.date(2026, 11, 15))
    assert schedule[-1] == (12, datetime.date(2027, 11, 15), 100)


def test_installment_rows_add_up(campaign, second_fund):
    pledge, _ = pledge_create(**pledge_kwargs(campaign, amount=1_000_001, installments=4, fund=second_fund))
    amounts = list(pledge.installments.values_list("amount", flat=True))
    assert amounts == [250_000, 250_000, 250_000, 250_001]
    assert pledge.fund == second_fund


def test_same_idempotency_key_returns_the_same_pledge(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first, created_first = pledge_create(**pledge_kwargs(campaign, idempotency_key="k-1"))
    with django_capture_on_commit_callbacks() as callbacks_again:
        second, created_second = pledge_create(**pledge_kwargs(campaign, idempotency_key="k-1"))
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk and second.amount == 5_000_000
    assert Pledge.objects.count() == 1
    assert len(callbacks) == 1 and len(callbacks_again) == 0


def test_same_idempotency_key_with_another_body_is_refused_and_reveals_nothing(campaign):
    # Main answered the first pledge (and its reference) to whoever sent its key with any body.
    pledge_create(**pledge_kwargs(campaign, idempotency_key="k-1"))
    with pytest.raises(ValidationError) as caught:
        pledge_create(**pledge_kwargs(campaign, idempotency_key="k-1", amount=9_000_000, donor_name="Người lạ"))
    assert caught.value.message_dict == {"idempotency_key": ["Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác."]}
    assert Pledge.objects.count() == 1


def test_reference_collision_draws_another_code(campaign, monkeypatch):
    first, _ = pledge_create(**pledge_kwargs(campaign))
    codes = iter([first.reference, first.reference, "TKH26-ABCDE"])
    monkeypatch.setattr(pledge_services, "reference_generate", lambda prefix: next(codes))
    second, created = pledge_create(**pledge_kwargs(campaign, email="khac@example.vn", phone=""))
    assert created and second.reference == "TKH26-ABCDE"
    assert Pledge.objects.count() == 2


def test_confirmation_is_queued_after_commit(campaign, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(pledge_services, "_queue_pledge_confirmation", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        pledge, _ = pledge_create(**pledge_kwargs(campaign))
        assert sent == []  # not inside the transaction
    assert sent == [pledge.pk]


def refused(campaign, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        pledge_create(**pledge_kwargs(campaign, **overrides))
    assert_nothing_written()
    return {field: [str(m) for m in messages] for field, messages in caught.value.message_dict.items()}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "Số tiền phải lớn hơn 0 đồng."),
        (-5, "Số tiền phải lớn hơn 0 đồng."),
        (10**12 + 1, "Số tiền vượt quá mức tối đa 1.000.000.000.000 đồng."),
        (1.5, "Số tiền phải là một số nguyên đồng."),
        ("500000", "Số tiền phải là một số nguyên đồng."),
        (True, "Số tiền phải là một số nguyên đồng."),
    ],
)
def test_refuses_bad_amounts(campaign, amount, message):
    assert refused(campaign, amount=amount) == {"amount": [message]}


def test_accepts_the_maximum_amount(campaign):
    pledge, _ = pledge_create(**pledge_kwargs(campaign, amount=10**12))
    assert pledge.amount == 10**12


@pytest.mark.parametrize("installments", [0, 13, "2"])
def test_refuses_installment_counts_outside_1_to_12(campaign, installments):
    assert refused(campaign, installments=installments) == {"installments": ["Số đợt nộp phải từ 1 đến 12."]}


def test_refuses_more_installments_than_dong(campaign, settings):
    # Below the 10.000 ₫ minimum pledge the minimum speaks first; the rule holds where a unit sets a lower one.
    assert refused(campaign, amount=5, installments=6) == {"amount": ["Số tiền ủng hộ tối thiểu là 10.000\u00a0₫."]}
    settings.PLEDGE_MIN_AMOUNT = 1
    assert refused(campaign, amount=5, installments=6) == {"installments": ["Số tiền quá nhỏ để chia thành 6 đợt."]}


def test_refuses_a_fund_outside_the_campaign(campaign, foreign_fund):
    assert refused(campaign, fund=foreign_fund) == {"fund": ["Quỹ này không nhận ủng hộ trong chiến dịch."]}


@pytest.mark.parametrize("channel", [Pledge.Channel.FORM, Pledge.Channel.ADMIN, Pledge.Channel.API])
def test_refuses_a_new_pledge_into_a_fund_closed_since_the_campaign_opened(campaign, fund, channel):
    fund.is_active = False
    fund.save()
    assert refused(campaign, fund=fund, channel=channel) == {
        "fund": ["Quỹ này đã ngừng hoạt động: không nhận cam kết mới."]
    }


def test_refuses_public_pledges_to_a_campaign_not_open(campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.save()
    assert refused(campaign) == {"__all__": ["Chiến dịch hiện không nhận ủng hộ."]}


def test_refuses_public_pledges_outside_the_campaign_dates(unit, fund):
    today = timezone.localdate()
    campaign = campaign_make(
        unit=unit, fund=fund, starts_on=today - datetime.timedelta(days=30), ends_on=today - datetime.timedelta(days=1)
    )
    start, end = campaign.starts_on.strftime("%d/%m/%Y"), campaign.ends_on.strftime("%d/%m/%Y")
    assert refused(campaign) == {"__all__": [f"Chiến dịch chỉ nhận ủng hộ từ {start} đến {end}."]}


def test_treasurer_may_record_a_pledge_on_a_closed_campaign(campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.save()
    pledge, created = pledge_create(**pledge_kwargs(campaign, channel=Pledge.Channel.ADMIN))
    assert created and pledge.channel == "admin"


def test_refuses_bad_donor_fields_all_at_once(campaign):
    errors = refused(campaign, donor_name="  ", donor_kind="alien", email="not-an-email", phone="123", tax_code="0100109107")
    assert errors == {
        "donor_name": ["Vui lòng nhập họ tên hoặc tên đơn vị."],
        "donor_kind": ["Loại nhà hảo tâm không hợp lệ."],
        # The messages of the kernel's contact rules, the same the public form shows.
        "email": ["Địa chỉ e-mail chưa đúng, ví dụ: ten@example.com."],
        "phone": ["Số điện thoại chưa đúng. Hãy nhập số Việt Nam, ví dụ 0912 345 678."],
        "tax_code": ["Mã số thuế sai chữ số kiểm tra. Vui lòng xem lại."],
    }


def test_refuses_long_message(campaign):
    assert refused(campaign, message="x" * 1001) == {"message": ["Lời nhắn dài quá 1000 ký tự."]}


def test_english_messages(campaign):
    from django.utils import translation

    with translation.override("en"):
        errors = refused(campaign, amount=0, installments=13)
    assert errors == {
        "amount": ["The amount must be greater than 0 dong."],
        "installments": ["The number of installments must be from 1 to 12."],
    }

"""Donors: who is the same person, who might be, and merging them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from donations.models import Donor, Payment, Pledge
from donations.selectors import donor_merge_candidates
from donations.services import (
    donor_find_or_create,
    donor_merge,
    payment_record,
    pledge_create,
)
from fundmgr.core.contacts import name_normalize

pytestmark = pytest.mark.django_db


def find(unit, **kwargs):
    kwargs.setdefault("kind", "individual")
    kwargs.setdefault("name", "Nguyễn Văn Đức")
    return donor_find_or_create(unit=unit, **kwargs)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Nguyễn  Văn   Đức", "nguyen van duc"),
        ("NGUYEN VAN DUC", "nguyen van duc"),
        ("Trần Thị Ánh Tuyết", "tran thi anh tuyet"),
        ("Công ty CP Đầu tư Đông Á", "cong ty cp dau tu dong a"),
        ("Nguye\u0302\u0303n", "nguyen"),  # decomposed (NFD) input from a Mac keyboard
    ],
)
def test_name_normalize(raw, normalized):
    assert name_normalize(raw) == normalized


def test_same_phone_in_any_spelling_is_the_same_donor(unit):
    first = find(unit, phone="0912345678")
    assert find(unit, name="Nguyen Van Duc", phone="+84 912 345 678") == first
    assert find(unit, name="Anh Đức", phone="84912345678") == first
    assert Donor.objects.count() == 1


def test_same_email_ignoring_case_is_the_same_donor_and_gains_missing_contacts(unit):
    first = find(unit, email="Duc@Example.VN")
    again = find(unit, email="duc@example.vn", phone="0912345678", address="Thanh Hóa")
    assert again == first
    first.refresh_from_db()
    assert (first.email, first.phone, first.address) == ("duc@example.vn", "+84912345678", "Thanh Hóa")


def test_same_tax_code_is_the_same_business(unit):
    first = find(unit, kind="business", name="Công ty TNHH An Phát", tax_code="0100109106")
    assert find(unit, kind="business", name="CTY AN PHAT", tax_code="0100 109 106") == first
    assert first.tax_code == "0100109106"


def test_same_name_with_other_contacts_is_not_merged_but_listed(unit):
    first = find(unit, phone="0912345678")
    second = find(unit, name="NGUYEN VAN DUC", phone="0987654321")
    third = find(unit, name="Nguyễn Văn Đức")  # no contacts at all
    assert len({first.pk, second.pk, third.pk}) == 3
    assert list(donor_merge_candidates(first)) == [second, third]


def test_donors_of_other_units_are_other_donors(unit, other_unit):
    assert find(unit, phone="0912345678") != find(other_unit, phone="0912345678")


def test_consent_times_are_set_when_consent_is_given_and_never_withdrawn_here(unit):
    donor = find(unit, phone="0912345678")
    assert (donor.honor_roll_consent_at, donor.email_consent_at) == (None, None)
    donor = find(unit, phone="0912345678", honor_roll_consent=True, email_consent=True)
    given_at = donor.honor_roll_consent_at
    assert donor.honor_roll_consent and donor.email_consent and given_at and donor.email_consent_at
    donor = find(unit, phone="0912345678", honor_roll_consent=True)
    assert donor.honor_roll_consent_at == given_at and donor.email_consent


def test_merge_moves_pledges_and_payments_and_keeps_the_merged_row(campaign, treasurer):
    keep_pledge, _ = pledge_create(campaign=campaign, donor_name="Nguyễn Văn Đức", donor_kind="individual",
                                   phone="0912345678", amount=1_000_000, channel=Pledge.Channel.ADMIN)
    merge_pledge, _ = pledge_create(campaign=campaign, donor_name="NGUYEN VAN DUC", donor_kind="individual",
                                    email="duc@example.vn", amount=2_000_000, channel=Pledge.Channel.ADMIN)
    keep, merge = keep_pledge.donor, merge_pledge.donor
    payment = payment_record(donor=merge, amount=2_000_000, method="cash", received_on=timezone.localdate(),
                             unit=campaign.unit, pledge=merge_pledge)

    donor_merge(keep=keep, merge=merge, by=treasurer)

    merge.refresh_from_db()
    keep.refresh_from_db()
    assert merge.merged_into == keep
    assert set(keep.pledges.values_list("pk", flat=True)) == {keep_pledge.pk, merge_pledge.pk}
    assert Payment.objects.get(pk=payment.pk).donor == keep
    assert keep.email == "duc@example.vn"  # the contact the kept record lacked
    assert list(donor_merge_candidates(keep)) == []
    # The merged donor's contacts now lead to the kept one.
    assert find(campaign.unit, email="duc@example.vn") == keep


def test_merge_refusals(unit, other_unit, treasurer):
    a, b = find(unit, phone="0912345678"), find(unit, phone="0987654321")
    elsewhere = find(other_unit, phone="0912345678")
    with pytest.raises(ValidationError) as caught:
        donor_merge(keep=a, merge=a, by=treasurer)
    assert caught.value.messages == ["Không thể gộp một nhà hảo tâm vào chính mình."]
    # The treasurer may not touch a donor of a unit outside theirs; not even the system merges across units.
    with pytest.raises(PermissionDenied):
        donor_merge(keep=a, merge=elsewhere, by=treasurer)
    with pytest.raises(ValidationError) as caught:
        donor_merge(keep=a, merge=elsewhere, by=None)
    assert caught.value.messages == ["Chỉ gộp được nhà hảo tâm của cùng một đơn vị."]
    donor_merge(keep=a, merge=b, by=treasurer)
    with pytest.raises(ValidationError) as caught:
        donor_merge(keep=a, merge=b, by=treasurer)
    assert caught.value.messages == ["Nhà hảo tâm này đã được gộp trước đó."]
    with pytest.raises(ValidationError) as caught:
        donor_merge(keep=b, merge=a, by=treasurer)
    assert caught.value.messages == ["Không thể gộp vào một nhà hảo tâm đã được gộp."]

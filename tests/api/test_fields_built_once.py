"""`FieldsBuiltOnce`: a serializer whose fields are built once per class answers and refuses exactly
as DRF's own (fields built for each instance), and no two instances share a bound field."""

import pytest
from rest_framework import serializers

from donations.api.serializers import InstallmentSerializer, PledgeCreateSerializer, PledgeSerializer
from donations.models import Pledge

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)

pytestmark = pytest.mark.django_db


class DrfInstallmentSerializer(serializers.ModelSerializer):
    class Meta(InstallmentSerializer.Meta):
        pass


class DrfPledgeSerializer(serializers.ModelSerializer):
    """PledgeSerializer's declared fields and Meta, without the mixin: DRF builds its fields each time."""

    class Meta(PledgeSerializer.Meta):
        pass


# Its declared fields, the nested installments as plain DRF too.
DrfPledgeSerializer._declared_fields = {
    **PledgeSerializer._declared_fields, "installments": DrfInstallmentSerializer(many=True, read_only=True),
}


class DrfPledgeCreateSerializer(serializers.Serializer):
    pass


# The same declared fields, copied by DRF for each instance (its own deep copy of `_declared_fields`).
DrfPledgeCreateSerializer._declared_fields = PledgeCreateSerializer._declared_fields


def test_the_answer_is_drf_s_own(campaign):
    pledges_paid(campaign, 2, paid=500_000)  # noqa: F405
    for pledge in Pledge.objects.select_related("donor", "campaign", "fund").prefetch_related("installments"):
        pledge.paid_amount, pledge.outstanding_amount, pledge.overpaid_amount = 500_000, pledge.amount - 500_000, 0
        for _repeat in range(2):  # the second from the fields built by the first
            assert PledgeSerializer(pledge).data == DrfPledgeSerializer(pledge).data
    assert list(PledgeSerializer().fields) == list(DrfPledgeSerializer().fields)


@pytest.mark.parametrize("body", [
    {"campaign": "tet", "donor_name": "Công ty", "amount": 2_000_000},
    {"campaign": "tet", "donor_name": "Công ty", "amount": "nhiều", "installments": "x", "anonymous": "có lẽ"},
    {"donor_name": "x" * 201, "email": None, "amount": 2_000_000},
    {},
])
def test_the_input_is_checked_as_drf_checks_it(body):
    for _repeat in range(2):
        ours, drf = PledgeCreateSerializer(data=body), DrfPledgeCreateSerializer(data=body)
        assert ours.is_valid() == drf.is_valid()
        assert ours.errors == drf.errors
        assert (ours.validated_data if not ours.errors else None) == (drf.validated_data if not drf.errors else None)


def test_no_two_instances_share_a_field():
    first, second = PledgeSerializer(), PledgeSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert (field.parent, other.parent) == (first, second)
    assert first.fields["installments"].child is not second.fields["installments"].child
    create_first, create_second = PledgeCreateSerializer(), PledgeCreateSerializer()
    assert all(create_first.fields[name] is not create_second.fields[name] for name in create_first.fields)
    assert create_first.fields["amount"].parent is create_first

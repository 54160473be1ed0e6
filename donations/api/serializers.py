"""Serializers of the donations API: shapes only. Every rule lives in `donations.services`."""

from rest_framework import serializers

from fundmgr.api.serializers import FieldsBuiltOnce

from ..models import Donor, Payment, Pledge, PledgeInstallment


class DonorSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    pledged_total = serializers.IntegerField(read_only=True)
    paid_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Donor
        fields = [
            "id", "kind", "name", "email", "phone", "tax_code", "address", "unit", "honor_roll_consent",
            "email_consent", "merged_into", "pledged_total", "paid_total", "created_at",
        ]
        read_only_fields = fields


class InstallmentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = PledgeInstallment
        fields = ["number", "due_on", "amount"]


class PledgeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)
    paid_amount = serializers.IntegerField(read_only=True)
    outstanding_amount = serializers.IntegerField(read_only=True)
    overpaid_amount = serializers.IntegerField(read_only=True)
    installments = InstallmentSerializer(many=True, read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id", "reference", "donor", "donor_name", "campaign", "fund", "amount", "paid_amount",
            "outstanding_amount", "overpaid_amount", "status", "channel", "anonymous", "list_on_honor_roll",
            "message", "installments", "closed_reason", "created_at", "confirmed_at",
        ]
        read_only_fields = fields


class PledgeCreateSerializer(FieldsBuiltOnce, serializers.Serializer):
    """Input of POST /pledges/: checked for shape here, for every rule by `pledge_create`."""

    campaign = serializers.CharField(help_text="campaign slug")
    fund = serializers.CharField(required=False, allow_blank=True, help_text="fund code; default: the campaign's")
    donor_name = serializers.CharField(max_length=200)
    # Checked by the service (one message, one place); a plain string also keeps the schema's
    # enum of donor kinds under one name.
    donor_kind = serializers.CharField(default=Donor.Kind.INDIVIDUAL, help_text="individual, business, agency or organisation")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    tax_code = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    amount = serializers.IntegerField(help_text="whole dong")
    installments = serializers.IntegerField(default=1)
    anonymous = serializers.BooleanField(default=False)
    list_on_honor_roll = serializers.BooleanField(default=False)
    message = serializers.CharField(required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64,
        help_text="or the Idempotency-Key header: a repeated key returns the first pledge (200); "
        "the same key with another body is refused (422)",
    )


class PaymentSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    pledge = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    journal_entry = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "donor", "donor_name", "pledge", "fund", "unit", "amount", "method", "in_kind_description",
            "received_on", "bank_reference", "overpayment_reason", "journal_entry", "recorded_at", "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    """Input of POST /payments/: a payment for a pledge (by reference) or for a donor and a fund."""

    pledge = serializers.CharField(required=False, allow_blank=True, help_text="pledge reference")
    donor = serializers.IntegerField(required=False, help_text="donor id, for a payment without a pledge")
    fund = serializers.CharField(required=False, allow_blank=True, help_text="fund code, for a payment without a pledge")
    unit = serializers.CharField(required=False, allow_blank=True, help_text="receiving unit code; default: the pledge's campaign unit")
    amount = serializers.IntegerField(help_text="whole dong")
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    received_on = serializers.DateField()
    bank_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    in_kind_description = serializers.CharField(required=False, allow_blank=True, default="")
    overpayment_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500,
        help_text="required when the payment exceeds what the pledge has left: why more was accepted",
    )
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64,
        help_text="or the Idempotency-Key header: a repeated key returns the first payment (200); "
        "the same key with another body is refused (422)",
    )

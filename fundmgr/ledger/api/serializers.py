"""Serializers of the ledger API: shapes only. Amounts are whole dong (integers), dates ISO 8601."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fundmgr.core.money import format_vnd

from ..hashing import source_label
from ..models import Fund, JournalEntry, JournalLine


class FundSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    restricted_units = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    balance = serializers.IntegerField(read_only=True, help_text="what the fund holds: the asset accounts' debit − credit")
    principal = serializers.IntegerField(read_only=True, help_text="protected principal of an endowment (account 411)")
    commitments = serializers.IntegerField(read_only=True, help_text="approved awards not paid yet")
    available = serializers.IntegerField(read_only=True, help_text="balance − principal − commitments: what it may still pay")
    balance_display = serializers.SerializerMethodField()
    available_display = serializers.SerializerMethodField()

    class Meta:
        model = Fund
        fields = [
            "id", "code", "name", "unit", "restriction", "restricted_purpose", "restricted_units",
            "restricted_circumstances", "is_endowment", "is_active", "balance", "principal", "commitments",
            "available", "balance_display", "available_display",
        ]
        read_only_fields = fields

    def get_balance_display(self, fund) -> str:
        return format_vnd(fund.balance)

    def get_available_display(self, fund) -> str:
        return format_vnd(fund.available)


class JournalLineSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="code", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = JournalLine
        fields = ["id", "account", "account_name", "fund", "debit", "credit"]
        read_only_fields = fields


class JournalEntrySerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source = serializers.SerializerMethodField(help_text="the source document, `app.model:id`; empty when none")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    total = serializers.SerializerMethodField(help_text="the sum of the debits (= the sum of the credits)")
    lines = JournalLineSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id", "date", "unit", "memo", "source", "reverses", "reversal_reason", "total", "created_by",
            "created_at", "previous_hash", "hash", "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_source(self, entry) -> str:
        source_type = entry.source_type
        return source_label(source_type.app_label if source_type else None, source_type.model if source_type else None,
                            entry.source_id)

    def get_total(self, entry) -> int:
        return sum(line.debit for line in entry.lines.all())


class TransferCreateSerializer(serializers.Serializer):
    """Input of POST /transfers/: checked for shape here, for every rule by `fund_transfer`."""

    from_fund = serializers.CharField(help_text="code of the fund the money leaves")
    to_fund = serializers.CharField(help_text="code of the fund the money goes to")
    amount = serializers.IntegerField(help_text="whole dong")
    date = serializers.DateField()
    memo = serializers.CharField(max_length=500)
    unit = serializers.CharField(required=False, allow_blank=True, help_text="unit code that posts it; default: the from-fund's unit")
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64,
        help_text="or the Idempotency-Key header: a repeated key returns the first entry (200); "
        "the same key with another body is refused (422)",
    )

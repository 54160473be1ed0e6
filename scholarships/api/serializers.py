"""Serializers of the students API: shapes only. Rules live in `scholarships.services`; who sees a
child's personal data is decided per row by `shows_personal` (see `scholarships.selectors`)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fundmgr.audit.masking import NAME, mask_value

from ..models import (
    PERSONAL_FIELDS,
    AllocationRun,
    Award,
    Disbursement,
    Nomination,
    ProgramFund,
    ProgramQuota,
    ScholarshipProgram,
    Student,
)
from ..privacy import masked_value
from ..services import EDITABLE_FIELDS


class StudentSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    circumstances = serializers.SerializerMethodField()
    personal_data_shown = serializers.BooleanField(source="shows_personal", read_only=True)

    class Meta:
        model = Student
        fields = [
            "id", "code", "unit", *EDITABLE_FIELDS, "circumstances", "last_activity_on", "anonymised_at",
            "personal_data_shown",
        ]
        read_only_fields = fields

    def get_circumstances(self, student) -> list[str]:
        return sorted(student.circumstances)

    def to_representation(self, student):
        data = super().to_representation(student)
        if not getattr(student, "shows_personal", False):
            for name in PERSONAL_FIELDS:
                data[name] = masked_value(student, name)
        return data


class StudentCreateSerializer(serializers.ModelSerializer):
    """The input of a new record; the service validates it again (and normalises contacts)."""

    unit = serializers.CharField(max_length=50, help_text="The nominating unit's code.")

    class Meta:
        model = Student
        fields = ["unit", *EDITABLE_FIELDS]
        extra_kwargs = {"national_id": {"validators": []}}  # the service gives the message


class ProgramFundSerializer(serializers.ModelSerializer):
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ProgramFund
        fields = ["fund", "budget"]


class ProgramQuotaSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ProgramQuota
        fields = ["unit", "max_awards"]


class ProgramSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    funds = ProgramFundSerializer(source="program_funds", many=True, read_only=True)
    quotas = ProgramQuotaSerializer(many=True, read_only=True)

    class Meta:
        model = ScholarshipProgram
        fields = ["id", "code", "name", "unit", "school_year", "award_amount", "status", "rubric", "funds", "quotas"]
        read_only_fields = fields


class AwardSerializer(serializers.ModelSerializer):
    """An award names its student by record code only: who the child is, is the students API's
    question, answered there with the masking rules."""

    code = serializers.CharField(source="__str__", read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    student = serializers.CharField(source="student.code", read_only=True)
    shares = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = Award
        fields = ["id", "code", "program", "student", "school_year", "amount", "status", "shares", "decided_at",
                  "decision_reason", "decider_declared_no_conflict", "voucher"]
        read_only_fields = fields

    def get_shares(self, award) -> dict[str, int]:
        return {share.fund.code: share.amount for share in award.shares.all()}

    def get_voucher(self, award) -> str | None:
        disbursement = getattr(award, "disbursement", None)
        return disbursement.number if disbursement is not None else None


class NominationSerializer(serializers.ModelSerializer):
    """A nomination names its student by record code only (the students API answers who it is)."""

    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    student = serializers.CharField(source="student.code", read_only=True)
    unit = serializers.CharField(source="student.unit.code", read_only=True, help_text="The student's unit code.")

    class Meta:
        model = Nomination
        fields = [
            "id", "program", "student", "unit", "score", "score_breakdown", "created_at", "scored_at",
            "scorer_declared_no_conflict",
        ]
        read_only_fields = fields


class NominationCreateSerializer(serializers.Serializer):
    program = serializers.CharField(max_length=30, help_text="The program's code.")
    student = serializers.CharField(max_length=20, help_text="The student's record code (HS-000123) or id.")


class AllocationDecisionSerializer(serializers.Serializer):
    """One nominee's decision in a run, with the run's explanation (stored in Vietnamese)."""

    nomination = serializers.IntegerField()
    student = serializers.CharField(help_text="The student's record code.")
    rank = serializers.IntegerField()
    reason = serializers.CharField(help_text="funded, or why not (a code of the allocation).")
    amount = serializers.IntegerField(help_text="The award's amount (what was decided on, funded or not).")
    shares = serializers.DictField(child=serializers.IntegerField(), help_text="{fund code: dong}; empty when not funded.")
    explanation = serializers.CharField()


class AllocationRunSerializer(serializers.ModelSerializer):
    """A run in a list: its figures, without the decisions (the run's own page has them)."""

    program = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AllocationRun
        fields = ["id", "program", "created_at", "inputs_sha256", "funded_count", "funded_amount"]
        read_only_fields = fields


class AllocationRunDetailSerializer(AllocationRunSerializer):
    decisions = serializers.SerializerMethodField()

    class Meta(AllocationRunSerializer.Meta):
        fields = [*AllocationRunSerializer.Meta.fields, "decisions"]
        read_only_fields = fields

    @extend_schema_field(AllocationDecisionSerializer(many=True))
    def get_decisions(self, run) -> list[dict]:
        # The run stores fund ids and student ids; an integrator reads codes.
        fund_codes = self.context.get("fund_codes", {})
        return [
            {
                "nomination": decision["nomination"], "student": Student(pk=decision["student"]).code, "rank": decision["rank"],
                "reason": decision["reason"], "amount": decision["amount"],
                "shares": {fund_codes.get(int(fund_id), fund_id): amount for fund_id, amount in decision["shares"].items()},
                "explanation": decision["explanation"],
            }
            for decision in run.decisions
        ]


class AllocationRunCreateSerializer(serializers.Serializer):
    program = serializers.CharField(max_length=30, help_text="The program's code.")


class AwardRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the committee does not approve the proposal.")


class AwardGrantSerializer(serializers.Serializer):
    nomination = serializers.IntegerField(min_value=1, help_text="The nomination the run did not fund.")
    fund = serializers.CharField(max_length=30, help_text="The code of one of the program's funds.")
    reason = serializers.CharField(max_length=500, help_text="Why the committee overrides the allocation.")


class DisbursementSerializer(serializers.ModelSerializer):
    """A voucher names the award and the student's record code; the recipient's name is
    personal data (a child or a guardian) and is masked unless the user may see it."""

    award = serializers.CharField(source="award.__str__", read_only=True)
    program = serializers.CharField(source="award.program.code", read_only=True)
    student = serializers.CharField(source="award.student.code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = serializers.IntegerField(source="award.amount", read_only=True)
    journal_entry = serializers.IntegerField(source="entry_id", read_only=True, allow_null=True)
    # A voucher undone (a transfer returned, paid in error) keeps its number and says so.
    reversal_entry = serializers.IntegerField(source="reversal_entry_id", read_only=True, allow_null=True)

    class Meta:
        model = Disbursement
        fields = ["id", "number", "award", "program", "student", "unit", "amount", "method", "paid_on",
                  "recipient_name", "bank_reference", "journal_entry", "created_at", "reversed_at", "reversal_reason",
                  "reversal_entry"]
        read_only_fields = fields

    def to_representation(self, disbursement):
        data = super().to_representation(disbursement)
        if not getattr(disbursement, "shows_recipient", False):
            data["recipient_name"] = mask_value(disbursement.recipient_name, NAME)
        return data


class DisbursementCreateSerializer(serializers.Serializer):
    award = serializers.IntegerField(min_value=1, help_text="The approved award to pay (its id).")
    method = serializers.ChoiceField(choices=Disbursement.Method.choices)
    paid_on = serializers.DateField()
    recipient_name = serializers.CharField(max_length=120, help_text="The student or guardian who signs for it.")
    bank_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

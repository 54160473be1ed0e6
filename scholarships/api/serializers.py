"""Serializers of the students API: shapes only. Rules live in `scholarships.services`; who sees a
child's personal data is decided per row by `shows_personal` (see `scholarships.selectors`)."""

from rest_framework import serializers

from ..models import PERSONAL_FIELDS, Award, ProgramFund, ProgramQuota, ScholarshipProgram, Student
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
                  "decision_reason", "voucher"]
        read_only_fields = fields

    def get_shares(self, award) -> dict[str, int]:
        return {share.fund.code: share.amount for share in award.shares.all()}

    def get_voucher(self, award) -> str | None:
        disbursement = getattr(award, "disbursement", None)
        return disbursement.number if disbursement is not None else None

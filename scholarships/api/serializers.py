"""Serializers of the students API: shapes only. Rules live in `scholarships.services`; who sees a
child's personal data is decided per row by `shows_personal` (see `scholarships.selectors`)."""

from rest_framework import serializers

from ..models import PERSONAL_FIELDS, Student
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

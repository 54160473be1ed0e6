"""Students: the people scholarships are for, most of them minors.

A student record holds two kinds of data, and the difference drives who sees what:
- facts the committee scores and the allocation uses: school, grade, results, circumstances
  (poor or near-poor household, orphan, disability, ethnic minority, remote area) and the
  nominating unit. They identify nobody on their own.
- personal data (`PERSONAL_FIELDS`): name, date of birth, guardian, phone, address, identity
  number and the free-text account of the family's situation. Only roles with the
  `view_personal` capability in the student's unit see it; everyone else, and every export by
  default, gets it masked (`scholarships.privacy`). Every view of a record is logged.

`last_activity_on` is when the record last mattered (created, changed, nominated, awarded).
After `settings.STUDENT_DATA_RETENTION_YEARS` without activity the personal fields are erased in
place (`services.students_anonymise_expired`); the row, its facts and any money that points to
it stay, so the ledger still adds up.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundmgr.orgs.models import OrgUnit

# The fields that identify a child or their family; masked for roles without `view_personal`,
# erased after the retention period. The audit masking table (`fundmgr.audit.masking`) names the
# same fields for `scholarships.*`.
PERSONAL_FIELDS = (
    "full_name", "date_of_birth", "guardian_name", "guardian_phone", "address", "national_id",
    "circumstances_note",
)


class Circumstance(models.TextChoices):
    """A family's circumstance; the codes are what fund restrictions and rubrics name."""

    POOR = "poor", _("Hộ nghèo")
    NEAR_POOR = "near_poor", _("Hộ cận nghèo")
    ORPHAN = "orphan", _("Mồ côi")
    DISABILITY = "disability", _("Khuyết tật")
    ETHNIC_MINORITY = "ethnic_minority", _("Dân tộc thiểu số")
    REMOTE = "remote", _("Vùng sâu, vùng xa")


CIRCUMSTANCE_FIELDS = {
    Circumstance.POOR: "poor_household",
    Circumstance.NEAR_POOR: "near_poor_household",
    Circumstance.ORPHAN: "orphan",
    Circumstance.DISABILITY: "disability",
    Circumstance.ETHNIC_MINORITY: "ethnic_minority",
    Circumstance.REMOTE: "remote_area",
}


GRADE_MESSAGE = _("Lớp phải từ 1 đến 12 (cao đẳng, đại học: năm thứ mấy).")
SCORE_MESSAGE = _("Điểm trung bình phải từ 0 đến 10.")


class StudentQuerySet(models.QuerySet):
    def not_anonymised(self):
        return self.filter(anonymised_at__isnull=True)


class Student(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Nữ")
        MALE = "male", _("Nam")

    class SchoolLevel(models.TextChoices):
        PRIMARY = "primary", _("Tiểu học")
        LOWER_SECONDARY = "lower_secondary", _("Trung học cơ sở")
        UPPER_SECONDARY = "upper_secondary", _("Trung học phổ thông")
        HIGHER = "higher", _("Cao đẳng, đại học")

    class AcademicRank(models.TextChoices):
        EXCELLENT = "excellent", _("Xuất sắc")
        VERY_GOOD = "very_good", _("Giỏi")
        GOOD = "good", _("Khá")
        AVERAGE = "average", _("Trung bình")

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị đề cử"), on_delete=models.PROTECT, related_name="students"
    )
    # --- personal data (PERSONAL_FIELDS) -----------------------------------------------------
    full_name = models.CharField(
        _("họ và tên"), max_length=120, error_messages={"blank": _("Cần nhập họ và tên.")}
    )
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=10, choices=Gender.choices, blank=True)
    guardian_name = models.CharField(_("họ tên cha, mẹ hoặc người giám hộ"), max_length=120, blank=True)
    guardian_phone = models.CharField(
        _("điện thoại người giám hộ"), max_length=20, blank=True, help_text=_("Dạng E.164, ví dụ +84912345678.")
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    national_id = models.CharField(
        _("số định danh cá nhân"), max_length=12, blank=True,
        validators=[RegexValidator(r"^\d{12}$", _("Số định danh cá nhân gồm đúng 12 chữ số."))],
    )
    circumstances_note = models.TextField(_("hoàn cảnh gia đình"), max_length=2000, blank=True)
    # --- facts for scoring and allocation --------------------------------------------------
    school_name = models.CharField(_("trường"), max_length=200, error_messages={"blank": _("Cần nhập tên trường.")})
    school_level = models.CharField(_("cấp học"), max_length=20, choices=SchoolLevel.choices)
    grade = models.PositiveSmallIntegerField(
        _("lớp / năm học"),
        validators=[MinValueValidator(1, GRADE_MESSAGE), MaxValueValidator(12, GRADE_MESSAGE)],
        help_text=_("Lớp 1–12; với cao đẳng, đại học: năm thứ mấy."),
    )
    average_score = models.DecimalField(
        _("điểm trung bình"), max_digits=4, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0, SCORE_MESSAGE), MaxValueValidator(10, SCORE_MESSAGE)],
        help_text=_("Thang điểm 10."),
    )
    academic_rank = models.CharField(_("học lực"), max_length=20, choices=AcademicRank.choices, blank=True)
    poor_household = models.BooleanField(_("hộ nghèo"), default=False)
    near_poor_household = models.BooleanField(_("hộ cận nghèo"), default=False)
    orphan = models.BooleanField(_("mồ côi"), default=False)
    disability = models.BooleanField(_("khuyết tật"), default=False)
    ethnic_minority = models.BooleanField(_("dân tộc thiểu số"), default=False)
    remote_area = models.BooleanField(_("vùng sâu, vùng xa"), default=False)
    # --- bookkeeping -------------------------------------------------------------------------
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    last_activity_on = models.DateField(
        _("hoạt động gần nhất"), help_text=_("Mốc tính thời hạn lưu trữ dữ liệu cá nhân.")
    )
    anonymised_at = models.DateTimeField(_("đã ẩn danh lúc"), null=True, blank=True, editable=False)

    objects = StudentQuerySet.as_manager()

    class Meta:
        verbose_name = _("học sinh, sinh viên")
        # Vietnamese has one form; English needs "students", hence its own msgid context.
        verbose_name_plural = pgettext_lazy("plural", "học sinh, sinh viên")
        ordering = ["pk"]
        indexes = [models.Index(fields=["last_activity_on"], name="student_last_activity_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=12), name="student_grade_1_to_12"
            ),
            models.CheckConstraint(
                condition=models.Q(average_score__isnull=True) | models.Q(average_score__gte=0, average_score__lte=10),
                name="student_average_score_0_to_10",
            ),
            # A household is poor or near-poor, not both (two different official lists).
            models.CheckConstraint(
                condition=~models.Q(poor_household=True, near_poor_household=True),
                name="student_poor_or_near_poor",
                violation_error_message=_("Một hộ chỉ thuộc diện hộ nghèo hoặc hộ cận nghèo, không thể cả hai."),
            ),
        ]

    def __str__(self):
        # The public code, never the name: `str()` ends up in log lines, messages and audit labels.
        return self.code

    @property
    def code(self) -> str:
        return f"HS-{self.pk:06d}" if self.pk else "HS-(mới)"

    @property
    def circumstances(self) -> frozenset[str]:
        """The circumstance codes that apply, as fund restrictions and rubrics name them."""
        return frozenset(code for code, field in CIRCUMSTANCE_FIELDS.items() if getattr(self, field))

    def circumstance_labels(self) -> list[str]:
        """The circumstances that apply, in words, in a fixed order."""
        return [str(Circumstance(code).label) for code in Circumstance.values if code in self.circumstances]

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

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
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundmgr.core.money import format_vnd
from fundmgr.core.numbering import NumberCounter
from fundmgr.core.outbox import OutboxJob
from fundmgr.ledger.models import Circumstance
from fundmgr.orgs.models import OrgUnit

# The fields that identify a child or their family; masked for roles without `view_personal`,
# erased after the retention period. The audit masking table (`fundmgr.audit.masking`) names the
# same fields for `scholarships.*`.
PERSONAL_FIELDS = (
    "full_name", "date_of_birth", "guardian_name", "guardian_phone", "address", "national_id",
    "circumstances_note", "bank_account_number", "bank_account_holder",
)

# The banks a transfer batch may pay into: the short code Vietnamese banks use in their bulk-payment
# ("chi hộ", "chi lương") templates, and the name a treasurer reads. A bank missing here is added
# here (the batch file carries the code as written). The names are translated: in English, a bank's
# English name.
BANKS = (
    ("VCB", _("Vietcombank – Ngoại thương Việt Nam")),
    ("BIDV", _("BIDV – Đầu tư và Phát triển Việt Nam")),
    ("CTG", _("VietinBank – Công thương Việt Nam")),
    ("VBA", _("Agribank – Nông nghiệp và Phát triển Nông thôn")),
    ("VBSP", _("Ngân hàng Chính sách xã hội")),
    ("TCB", _("Techcombank – Kỹ thương Việt Nam")),
    ("MB", _("MB – Quân đội")),
    ("ACB", _("ACB – Á Châu")),
    ("VPB", _("VPBank – Việt Nam Thịnh Vượng")),
    ("TPB", _("TPBank – Tiên Phong")),
    ("STB", _("Sacombank – Sài Gòn Thương Tín")),
    ("SHB", _("SHB – Sài Gòn – Hà Nội")),
    ("HDB", _("HDBank – Phát triển TP. Hồ Chí Minh")),
    ("VIB", _("VIB – Quốc tế Việt Nam")),
    ("LPB", _("LPBank – Lộc Phát Việt Nam")),
    ("MSB", _("MSB – Hàng Hải Việt Nam")),
    ("OCB", _("OCB – Phương Đông")),
    ("SEAB", _("SeABank – Đông Nam Á")),
)


# A circumstance's code (the ledger's `Circumstance`, which fund restrictions and rubrics name)
# → the student's boolean field that records it.
CIRCUMSTANCE_FIELDS = {
    Circumstance.POOR_HOUSEHOLD: "poor_household",
    Circumstance.NEAR_POOR_HOUSEHOLD: "near_poor_household",
    Circumstance.ORPHAN: "orphan",
    Circumstance.DISABILITY: "disability",
    Circumstance.ETHNIC_MINORITY: "ethnic_minority",
    Circumstance.REMOTE_AREA: "remote_area",
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
    # The account an award paid by transfer goes to: most often the parent's or guardian's (a minor
    # rarely has one). Personal data like the rest; the bank code is not (it identifies nobody).
    bank_account_number = models.CharField(
        _("số tài khoản nhận học bổng"), max_length=19, blank=True,
        validators=[RegexValidator(r"^\d{6,19}$", _("Số tài khoản gồm 6 đến 19 chữ số, không dấu cách."))],
    )
    bank_account_holder = models.CharField(
        _("chủ tài khoản nhận"), max_length=120, blank=True,
        help_text=_("Tên đúng như ngân hàng đăng ký (thường là cha, mẹ hoặc người giám hộ)."),
    )
    bank_code = models.CharField(_("ngân hàng"), max_length=10, blank=True, choices=BANKS)
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
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
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

    def clean(self):
        super().clean()
        bank = (self.bank_account_number, self.bank_account_holder, self.bank_code)
        if any(bank) and not all(bank):
            message = _("Tài khoản nhận học bổng cần đủ số tài khoản, chủ tài khoản và ngân hàng.")
            raise ValidationError({
                name: message for name, value in zip(("bank_account_number", "bank_account_holder", "bank_code"), bank, strict=True)
                if not value
            })

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_account_number and self.bank_account_holder and self.bank_code)

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


# --- programs, nominations, allocation runs, awards, disbursements --------------------------------
#
# A program (học bổng "Nâng cánh ước mơ" 2026–2027) pays one award amount to the students its
# committee selects, from the funds it names, each up to a budget. Nominators nominate students;
# each nomination is scored with the program's rubric (`scoring.py`). An allocation run ranks the
# nominations and decides, by `allocation.py`, who is funded from which funds; it is stored with
# its inputs and every decision. The run proposes awards; the committee approves (or overrides,
# with a reason); an approved award is a commitment on its funds (the ledger's available balance
# excludes it) until the treasurer pays it: the disbursement posts Dr scholarship expense /
# Cr cash or bank per fund, with a voucher number (phiếu chi) per unit and year without gaps.

SCHOOL_YEAR_MESSAGE = _("Năm học viết dạng 2026-2027 (hai năm liền nhau).")


class ScholarshipProgram(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Đang nhận đề cử")
        CLOSED = "closed", _("Đã khóa")

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị tổ chức"), on_delete=models.PROTECT, related_name="programs")
    code = models.CharField(_("mã chương trình"), max_length=30)
    name = models.CharField(_("tên chương trình"), max_length=200)
    school_year = models.CharField(
        _("năm học"), max_length=9, validators=[RegexValidator(r"^\d{4}-\d{4}$", SCHOOL_YEAR_MESSAGE)],
        help_text=_("Mỗi học sinh nhận nhiều nhất một suất học bổng trong một năm học."),
    )
    award_amount = models.BigIntegerField(_("mức học bổng (đồng)"))
    rubric = models.JSONField(_("thang điểm"), default=list, help_text=_("Các tiêu chí chấm điểm (xem hướng dẫn)."))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("chương trình học bổng")
        verbose_name_plural = pgettext_lazy("plural", "chương trình học bổng")
        ordering = ["-school_year", "code"]
        constraints = [
            # A constraint, not `unique=True`, which adds a LIKE-prefix twin on PostgreSQL that no query uses.
            models.UniqueConstraint(fields=["code"], name="program_code_unique"),
            models.CheckConstraint(condition=models.Q(award_amount__gt=0), name="program_award_amount_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.school_year})"


class ProgramFund(models.Model):
    """A fund a program may pay from, and how much of it the program may use."""

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.CASCADE, related_name="program_funds")
    fund = models.ForeignKey("ledger.Fund", verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="+")
    budget = models.BigIntegerField(_("ngân sách dành cho chương trình (đồng)"))

    audit_unit_path = "program__unit"

    class Meta:
        verbose_name = _("quỹ chi trả")
        verbose_name_plural = pgettext_lazy("plural", "quỹ chi trả")
        constraints = [
            models.UniqueConstraint(fields=["program", "fund"], name="program_fund_unique"),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="program_fund_budget_not_negative"),
        ]

    def __str__(self):
        return _("%(fund)s cho %(program)s") % {"fund": self.fund, "program": self.program.code}


class ProgramQuota(models.Model):
    """At most `max_awards` awards of the program to students nominated by `unit`."""

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+")
    max_awards = models.PositiveIntegerField(_("số suất tối đa"))

    class Meta:
        verbose_name = _("chỉ tiêu theo đơn vị")
        verbose_name_plural = pgettext_lazy("plural", "chỉ tiêu theo đơn vị")
        constraints = [models.UniqueConstraint(fields=["program", "unit"], name="program_quota_unique")]

    def __str__(self):
        return _("%(unit)s: tối đa %(count)s suất") % {"unit": self.unit, "count": self.max_awards}


class Nomination(models.Model):
    """A student proposed for a program, with the score the rubric gave and its breakdown."""

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.PROTECT, related_name="nominations")
    student = models.ForeignKey(Student, verbose_name=_("học sinh"), on_delete=models.PROTECT, related_name="nominations")
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người đề cử"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày đề cử"), auto_now_add=True)
    score = models.IntegerField(_("điểm"))
    score_breakdown = models.JSONField(_("chi tiết điểm"), default=list)
    # Set when a committee member scores the nomination again (`awards.nomination_score`); the
    # first score is the rubric's at nomination, by nobody's decision.
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người chấm lại"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("chấm lại lúc"), null=True, blank=True)
    scorer_declared_no_conflict = models.BooleanField(
        _("người chấm không khai xung đột lợi ích"), default=False,
        help_text=_("Khi chấm lại, người chấm không có khai báo xung đột lợi ích nào với hồ sơ này."),
    )

    audit_unit_path = "student__unit"

    class Meta:
        verbose_name = _("đề cử")
        verbose_name_plural = pgettext_lazy("plural", "đề cử")
        ordering = ["-score", "pk"]
        constraints = [models.UniqueConstraint(fields=["program", "student"], name="nomination_unique_per_program")]

    def __str__(self):
        return f"{self.student.code} → {self.program.code}"


class AllocationRun(models.Model):
    """One run of the allocation: its inputs, as read from the database, and every decision."""

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.PROTECT, related_name="runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm chạy"), auto_now_add=True)
    inputs = models.JSONField(_("dữ liệu đầu vào"))
    inputs_sha256 = models.CharField(_("SHA-256 của đầu vào"), max_length=64)
    decisions = models.JSONField(_("quyết định"))
    funded_count = models.PositiveIntegerField(_("số suất được cấp"))
    funded_amount = models.BigIntegerField(_("tổng tiền được cấp"))

    audit_unit_path = "program__unit"

    class Meta:
        verbose_name = _("lần phân bổ")
        verbose_name_plural = pgettext_lazy("plural", "lần phân bổ")
        ordering = ["-pk"]

    def __str__(self):
        return _("Lần phân bổ %(number)s của %(program)s") % {"number": self.pk, "program": self.program.code}


class AwardQuerySet(models.QuerySet):
    def committed(self):
        """Approved and not yet paid: the money the ledger must keep for them."""
        return self.filter(status=Award.Status.APPROVED)


class Award(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Đề xuất")
        APPROVED = "approved", _("Đã duyệt")
        REJECTED = "rejected", _("Không duyệt")
        SUPERSEDED = "superseded", _("Thay bằng lần phân bổ sau")
        PAID = "paid", _("Đã chi")

    HOLDS_THE_STUDENTS_YEAR = (Status.APPROVED, Status.PAID)

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.PROTECT, related_name="awards")
    student = models.ForeignKey(Student, verbose_name=_("học sinh"), on_delete=models.PROTECT, related_name="awards")
    nomination = models.ForeignKey(Nomination, verbose_name=_("đề cử"), on_delete=models.PROTECT, related_name="awards")
    run = models.ForeignKey(AllocationRun, verbose_name=_("lần phân bổ"), null=True, blank=True, on_delete=models.PROTECT, related_name="awards")
    school_year = models.CharField(_("năm học"), max_length=9, editable=False)
    amount = models.BigIntegerField(_("số tiền"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người quyết định"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(_("thời điểm quyết định"), null=True, blank=True)
    decision_reason = models.CharField(_("lý do (khi khác đề xuất)"), max_length=500, blank=True)
    # Every decision checks `conflicts.conflict_for` first: True says the decider had declared no
    # conflict of interest with this student when deciding (a decision with one is refused).
    decider_declared_no_conflict = models.BooleanField(
        _("người quyết định không khai xung đột lợi ích"), default=False,
    )

    objects = AwardQuerySet.as_manager()
    audit_unit_path = "program__unit"

    class Meta:
        verbose_name = _("suất học bổng")
        verbose_name_plural = pgettext_lazy("plural", "suất học bổng")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_amount_positive"),
            # At most one award per student per school year, across programs, once decided.
            models.UniqueConstraint(
                fields=["student", "school_year"], condition=models.Q(status__in=["approved", "paid"]),
                name="award_one_per_student_per_year",
            ),
        ]

    def __str__(self):
        return f"HB-{self.pk:06d}" if self.pk else "HB-(mới)"

    @property
    def disbursement(self):
        """The payment that stands (not reversed), or None.

        An award may have several vouchers over time (paid, reversed, paid again); at most one
        stands (`disbursement_one_standing_per_award`). Reads `prefetch_related("disbursements")`
        when the caller made it, else asks the database.
        """
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("disbursements")
        if prefetched is not None:
            return next((item for item in prefetched if item.reversed_at is None), None)
        if self.pk is None:
            return None
        return self.disbursements.filter(reversed_at__isnull=True).first()


class AwardShare(models.Model):
    """The part of an award paid from one fund (the allocation may split an award)."""

    award = models.ForeignKey(Award, verbose_name=_("suất học bổng"), on_delete=models.PROTECT, related_name="shares")
    fund = models.ForeignKey("ledger.Fund", verbose_name=_("quỹ"), on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("số tiền"))

    audit_unit_path = "award__program__unit"

    class Meta:
        verbose_name = _("phần chi từ quỹ")
        verbose_name_plural = pgettext_lazy("plural", "phần chi từ quỹ")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_share_amount_positive"),
            models.UniqueConstraint(fields=["award", "fund"], name="award_share_unique_fund"),
        ]

    def __str__(self):
        return _("%(amount)s từ %(fund)s") % {"amount": format_vnd(self.amount), "fund": self.fund}


class DisbursementCounter(NumberCounter):
    """The last voucher number given out by (unit, year); locked by every disbursement in it."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="disbursement_counter_unique_unit_year")]


class Disbursement(models.Model):
    """The payment of one award (phiếu chi), with its journal entry."""

    class Method(models.TextChoices):
        CASH = "cash", _("Tiền mặt (có ký nhận)")
        BANK_TRANSFER = "bank_transfer", _("Chuyển khoản")

    # A foreign key, not one-to-one: a reversed voucher stays (its number is never reused) and the
    # award is paid again with a new one; at most one stands (the constraint below).
    award = models.ForeignKey(Award, verbose_name=_("suất học bổng"), on_delete=models.PROTECT, related_name="disbursements")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị chi"), on_delete=models.PROTECT, related_name="disbursements")
    year = models.PositiveSmallIntegerField(_("năm"))
    sequence = models.PositiveIntegerField(_("số thứ tự"))
    number = models.CharField(_("số phiếu chi"), max_length=20)
    method = models.CharField(_("hình thức"), max_length=20, choices=Method.choices)
    paid_on = models.DateField(_("ngày chi"))
    recipient_name = models.CharField(_("người nhận"), max_length=120, help_text=_("Học sinh hoặc người giám hộ ký nhận."))
    bank_reference = models.CharField(_("mã giao dịch ngân hàng"), max_length=100, blank=True)
    # Set in the same transaction right after the entry is posted (the entry names this row as its
    # source, so the row is saved first); never empty once committed.
    entry = models.OneToOneField("ledger.JournalEntry", verbose_name=_("bút toán"), null=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    # A reversal (`services.awards.disbursement_reverse`): the money came back (a bounced transfer, a
    # payment in error); the voucher keeps its number and is printed with the stamp "ĐÃ HỦY / HOÀN".
    reversed_at = models.DateTimeField(_("thời điểm hủy / hoàn"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người hủy / hoàn"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    reversal_reason = models.CharField(_("lý do hủy / hoàn"), max_length=500, blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", verbose_name=_("bút toán đảo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("phiếu chi học bổng")
        verbose_name_plural = pgettext_lazy("plural", "phiếu chi học bổng")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "sequence"], name="disbursement_number_unique"),
            models.UniqueConstraint(
                fields=["award"], condition=models.Q(reversed_at__isnull=True), name="disbursement_one_standing_per_award",
            ),
            # A reversal is whole: when, why and its entry, or none of them.
            models.CheckConstraint(
                condition=models.Q(reversed_at__isnull=True, reversal_entry__isnull=True, reversal_reason="")
                | (models.Q(reversed_at__isnull=False, reversal_entry__isnull=False) & ~models.Q(reversal_reason="")),
                name="disbursement_reversal_complete",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


# --- bank-transfer batches ----------------------------------------------------------------------------
#
# Awards paid by bank transfer go to the bank in one bulk-payment file ("chi hộ"): a batch lists
# approved awards of one program to the students of one unit (and below), with the account each is
# paid into as it was when the file was made. The bank's result file comes back; each successful
# line becomes a disbursement (`services.awards.award_disburse`), a failed one leaves its award
# approved. While a line waits for the bank its award is in no other batch (the constraint below).


class TransferBatch(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Chờ ngân hàng xác nhận")
        DONE = "done", _("Đã đối chiếu xong")
        CANCELLED = "cancelled", _("Đã hủy lô")

    program = models.ForeignKey(
        ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.PROTECT, related_name="transfer_batches"
    )
    recipients_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị nhận"), on_delete=models.PROTECT, related_name="+",
        help_text=_("Học sinh của đơn vị này và các đơn vị trực thuộc."),
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.OPEN)
    line_count = models.PositiveIntegerField(_("số dòng chuyển khoản"))
    total_amount = models.BigIntegerField(_("tổng tiền"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày lập"), auto_now_add=True)

    audit_unit_path = "program__unit"

    class Meta:
        verbose_name = _("lệnh chuyển khoản theo lô")
        verbose_name_plural = pgettext_lazy("plural", "lệnh chuyển khoản theo lô")
        ordering = ["-pk"]

    def __str__(self):
        return f"CK-{self.pk:06d}" if self.pk else "CK-(mới)"


class TransferLine(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ kết quả")
        PAID = "paid", _("Đã chuyển")
        FAILED = "failed", _("Không thành công")
        CANCELLED = "cancelled", _("Hủy cùng lô")

    batch = models.ForeignKey(TransferBatch, on_delete=models.PROTECT, related_name="lines")
    award = models.ForeignKey(Award, verbose_name=_("suất học bổng"), on_delete=models.PROTECT, related_name="transfer_lines")
    number = models.PositiveIntegerField(_("STT"))
    amount = models.BigIntegerField(_("số tiền"))
    # The account as the file gave it to the bank (personal data: erased with the student's).
    account_number = models.CharField(_("số tài khoản nhận"), max_length=19)
    account_holder = models.CharField(_("chủ tài khoản nhận"), max_length=120)
    bank_code = models.CharField(_("ngân hàng"), max_length=10)
    description = models.CharField(_("nội dung"), max_length=50)
    status = models.CharField(_("kết quả"), max_length=10, choices=Status.choices, default=Status.PENDING)
    bank_reference = models.CharField(_("mã giao dịch ngân hàng"), max_length=100, blank=True)
    result_note = models.CharField(_("ghi chú của ngân hàng"), max_length=300, blank=True)
    disbursement = models.OneToOneField(
        Disbursement, verbose_name=_("phiếu chi"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    audit_unit_path = "batch__program__unit"

    class Meta:
        verbose_name = _("dòng chuyển khoản")
        verbose_name_plural = pgettext_lazy("plural", "dòng chuyển khoản")
        ordering = ["batch_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="transfer_line_number_unique"),
            # An award waits on the bank in one batch at most.
            models.UniqueConstraint(
                fields=["award"], condition=models.Q(status="pending"), name="transfer_line_one_pending_per_award",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_line_amount_positive"),
        ]

    def __str__(self):
        return f"{self.batch}-{self.number:03d}"


# --- the committee's integrity: declared conflicts of interest ------------------------------------
#
# A committee member declares what they must not decide on: a relative (one student), their own
# school (a school's name as students' records write it) or their own unit (its students and those
# of the units below it). `services.conflicts.conflict_for(member, nomination)` is the one rule that
# reads these rows; every deciding service (scoring, approving, rejecting, granting) asks it and
# refuses a member it names, whatever the channel. A declaration is never deleted: withdrawing it
# keeps the row with who withdrew it, when and why, so the record shows what was declared when a
# decision was taken.

class ConflictDeclaration(models.Model):
    class Kind(models.TextChoices):
        RELATIVE = "relative", _("Người thân (một học sinh cụ thể)")
        SCHOOL = "school", _("Trường của tôi")
        UNIT = "unit", _("Đơn vị của tôi")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("thành viên hội đồng"), on_delete=models.PROTECT,
        related_name="conflict_declarations",
    )
    # The committee the member sits on (a unit where they may approve awards): who else reads the
    # declaration (that unit's administrators and auditors) is decided by it.
    unit = models.ForeignKey(OrgUnit, verbose_name=_("hội đồng của đơn vị"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("loại xung đột"), max_length=10, choices=Kind.choices)
    student = models.ForeignKey(
        Student, verbose_name=_("học sinh"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    school_name = models.CharField(_("tên trường"), max_length=200, blank=True)
    conflict_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị có xung đột"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("khai lúc"), auto_now_add=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người khai"), null=True, on_delete=models.PROTECT, related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("rút lại lúc"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người rút lại"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.CharField(_("lý do rút lại"), max_length=500, blank=True)

    audit_unit_path = "unit"

    class Meta:
        verbose_name = _("khai báo xung đột lợi ích")
        verbose_name_plural = pgettext_lazy("plural", "khai báo xung đột lợi ích")
        ordering = ["-declared_at", "-pk"]
        indexes = [models.Index(fields=["member", "withdrawn_at"], name="conflict_member_active_idx")]
        constraints = [
            # Each kind names exactly its one object.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="relative", student__isnull=False, school_name="", conflict_unit__isnull=True)
                    | (models.Q(kind="school", student__isnull=True, conflict_unit__isnull=True) & ~models.Q(school_name=""))
                    | models.Q(kind="unit", student__isnull=True, school_name="", conflict_unit__isnull=False)
                ),
                name="conflict_declaration_names_its_object",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True, withdrawal_reason="")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdrawal_reason="")),
                name="conflict_withdrawal_complete",
            ),
        ]

    def __str__(self):
        return f"XĐ-{self.pk:06d}" if self.pk else "XĐ-(mới)"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def describe(self) -> str:
        """What the conflict is about, in words (the refusal message names it)."""
        if self.kind == self.Kind.RELATIVE:
            return _("người thân: học sinh %(code)s") % {"code": Student(pk=self.student_id).code}
        if self.kind == self.Kind.SCHOOL:
            return _("trường của mình: %(school)s") % {"school": self.school_name}
        return _("đơn vị của mình: %(unit)s") % {"unit": self.conflict_unit.name if self.conflict_unit_id else ""}


# --- allocation jobs: a large program's run in the worker -----------------------------------------

class AllocationJob(OutboxJob):
    """A request to run a program's allocation in the worker, and how far it has got.

    Written with its audit row in the requester's transaction and enqueued after commit (the
    outbox); the worker runs `services.allocation_jobs.allocation_job_execute`, which writes the run
    and marks the job done in one transaction (so a job never makes two runs). `progress` (0–100)
    is written from a connection of its own while the run's transaction is open, so the admin's
    page, which refreshes itself, shows it moving.
    """

    done_field = "done_at"

    program = models.ForeignKey(ScholarshipProgram, verbose_name=_("chương trình"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu chạy"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    run = models.OneToOneField(
        AllocationRun, verbose_name=_("lần phân bổ"), null=True, blank=True, on_delete=models.PROTECT, related_name="job",
    )
    done_at = models.DateTimeField(_("hoàn tất lúc"), null=True, blank=True)

    audit_unit_path = "program__unit"

    class Meta:
        verbose_name = _("yêu cầu chạy phân bổ")
        verbose_name_plural = pgettext_lazy("plural", "yêu cầu chạy phân bổ")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "updated_at"], name="allocation_job_status_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="allocation_job_progress_0_to_100"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.program.code}"

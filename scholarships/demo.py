"""Demo students (`manage.py seed_demo`): made-up children in Lam Sơn, Hạc Thành and other communes.

Deterministic (one seeded random generator) and idempotent: the students go in through the same
CSV import a school would use (`students_import`), which skips a child already on file, so a
second run adds nothing. Names, birthdays, phone numbers and identity numbers are invented.

Then one program, "Nâng cánh ước mơ 2026-2027", goes the whole way through the services: every
demo student nominated and scored, an allocation run, the committee's approval of the first
awards and the treasurer's payment of two of them; the rest wait in the admin for a person.
It is created once (its code is the marker).
"""

from __future__ import annotations

import csv
import datetime
import io
import random

from django.contrib.auth import get_user_model

from fundmgr.ledger.models import Fund
from fundmgr.orgs.demo import HAC_THANH_WARD, LAM_SON_COMMUNE, ward_unit_code
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, user_can

from .models import Award, ScholarshipProgram, Student
from .services import IMPORT_COLUMNS, awards, students_import

SEED = 2026
STUDENTS_PER_UNIT = {ward_unit_code(LAM_SON_COMMUNE): 24, ward_unit_code(HAC_THANH_WARD): 16}
OTHER_COMMUNES, STUDENTS_PER_OTHER_COMMUNE = 4, 5

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Hà", "Vi", "Lương", "Bùi", "Đỗ", "Cầm"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Hữu", "Thanh"]
GIVEN = ["An", "Bảo", "Chi", "Dương", "Giang", "Hà", "Huy", "Khánh", "Linh", "Mai", "Nam", "Ngân", "Phúc",
         "Quyên", "Sơn", "Tâm", "Thảo", "Trí", "Vy", "Yến"]
SCHOOLS = {
    "Tiểu học": ["Trường Tiểu học Lam Sơn", "Trường Tiểu học Điện Biên", "Trường Tiểu học Minh Khai"],
    "THCS": ["Trường THCS Trần Mai Ninh", "Trường THCS Lam Sơn", "Trường THCS Điện Biên"],
    "THPT": ["Trường THPT chuyên Lam Sơn", "Trường THPT Hàm Rồng", "Trường THPT Đào Duy Từ"],
}
GRADES = {"Tiểu học": range(1, 6), "THCS": range(6, 10), "THPT": range(10, 13)}
MOBILE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098"]
CIRCUMSTANCES = ["Hộ nghèo", "Hộ cận nghèo", "Mồ côi", "Khuyết tật", "Dân tộc thiểu số", "Vùng sâu, vùng xa"]
NOTES = [
    "Bố mất sớm, mẹ làm ruộng nuôi ba con.", "Nhà cách trường 12 km, đi học bằng xe đạp.",
    "Bố mẹ đi làm ăn xa, em ở với ông bà.", "Gia đình thuộc hộ nghèo nhiều năm liền.", "",
]


def _csv_for(rng: random.Random, count: int, today: datetime.date) -> bytes:
    headers = [spellings[0] for spellings in IMPORT_COLUMNS.values()]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for _ in range(count):
        level = rng.choice(list(SCHOOLS))
        grade = rng.choice(list(GRADES[level]))
        born = datetime.date(today.year - 6 - grade, rng.randint(1, 12), rng.randint(1, 28))
        family = rng.choice(FAMILY)
        circumstances = rng.sample(CIRCUMSTANCES[2:], k=rng.randint(0, 2))
        household = rng.choice(["Hộ nghèo", "Hộ cận nghèo", None, None])
        if household:
            circumstances.insert(0, household)
        score = round(rng.uniform(6.5, 9.9), 1)
        rank = "Xuất sắc" if score >= 9 else "Giỏi" if score >= 8 else "Khá"
        row = {
            "full_name": f"{family} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "date_of_birth": born.strftime("%d/%m/%Y"),
            "gender": rng.choice(["Nam", "Nữ"]),
            "school_name": rng.choice(SCHOOLS[level]),
            "school_level": level,
            "grade": str(grade),
            "average_score": f"{score:.1f}".replace(".", ","),
            "academic_rank": rank,
            "guardian_name": f"{family} {rng.choice(['Văn', 'Thị'])} {rng.choice(GIVEN)}",
            "guardian_phone": f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(1000000, 9999999)}",
            "address": f"Thôn {rng.randint(1, 12)}",
            "national_id": f"038{rng.randint(0, 1)}{rng.randint(10, 20)}{rng.randint(100000, 999999)}",
            "circumstances": "; ".join(circumstances),
            "circumstances_note": rng.choice(NOTES),
        }
        writer.writerow([row.get(name, "") for name in IMPORT_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def seed_demo() -> str:
    # Made-up demo data from a fixed seed, reproducible on purpose: nothing secret comes from it.
    rng = random.Random(SEED)  # nosec B311
    # A fixed "today" for the birthdays, so the file (and the skip-if-known check) is the same every run.
    today = datetime.date(2026, 9, 5)
    nominator = get_user_model().objects.filter(username="nominator").first()
    counts = dict(STUDENTS_PER_UNIT)
    others = (
        OrgUnit.objects.filter(parent__parent__isnull=True, parent__isnull=False)
        .exclude(code__in=list(counts)).order_by("code")[:OTHER_COMMUNES]
    )
    counts.update({unit.code: STUDENTS_PER_OTHER_COMMUNE for unit in others})
    created = skipped = 0
    for code, count in counts.items():
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            continue
        # The demo's nominator files her own commune's students; the seed files the others itself.
        importer = nominator if nominator and user_can(nominator, Action.ADD, Domain.STUDENTS, unit) else None
        result = students_import(unit=unit, content=_csv_for(rng, count, today), created_by=importer)
        created += len(result.created)
        skipped += len(result.skipped_lines)
    return f"students: {created} created, {skipped} already there; " + _seed_program()


PROGRAM_CODE = "NCUM-2026"
RUBRIC = [
    {"code": "poor", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor", "points": 30},
    {"code": "near_poor", "label": "Hộ cận nghèo", "kind": "circumstance", "circumstance": "near_poor", "points": 20},
    {"code": "orphan", "label": "Mồ côi", "kind": "circumstance", "circumstance": "orphan", "points": 20},
    {"code": "disability", "label": "Khuyết tật", "kind": "circumstance", "circumstance": "disability", "points": 15},
    {"code": "ethnic_minority", "label": "Dân tộc thiểu số", "kind": "circumstance",
     "circumstance": "ethnic_minority", "points": 10},
    {"code": "remote", "label": "Vùng sâu, vùng xa", "kind": "circumstance", "circumstance": "remote", "points": 10},
    {"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
     "bands": [{"at_least": "9.0", "points": 40}, {"at_least": "8.0", "points": 30}, {"at_least": "7.0", "points": 15}]},
]


def _seed_program() -> str:
    if ScholarshipProgram.objects.filter(code=PROGRAM_CODE).exists():
        return f"program {PROGRAM_CODE} exists"
    province = OrgUnit.objects.filter(code="TH").first()
    funds = {fund.code: fund for fund in Fund.objects.filter(code__in=["QKH-TH", "QHB-NCUM"])}
    if province is None or len(funds) != 2:
        return "no demo funds: no program"
    User = get_user_model()
    committee, treasurer = (User.objects.filter(username=name).first() for name in ("committee", "treasurer"))
    program = awards.program_create(
        unit=province, code=PROGRAM_CODE, name="Học bổng Nâng cánh ước mơ", school_year="2026-2027",
        award_amount=2_000_000, rubric=RUBRIC, funds={funds["QKH-TH"]: 30_000_000, funds["QHB-NCUM"]: 40_000_000},
        quotas={OrgUnit.objects.get(code=ward_unit_code(LAM_SON_COMMUNE)): 12}, created_by=committee,
    )
    # The seed nominates the children of every commune: it acts as the system, not as one nominator.
    for student in Student.objects.not_anonymised().select_related("unit").order_by("pk"):
        awards.nomination_create(program=program, student=student)
    run = awards.allocation_run(program=program, by=committee)
    proposed = list(Award.objects.filter(run=run).order_by("pk"))
    for award in proposed[:20]:
        awards.award_approve(award=award, by=committee)
    paid_on = datetime.date(2026, 11, 20)
    for award in proposed[:2]:
        awards.award_disburse(
            award=award, method="cash", paid_on=paid_on, recipient_name=award.student.guardian_name or award.student.full_name,
            by=treasurer,
        )
    return f"program {PROGRAM_CODE}: {len(proposed)} awards proposed, 20 approved, 2 paid"

"""Fixtures for the students tests: two communes, one user per role, and a few children; and for the
scholarship tests, the scene of `test_awards.py` (two funds, a program, six nominated students)."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, LedgerChainHead
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from scholarships.services import awards, student_create
from tests.conftest import unit_tree

Role = Membership.Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db):
    """province ─┬─ commune_a ── school_a
                 └─ commune_b
    """
    return unit_tree(
        ("province", "T", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "T-A", "commune", "Hội Khuyến học xã Lam Sơn", "province"),
        ("school_a", "T-A-1", "branch", "Chi hội Trường Tiểu học Lam Sơn", "commune_a"),
        ("commune_b", "T-B", "commune", "Hội Khuyến học phường Hạc Thành", "province"),
    )


@pytest.fixture
def people(units):
    """One user per role: nominators of A and B, the province's committee and auditor, a treasurer."""
    User = get_user_model()

    def make(username, role=None, unit=None, superuser=False):
        user = User.objects.create_user(username=username, password="mật-khẩu-thử-1", is_superuser=superuser,
                                        is_staff=superuser)
        if role:
            membership_grant(user=user, unit=unit, role=role)
        return user

    return {
        "nominator_a": make("decu_a", Role.NOMINATOR, units.commune_a),
        "nominator_b": make("decu_b", Role.NOMINATOR, units.commune_b),
        "committee": make("hoidong", Role.COMMITTEE, units.province),
        "auditor": make("kiemtra", Role.AUDITOR, units.province),
        "auditor_a": make("kiemtra_a", Role.AUDITOR, units.commune_a),
        "treasurer": make("thuquy", Role.TREASURER, units.province),
        "superuser": make("root", superuser=True),
    }


def make_student(unit, **fields):
    values = {
        "full_name": "Lò Thị Mai", "date_of_birth": datetime.date(2013, 5, 9), "gender": "female",
        "guardian_name": "Lò Văn Sáng", "guardian_phone": "0912 345 678", "address": "Bản Khó, xã Lam Sơn",
        "national_id": "038313000123", "circumstances_note": "Bố mất năm 2022, mẹ làm nương.",
        "school_name": "Trường THCS Lam Sơn", "school_level": "lower_secondary", "grade": 7,
        "average_score": "9.10", "academic_rank": "very_good", "poor_household": True, "ethnic_minority": True,
    }
    values.update(fields)
    return student_create(unit=unit, **values)


@pytest.fixture
def student_a(units):
    return make_student(units.school_a)


@pytest.fixture
def student_b(units):
    return make_student(
        units.commune_b, full_name="Nguyễn Minh Khôi", national_id="038212000456", guardian_phone="0987 654 321",
        poor_household=False, near_poor_household=True, ethnic_minority=False,
    )


# --- the scholarship scene (see test_awards.py) ------------------------------------------------

DAY = datetime.date(2026, 11, 20)
RUBRIC = [{
    "code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
    "bands": [{"at_least": value, "points": points} for value, points in
              (("9.5", 95), ("9.0", 90), ("8.5", 85), ("8.0", 80), ("7.5", 75), ("7.0", 70))],
}]


@pytest.fixture
def funds(units):
    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    general = Fund.objects.create(code="QKH", name="Quỹ Khuyến học tỉnh", unit=units.province)
    poor_only = Fund.objects.create(
        code="NCUM", name="Quỹ học bổng Nâng cánh ước mơ", unit=units.province,
        restriction=Fund.Restriction.CIRCUMSTANCES, restricted_circumstances=["poor", "near_poor"],
    )
    for fund, amount in ((general, 10_000_000), (poor_only, 4_000_000)):
        entry_post(unit=units.province, date=DAY, memo="Thu ủng hộ", lines=[
            Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount),
        ])
    return general, poor_only


@pytest.fixture
def program(units, funds, people):
    general, poor_only = funds
    return awards.program_create(
        unit=units.province, code="ncum-2026", name="Nâng cánh ước mơ", school_year="2026-2027",
        award_amount=2_000_000, rubric=RUBRIC, funds={general: 6_000_000, poor_only: 4_000_000},
        created_by=people["committee"],
    )


@pytest.fixture
def six(units, program, people):
    """The six nominated students, by letter."""
    specs = {"A": ("9.6", False), "B": ("9.1", True), "C": ("8.6", True), "D": ("8.1", False),
             "E": ("7.6", False), "F": ("7.1", True)}
    students = {}
    for number, (letter, (score, poor)) in enumerate(specs.items()):
        student = make_student(
            units.school_a if letter in "ABC" else units.commune_b, full_name=f"Học sinh {letter}",
            national_id=f"0383130000{number:02d}", average_score=score, poor_household=poor, ethnic_minority=False,
        )
        nominator = people["nominator_a"] if letter in "ABC" else people["nominator_b"]
        awards.nomination_create(program=program, student=student, by=nominator)
        students[letter] = student
    return students

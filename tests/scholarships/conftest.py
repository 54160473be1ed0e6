"""Fixtures for the students tests: two communes, one user per role, and a few children."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import Membership, OrgUnit
from fundmgr.orgs.services import membership_grant
from scholarships.services import student_create

Role = Membership.Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Units:
    """province ─┬─ commune_a ── school_a
                 └─ commune_b
    """

    def __init__(self):
        self.province = OrgUnit.objects.create(name="Hội Khuyến học tỉnh", code="T", kind=OrgUnit.Kind.PROVINCE)
        self.commune_a = OrgUnit.objects.create(
            name="Hội Khuyến học xã Lam Sơn", code="T-A", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )
        self.school_a = OrgUnit.objects.create(
            name="Chi hội Trường Tiểu học Lam Sơn", code="T-A-1", kind=OrgUnit.Kind.BRANCH, parent=self.commune_a
        )
        self.commune_b = OrgUnit.objects.create(
            name="Hội Khuyến học phường Hạc Thành", code="T-B", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )


@pytest.fixture
def units(db):
    return Units()


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

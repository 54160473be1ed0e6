"""Fixtures for the security tests: a two-branch association tree and one user per role.

Memberships are created directly (not through `orgs.services`) so these tests depend only on
the orgs models; `is_staff` is set as granting a role would.
"""

import pytest
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import Membership, OrgUnit

PASSWORD = "mật-khẩu-kiểm-thử-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Units:
    """province ─┬─ commune_a ── branch_a
                 └─ commune_b
    """

    def __init__(self):
        self.province = OrgUnit.objects.create(name="Hội Khuyến học tỉnh", code="S", kind=OrgUnit.Kind.PROVINCE)
        self.commune_a = OrgUnit.objects.create(
            name="Hội Khuyến học xã A", code="S-A", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )
        self.branch_a = OrgUnit.objects.create(
            name="Chi hội A1", code="S-A-1", kind=OrgUnit.Kind.BRANCH, parent=self.commune_a
        )
        self.commune_b = OrgUnit.objects.create(
            name="Hội Khuyến học phường B", code="S-B", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )


@pytest.fixture
def units(db):
    return Units()


@pytest.fixture
def make_user(db):
    def make(username, *, role=None, unit=None, superuser=False):
        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@example.vn",
            is_superuser=superuser, is_staff=superuser or role is not None,
        )
        if role is not None:
            Membership.objects.create(user=user, unit=unit, role=role)
        return user

    return make

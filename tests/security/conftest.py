"""Fixtures for the security tests: a two-branch association tree and one user per role.

Memberships are created directly (not through `orgs.services`) so these tests depend only on
the orgs models; `is_staff` is set as granting a role would.
"""

import pytest
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import Membership
from tests.conftest import unit_tree

PASSWORD = "mật-khẩu-kiểm-thử-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db):
    """province ─┬─ commune_a ── branch_a
                 └─ commune_b
    """
    return unit_tree(
        ("province", "S", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "S-A", "commune", "Hội Khuyến học xã A", "province"),
        ("branch_a", "S-A-1", "branch", "Chi hội A1", "commune_a"),
        ("commune_b", "S-B", "commune", "Hội Khuyến học phường B", "province"),
    )


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

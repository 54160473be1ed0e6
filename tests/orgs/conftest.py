"""Fixtures for the orgs tests: a small association tree and users with one role each."""

import pytest
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.services import membership_grant
from tests.conftest import unit_tree


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo seed and force_login hash passwords; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The codes of every unit of `tree`.
ALL_CODES = {"P", "P-A", "P-A-1", "P-A-1-a", "P-B", "P-B-1"}


@pytest.fixture
def tree():
    """province ─┬─ commune_a ── branch_a ── group_a
                 └─ commune_b ── branch_b
    """
    tree = unit_tree(
        ("province", "P", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "P-A", "commune", "Hội Khuyến học xã A", "province"),
        ("branch_a", "P-A-1", "branch", "Chi hội thôn A1", "commune_a"),
        ("group_a", "P-A-1-a", "branch", "Tổ khuyến học A1a", "branch_a"),
        ("commune_b", "P-B", "commune", "Hội Khuyến học phường B", "province"),
        ("branch_b", "P-B-1", "branch", "Chi hội trường B1", "commune_b"),
    )
    tree.all_codes = ALL_CODES
    return tree


@pytest.fixture
def make_user():
    def make(username, *, role=None, unit=None, superuser=False, active=True):
        user = get_user_model().objects.create_user(
            username=username, password="mật-khẩu-thử-1", is_superuser=superuser, is_staff=superuser,
            is_active=active,
        )
        if role is not None:
            membership_grant(user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def demo():
    """The seeded demo association (Thanh Hóa: province, 166 communes and wards, branches, users)."""
    from fundmgr.orgs.demo import seed_demo

    seed_demo()
    return {unit.code: unit for unit in OrgUnit.objects.all()}

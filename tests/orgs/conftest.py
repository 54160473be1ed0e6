"""Fixtures for the orgs tests: a small association tree and users with one role each."""

import pytest
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.services import membership_grant


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo seed and force_login hash passwords; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Tree:
    """province ─┬─ commune_a ── branch_a ── group_a
                 └─ commune_b ── branch_b
    """

    def __init__(self):
        self.province = OrgUnit.objects.create(
            name="Hội Khuyến học tỉnh", code="P", kind=OrgUnit.Kind.PROVINCE
        )
        self.commune_a = OrgUnit.objects.create(
            name="Hội Khuyến học xã A", code="P-A", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )
        self.branch_a = OrgUnit.objects.create(
            name="Chi hội thôn A1", code="P-A-1", kind=OrgUnit.Kind.BRANCH, parent=self.commune_a
        )
        self.group_a = OrgUnit.objects.create(
            name="Tổ khuyến học A1a", code="P-A-1-a", kind=OrgUnit.Kind.BRANCH, parent=self.branch_a
        )
        self.commune_b = OrgUnit.objects.create(
            name="Hội Khuyến học phường B", code="P-B", kind=OrgUnit.Kind.COMMUNE, parent=self.province
        )
        self.branch_b = OrgUnit.objects.create(
            name="Chi hội trường B1", code="P-B-1", kind=OrgUnit.Kind.BRANCH, parent=self.commune_b
        )

    @property
    def all_codes(self):
        return {"P", "P-A", "P-A-1", "P-A-1-a", "P-B", "P-B-1"}


@pytest.fixture
def tree():
    return Tree()


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

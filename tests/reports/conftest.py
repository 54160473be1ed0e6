"""Fixtures of the reports tests: a small association tree, users with one role each, funds in
each unit, and the test exporters in a registry of their own."""

import pytest
from django.contrib.auth import get_user_model

from fundmgr.core import exporting
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership
from tests.conftest import unit_tree

from . import exporters

PASSWORD = "mat-khau-kiem-tra-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """The test exporters, in place of the project's (the registry dict is swapped for this test)."""
    monkeypatch.setattr(exporting, "_exporters", {})
    exporters.install()
    return exporting._exporters


@pytest.fixture
def units(db):
    """province ─┬─ commune_a ── branch_a
                 └─ commune_b
    """
    return unit_tree(
        ("province", "TH", "province", "Hội Khuyến học tỉnh Thanh Hóa", None),
        ("commune_a", "TH-HT", "commune", "Hội Khuyến học xã Hạc Thành", "province"),
        ("branch_a", "TH-HT-1", "branch", "Chi hội thôn Đông", "commune_a"),
        ("commune_b", "TH-SS", "commune", "Hội Khuyến học phường Sầm Sơn", "province"),
    )


@pytest.fixture
def funds(units):
    return {
        code: Fund.objects.create(code=code, name=name, unit=unit)
        for code, name, unit in [
            ("QKH-TH", "Quỹ Khuyến học tỉnh", units.province),
            ("QKH-HT", "Quỹ Khuyến học xã Hạc Thành", units.commune_a),
            ("QKH-HT-1", "Quỹ chi hội thôn Đông", units.branch_a),
            ("QKH-SS", "Quỹ Khuyến học Sầm Sơn", units.commune_b),
        ]
    }


@pytest.fixture
def make_user(db):
    def make(username, *, role=None, unit=None, superuser=False):
        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, is_staff=True, is_superuser=superuser,
        )
        if role is not None:
            Membership.objects.create(user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def auditor_a(make_user, units):
    return make_user("kiemtra_hacthanh", role=Membership.Role.AUDITOR, unit=units.commune_a)


@pytest.fixture
def treasurer(make_user, units):
    return make_user("thuquy_tinh", role=Membership.Role.TREASURER, unit=units.province)


@pytest.fixture
def nominator(make_user, units):
    return make_user("decu_hacthanh", role=Membership.Role.NOMINATOR, unit=units.commune_a)

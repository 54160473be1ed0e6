"""Fixtures of the API platform tests: a small association tree, users by role, tokens."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from fundmgr.api.models import ApiToken
from fundmgr.api.services import api_token_create
from fundmgr.orgs.models import Membership
from tests.conftest import unit_tree


@pytest.fixture
def units(db):
    """province ─┬─ commune_a
                 └─ commune_b
    """
    return unit_tree(
        ("province", "P", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "P-A", "commune", "Hội Khuyến học xã A", "province"),
        ("commune_b", "P-B", "commune", "Hội Khuyến học phường B", "province"),
    )


@pytest.fixture
def make_user(db):
    def make(username, *, role=None, unit=None, superuser=False):
        user = get_user_model().objects.create_user(
            username=username, password="x" * 12, is_superuser=superuser, is_staff=superuser or role is not None,
        )
        if role is not None:
            Membership.objects.create(user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def treasurer(make_user, units):
    return make_user("thuquy", role=Membership.Role.TREASURER, unit=units.province)


def token_for(user, scope=ApiToken.Scope.READ_WRITE, days=30) -> str:
    _token, plain = api_token_create(
        user=user, name="tích hợp", scope=scope, expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return plain


def token_client(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client

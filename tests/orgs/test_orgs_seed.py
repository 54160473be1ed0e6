"""The demo seed: the whole Thanh Hóa association, once, however often it runs."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model

from fundmgr.orgs.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db

User = get_user_model()


def snapshot():
    return (
        sorted(
            OrgUnit.objects.values_list("code", "name", "kind", "parent__code", "path", "administrative_code")
        ),
        sorted(User.objects.values_list("username", "password", "is_staff", "is_superuser", "first_name")),
        sorted(Membership.objects.values_list("user__username", "unit__code", "role")),
    )


def seed():
    return apps.get_app_config("orgs").seed_demo()


def test_seed_creates_the_province_its_166_communes_and_wards_and_the_branches(django_assert_max_num_queries):
    # The communes go in with one bulk_create and one bulk_update; the ~80 queries are the
    # province, 4 branches, 6 users and 5 grants (get_or_create adds savepoints). Saving each
    # commune by itself would take over 500.
    with django_assert_max_num_queries(100):
        summary = seed()
    assert summary == "171 units (171 new), 6 new users, 5 new memberships"
    province = OrgUnit.objects.get(code="TH")
    assert (province.name, province.kind, province.administrative_code, province.parent) == (
        "Hội Khuyến học tỉnh Thanh Hóa", "province", "38", None
    )
    communes = OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNE)
    assert communes.count() == 166
    assert set(communes.values_list("parent__code", flat=True)) == {"TH"}
    hac_thanh = OrgUnit.objects.get(code="TH-14797")
    assert (hac_thanh.name, hac_thanh.administrative_code) == ("Hội Khuyến học Phường Hạc Thành", "14797")
    assert OrgUnit.objects.count() == 1 + 166 + 4
    assert sorted(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).values_list("parent__code", "name")) == [
        ("TH-14797", "Chi hội Khuyến học Trường THCS Trần Mai Ninh"),
        ("TH-14797", "Chi hội Khuyến học tổ dân phố 1"),
        ("TH-15544", "Chi hội Khuyến học Trường Tiểu học Lam Sơn"),
        ("TH-15544", "Chi hội Khuyến học thôn Trung Sơn"),
    ]


def test_every_seeded_path_is_its_parents_path_plus_its_id():
    seed()
    for unit in OrgUnit.objects.select_related("parent"):
        parent_path = unit.parent.path if unit.parent else ""
        assert unit.path == f"{parent_path}{unit.pk:010d}.", unit.code


def test_seed_users_and_roles():
    seed()
    assert sorted(Membership.objects.values_list("user__username", "unit__code", "role")) == [
        ("auditor", "TH", "auditor"),
        ("committee", "TH", "committee"),
        ("nominator", "TH-15544", "nominator"),
        ("treasurer", "TH", "treasurer"),
        ("treasurer_hacthanh", "TH-14797", "treasurer"),
    ]
    users = {user.username: user for user in User.objects.all()}
    assert set(users) == {"admin", "treasurer", "auditor", "nominator", "committee", "treasurer_hacthanh"}
    assert all(user.is_staff and user.check_password(settings.DEMO_PASSWORD) for user in users.values())
    assert [name for name, user in users.items() if user.is_superuser] == ["admin"]
    assert users["treasurer_hacthanh"].get_full_name() == "Đỗ Thị Mai"


def test_seeding_twice_changes_nothing():
    seed()
    before = snapshot()
    assert seed() == "171 units (0 new), 0 new users, 0 new memberships"
    assert snapshot() == before


def test_seeding_again_keeps_a_changed_password():
    seed()
    treasurer = User.objects.get(username="treasurer")
    treasurer.set_password("mật-khẩu-riêng-2026")
    treasurer.save(update_fields=["password"])
    seed()
    treasurer.refresh_from_db()
    assert treasurer.check_password("mật-khẩu-riêng-2026")
    assert not treasurer.check_password(settings.DEMO_PASSWORD)

"""Demo data for `orgs`: the Thanh Hóa province association, its communes and wards, a few
branches, and one log-in per role.

The 166 communes and wards come from `vietnam_provinces` (the list after the 2025 reform, which
removed districts), so the demo follows the official catalogue instead of a hand-typed copy.
Idempotent: units and users are looked up by code and username; a user's password is set only
when the user is created, so a demo password someone changed survives a second run.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from vietnam_provinces import ProvinceCode
from vietnam_provinces.lookup import WARD_MAPPING

from .models import PATH_STEP, Membership, OrgUnit
from .services import membership_grant

PROVINCE_CODE = "TH"
HAC_THANH_WARD = 14797  # Phường Hạc Thành, the provincial capital's centre
LAM_SON_COMMUNE = 15544  # Xã Lam Sơn

# (parent ward code, code suffix, name)
BRANCHES = [
    (HAC_THANH_WARD, "THCS-TMN", "Chi hội Khuyến học Trường THCS Trần Mai Ninh"),
    (HAC_THANH_WARD, "TDP-1", "Chi hội Khuyến học tổ dân phố 1"),
    (LAM_SON_COMMUNE, "THON-TS", "Chi hội Khuyến học thôn Trung Sơn"),
    (LAM_SON_COMMUNE, "TH-LS", "Chi hội Khuyến học Trường Tiểu học Lam Sơn"),
]

# username, full name, e-mail, (role, unit code) or None for the superuser
USERS = [
    ("admin", "Nguyễn Văn Quản", "admin@khuyenhoc.local", None),
    ("treasurer", "Lê Thị Hương", "thuquy@khuyenhoc.local", (Membership.Role.TREASURER, PROVINCE_CODE)),
    ("auditor", "Trần Văn Minh", "kiemtra@khuyenhoc.local", (Membership.Role.AUDITOR, PROVINCE_CODE)),
    ("nominator", "Phạm Thị Lan", "decu@khuyenhoc.local",
     (Membership.Role.NOMINATOR, f"{PROVINCE_CODE}-{LAM_SON_COMMUNE:05d}")),
    ("committee", "Hoàng Văn Đức", "hoidong@khuyenhoc.local", (Membership.Role.COMMITTEE, PROVINCE_CODE)),
    ("treasurer_hacthanh", "Đỗ Thị Mai", "thuquy.hacthanh@khuyenhoc.local",
     (Membership.Role.TREASURER, f"{PROVINCE_CODE}-{HAC_THANH_WARD:05d}")),
]


def ward_unit_code(ward_code: int) -> str:
    return f"{PROVINCE_CODE}-{ward_code:05d}"


def seed_demo() -> str:
    province, province_created = OrgUnit.objects.get_or_create(
        code=PROVINCE_CODE,
        defaults={
            "name": "Hội Khuyến học tỉnh Thanh Hóa",
            "kind": OrgUnit.Kind.PROVINCE,
            "administrative_code": "38",
        },
    )
    new_units = int(province_created)
    new_units += _seed_communes(province)
    new_units += _seed_branches()
    new_users, new_memberships = _seed_users()
    return (
        f"{OrgUnit.objects.count()} units ({new_units} new), "
        f"{new_users} new users, {new_memberships} new memberships"
    )


def _seed_communes(province: OrgUnit) -> int:
    wards = sorted(
        (ward for ward in WARD_MAPPING.values() if ward.province_code == ProvinceCode.P_38),
        key=lambda ward: int(ward.code),
    )
    existing = set(
        OrgUnit.objects.filter(code__in=[ward_unit_code(int(ward.code)) for ward in wards]).values_list(
            "code", flat=True
        )
    )
    # bulk_create skips OrgUnit.save(), which computes `path` from the primary key: insert with
    # an empty path, read the new keys back by code, then set every path in one bulk_update.
    missing = [
        OrgUnit(
            name=f"Hội Khuyến học {ward.name}",
            code=ward_unit_code(int(ward.code)),
            kind=OrgUnit.Kind.COMMUNE,
            parent=province,
            administrative_code=f"{int(ward.code):05d}",
            path="",
        )
        for ward in wards
        if ward_unit_code(int(ward.code)) not in existing
    ]
    if not missing:
        return 0
    OrgUnit.objects.bulk_create(missing, batch_size=500)
    created = list(OrgUnit.objects.filter(code__in=[unit.code for unit in missing]).only("pk", "path"))
    for unit in created:
        unit.path = f"{province.path}{unit.pk:0{PATH_STEP}d}."
    OrgUnit.objects.bulk_update(created, ["path"], batch_size=500)
    return len(created)


def _seed_branches() -> int:
    created_count = 0
    for ward_code, suffix, name in BRANCHES:
        parent = OrgUnit.objects.get(code=ward_unit_code(ward_code))
        _, created = OrgUnit.objects.get_or_create(
            code=f"{parent.code}-{suffix}",
            defaults={"name": name, "kind": OrgUnit.Kind.BRANCH, "parent": parent},
        )
        created_count += int(created)
    return created_count


def _seed_users() -> tuple[int, int]:
    user_model = get_user_model()
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=[u[3][1] for u in USERS if u[3]])}
    password_hash = None  # hashed once, and only when a user is new: hashing is slow on purpose
    new_users = 0
    memberships_before = Membership.objects.count()
    for username, full_name, email, membership in USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password_hash = password_hash or make_password(settings.DEMO_PASSWORD)
            # Vietnamese names put the family name first; get_full_name() would print
            # first_name + last_name in that order, so the whole name goes in first_name.
            user = user_model.objects.create(
                username=username,
                first_name=full_name,
                email=email,
                password=password_hash,
                is_staff=True,
                is_superuser=membership is None,
            )
            new_users += 1
        if membership is not None:
            role, unit_code = membership
            membership_grant(user=user, unit=units[unit_code], role=role, granted_by=None)
    return new_users, Membership.objects.count() - memberships_before

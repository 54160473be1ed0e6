"""The admin through the test client: scope, the capability table, and query counts."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.orgs.models import Membership, OrgUnit
from fundmgr.orgs.roles import Domain

pytestmark = pytest.mark.django_db

User = get_user_model()
Role = Membership.Role
CHANGELIST = reverse("admin:orgs_orgunit_changelist")
ADD = reverse("admin:orgs_orgunit_add")


def change_url(unit):
    return reverse("admin:orgs_orgunit_change", args=[unit.pk])


def listed_codes(response):
    return {unit.code for unit in response.context["cl"].result_list}


def log_in(client, username):
    client.force_login(User.objects.get(username=username))


def unit_form(unit, **changes):
    data = {
        "name": unit.name, "code": unit.code, "kind": unit.kind,
        "administrative_code": unit.administrative_code, "address": unit.address,
    }
    return {**data, **changes}


# --- a commune treasurer ------------------------------------------------------------------------

def test_commune_treasurer_lists_only_hac_thanh_and_its_branches(client, demo):
    log_in(client, "treasurer_hacthanh")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_codes(response) == {"TH-14797", "TH-14797-THCS-TMN", "TH-14797-TDP-1"}
    assert response.context["cl"].result_count == 3


def test_commune_treasurer_opening_another_commune_is_told_it_does_not_exist(client, demo):
    log_in(client, "treasurer_hacthanh")
    other = demo["TH-15544"]  # Xã Lam Sơn
    response = client.get(change_url(other))
    # A row outside the scoped queryset is, for the admin, a row that does not exist.
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"đơn vị hội với ID “{other.pk}” không tồn tại. Có lẽ nó đã bị xóa?"
    ]


def test_commune_treasurer_may_not_add_units(client, demo):
    log_in(client, "treasurer_hacthanh")
    assert client.get(ADD).status_code == 403
    response = client.post(ADD, unit_form(OrgUnit(name="Chi hội mới", code="X", kind="branch"),
                                          parent=demo["TH-14797"].pk))
    assert response.status_code == 403
    assert not OrgUnit.objects.filter(code="X").exists()


def test_staff_without_membership_gets_no_orgs_admin(client, demo):
    log_in(client, "treasurer_hacthanh")
    assert client.get(reverse("admin:app_list", args=["orgs"])).status_code == 200
    outsider = User.objects.create_user("nhan_vien", password="mật-khẩu-thử-1", is_staff=True)
    client.force_login(outsider)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:app_list", args=["orgs"])).status_code == 404


# --- the auditor --------------------------------------------------------------------------------

def test_auditor_sees_every_unit(client, demo):
    log_in(client, "auditor")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 171
    assert client.get(change_url(demo["TH-15544"])).status_code == 200  # a read-only page


def test_auditor_changes_nothing(client, demo):
    log_in(client, "auditor")
    before = sorted(OrgUnit.objects.values_list("pk", "name", "code", "path"))
    unit = demo["TH-14797"]
    response = client.post(change_url(unit), unit_form(unit, name="Đổi tên"))
    assert response.status_code == 403
    assert client.get(ADD).status_code == 403
    new = OrgUnit(name="Chi hội mới", code="X", kind="branch")
    response = client.post(ADD, unit_form(new, parent=unit.pk))
    assert response.status_code == 403
    delete = reverse("admin:orgs_orgunit_delete", args=[demo["TH-14797-TDP-1"].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert sorted(OrgUnit.objects.values_list("pk", "name", "code", "path")) == before


# --- a unit admin -------------------------------------------------------------------------------

@pytest.fixture
def hac_thanh_admin(demo, make_user):
    return make_user("quantri_hacthanh", role=Role.ADMIN, unit=demo["TH-14797"])


def test_unit_admin_adds_a_branch_below_the_own_unit(client, demo, hac_thanh_admin):
    client.force_login(hac_thanh_admin)
    parent = demo["TH-14797"]
    new = OrgUnit(
        name="Chi hội Khuyến học Trường THPT chuyên Lam Sơn", code="TH-14797-THPT-LS", kind="branch"
    )
    response = client.post(ADD, unit_form(new, parent=parent.pk))
    assert response.status_code == 302
    created = OrgUnit.objects.get(code="TH-14797-THPT-LS")
    assert (created.parent, created.path) == (parent, f"{parent.path}{created.pk:010d}.")


def test_unit_admin_cannot_add_a_unit_outside_the_own_unit(client, demo, hac_thanh_admin):
    client.force_login(hac_thanh_admin)
    response = client.get(ADD)
    offered = {unit.code for unit in response.context["adminform"].form.fields["parent"].queryset}
    assert offered == {"TH-14797", "TH-14797-THCS-TMN", "TH-14797-TDP-1"}
    new = OrgUnit(name="Chi hội lạ", code="TH-X", kind="branch")
    for parent in (demo["TH"], demo["TH-15544"], None):
        response = client.post(ADD, unit_form(new, parent=parent.pk if parent else ""))
        assert response.status_code == 200  # the form again, with an error on `parent`
        assert list(response.context["adminform"].form.errors) == ["parent"]
    assert not OrgUnit.objects.filter(code="TH-X").exists()


def test_unit_admin_renames_the_own_unit_but_cannot_delete_it(client, demo, hac_thanh_admin):
    client.force_login(hac_thanh_admin)
    unit = demo["TH-14797"]
    response = client.post(change_url(unit), unit_form(unit, name="Hội Khuyến học phường Hạc Thành"))
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.name, unit.parent.code) == ("Hội Khuyến học phường Hạc Thành", "TH")
    delete = reverse("admin:orgs_orgunit_delete", args=[unit.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert OrgUnit.objects.filter(pk=unit.pk).exists()


def test_unit_admin_grants_a_role_in_the_own_unit_only(client, demo, hac_thanh_admin):
    client.force_login(hac_thanh_admin)
    newcomer = User.objects.create_user("giao_vien", password="mật-khẩu-thử-1")
    add_membership = reverse("admin:orgs_membership_add")
    school = demo["TH-14797-THCS-TMN"]
    response = client.post(add_membership, {"user": newcomer.pk, "unit": demo["TH"].pk, "role": "treasurer"})
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["unit"]
    assert not Membership.objects.filter(user=newcomer).exists()

    response = client.post(add_membership, {"user": newcomer.pk, "unit": school.pk, "role": "nominator"})
    assert response.status_code == 302
    assert list(newcomer.memberships.values_list("unit__code", "role")) == [
        ("TH-14797-THCS-TMN", "nominator")
    ]
    newcomer.refresh_from_db()
    assert newcomer.is_staff is True  # granted through membership_grant


def test_memberships_are_listed_in_scope(client, demo):
    log_in(client, "treasurer_hacthanh")
    response = client.get(reverse("admin:orgs_membership_changelist"))
    assert [(m.user.username, m.unit.code) for m in response.context["cl"].result_list] == [
        ("treasurer_hacthanh", "TH-14797")
    ]


# --- query counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("communes", [5, 50])
def test_unit_changelist_query_count_does_not_follow_the_rows(communes, client, make_user,
                                                              django_assert_num_queries):
    province = OrgUnit.objects.create(name="Tỉnh", code="P", kind=OrgUnit.Kind.PROVINCE)
    for number in range(communes):
        OrgUnit.objects.create(
            name=f"Xã {number}", code=f"P-{number}", kind=OrgUnit.Kind.COMMUNE, parent=province
        )
    client.force_login(make_user("thuquy", role=Role.TREASURER, unit=province))
    # 1 session, 2 user, 3 the user's memberships (read once, kept on the user for the request),
    # 4 count of the rows after search and filters, 5 count of all rows in scope (the "x of y"
    # line), 6-7 Django's own user and group permissions (the sidebar's auth app asks for them),
    # 8 the page of units joined to their parent (list_select_related, no query per row).
    with django_assert_num_queries(8):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == communes + 1


# --- the mixin on another domain ----------------------------------------------------------------

class MoneyLikeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Stands in for a money admin of another app (Membership only lends its `unit` field)."""

    scope_field = "unit"
    permission_domain = Domain.MONEY


def request_for(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_money_rows_are_never_deleted_not_even_by_a_superuser(demo):
    model_admin = MoneyLikeAdmin(Membership, admin.site)
    row = Membership.objects.get(user__username="treasurer_hacthanh")
    for username in ("admin", "treasurer", "treasurer_hacthanh"):
        request = request_for(User.objects.get(username=username))
        assert model_admin.has_delete_permission(request) is False
        assert model_admin.has_delete_permission(request, row) is False
        assert model_admin.has_change_permission(request, row) is True


def test_money_admin_offers_and_accepts_only_the_treasurers_units(demo):
    model_admin = MoneyLikeAdmin(Membership, admin.site)
    request = request_for(User.objects.get(username="treasurer_hacthanh"))
    field = model_admin.formfield_for_foreignkey(Membership._meta.get_field("unit"), request)
    assert {unit.code for unit in field.queryset} == {"TH-14797", "TH-14797-THCS-TMN", "TH-14797-TDP-1"}

    before = sorted(Membership.objects.values_list("pk", "user_id", "unit_id", "role"))
    outside = Membership(user=request.user, unit=demo["TH-15544"], role=Role.TREASURER)
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, outside, form=None, change=False)
    assert sorted(Membership.objects.values_list("pk", "user_id", "unit_id", "role")) == before


def test_money_admin_hides_money_from_roles_without_money(demo):
    model_admin = MoneyLikeAdmin(Membership, admin.site)
    committee = request_for(User.objects.get(username="committee"))
    assert model_admin.has_module_permission(committee) is False
    assert model_admin.get_queryset(committee).count() == 0
    auditor = request_for(User.objects.get(username="auditor"))
    assert model_admin.has_module_permission(auditor) is True
    assert model_admin.has_add_permission(auditor) is False
    assert model_admin.get_queryset(auditor).count() == Membership.objects.count()

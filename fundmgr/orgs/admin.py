"""Admin for association units and memberships (the scoped-admin toolkit is `fundmgr.adminkit`)."""

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.adminkit.search import FoldedSearchMixin

from .models import Membership, OrgUnit
from .roles import Action, Domain
from .services import membership_grant, membership_revoke


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    scope_field = ""
    permission_domain = Domain.ORG
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "administrative_code"]
    list_select_related = ["parent"]
    fields = ["name", "code", "kind", "parent", "administrative_code", "address"]

    def get_scope_unit(self, obj):
        # A unit being created is decided by the unit it goes under.
        if obj is not None and obj.pk is None:
            return obj.parent
        return super().get_scope_unit(obj)

    def get_readonly_fields(self, request, obj=None):
        # Moving a unit would have to rewrite the paths of everything below it; not offered here.
        return ["parent"] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "parent" in form.base_fields and not request.user.is_superuser:
            form.base_fields["parent"].required = True  # only a superuser creates a root
        return form

    def has_delete_permission(self, request, obj=None):
        # A unit is removed from above: a unit's own admin may not delete the unit itself.
        if obj is None:
            return super().has_delete_permission(request)
        if obj.parent_id is None:
            return request.user.is_active and request.user.is_superuser
        return self._user_can(request, Action.DELETE, obj.parent)


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.ORG
    list_display = ["user", "full_name", "role", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__name", "unit__code"]
    list_select_related = ["user", "unit"]
    fields = ["user", "unit", "role"]

    @admin.display(description=gettext_lazy("họ và tên"), ordering="user__first_name")
    def full_name(self, membership):
        return membership.user.get_full_name()

    def has_change_permission(self, request, obj=None):
        return False  # a role is granted or revoked, never edited in place

    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        membership = membership_grant(user=obj.user, unit=obj.unit, role=obj.role, granted_by=request.user)
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        membership_revoke(membership=obj, revoked_by=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "unit").order_by("pk"):
            membership_revoke(membership=membership, revoked_by=request.user)

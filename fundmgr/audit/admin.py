"""The audit trail in the admin: read-only, for auditors and superusers.

Nobody adds, changes or deletes a row here (the model and, on PostgreSQL, a trigger refuse it
anyway). An auditor is a user with an auditor membership in any unit; audit rows carry no
unit, so an auditor sees the whole trail (personal fields in it are masked).
"""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fundmgr.orgs.models import Membership
from fundmgr.orgs.scoping import user_unit_paths

from .models import AuditEvent


def may_read_audit_trail(user) -> bool:
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    # From the memberships cached on the user for the request: the admin asks on every page.
    return bool(user_unit_paths(user, {Membership.Role.AUDITOR}))


class BypassedServicesFilter(admin.SimpleListFilter):
    """Trigger rows whose transaction wrote no service row: changes made behind the app's back."""

    title = _("ngoài dịch vụ ứng dụng")
    parameter_name = "bypassed"

    def lookups(self, request, model_admin):
        return [("yes", _("Chỉ thay đổi không qua dịch vụ"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        explained = AuditEvent.objects.filter(
            source=AuditEvent.Source.SERVICE, transaction_id__isnull=False
        ).values("transaction_id")
        return queryset.filter(source=AuditEvent.Source.DB_TRIGGER).exclude(transaction_id__in=explained)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor_label", "ip", "action", "model_label", "object_id", "source"]
    list_filter = [
        "action",
        "source",
        "model_label",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("occurred_at", admin.DateFieldListFilter),
        BypassedServicesFilter,
    ]
    search_fields = ["object_id", "actor_label", "request_id", "model_label"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]
    list_per_page = 100
    show_full_result_count = False  # counting a large trail on every page is slow
    fields = [
        "occurred_at", "actor", "actor_label", "ip", "action", "model_label", "object_id",
        "source", "request_id", "transaction_id", "before_pretty", "after_pretty",
    ]
    readonly_fields = fields

    @admin.display(description=_("trước"))
    def before_pretty(self, event):
        return _pretty(event.before)

    @admin.display(description=_("sau"))
    def after_pretty(self, event):
        return _pretty(event.after)

    def has_module_permission(self, request):
        return may_read_audit_trail(request.user)

    def has_view_permission(self, request, obj=None):
        return may_read_audit_trail(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _pretty(data):
    if data is None:
        return "–"
    return format_html("<pre>{}</pre>", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))

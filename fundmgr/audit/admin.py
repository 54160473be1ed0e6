"""The audit trail in the admin: read-only, for auditors and superusers, scoped by unit.

Nobody adds, changes or deletes a row here (the model and, on PostgreSQL, a trigger refuse it
anyway). Who reads which rows (personal fields in them are masked for everyone):
- a superuser: every row;
- an auditor (a user with an auditor membership): the rows whose unit is the unit of one of
  their auditor memberships or lies below it, as every scoped admin does (`scope_queryset`);
- rows with no unit (system-wide: users, tables that belong to no unit, and every row written
  before audit rows carried a unit) only to superusers and to auditors with a membership at a
  root unit (a unit with no parent, the province association), who answer for the whole system.
A row outside the user's scope is not found (the admin redirects as for a missing row). Roles
other than auditor give no access, whatever their unit.
"""

import json

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from fundmgr.adminkit.scoping import ScopedUnitFilter
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.orgs.models import Membership
from fundmgr.orgs.scoping import scope_queryset, user_unit_paths, visible_units

from .models import AuditEvent

AUDITOR_ROLES = frozenset({Membership.Role.AUDITOR})


def may_read_audit_trail(user) -> bool:
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    # From the memberships cached on the user for the request: the admin asks on every page.
    return bool(user_unit_paths(user, AUDITOR_ROLES))


def may_read_system_wide_rows(user) -> bool:
    """Rows with no unit: superusers, and auditors at a root unit."""
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    # A root unit's path holds its own id alone (`OrgUnit.path`, one "id." step): read from the
    # memberships cached on the user, so asking costs no query.
    return any(path.count(".") == 1 for path in user_unit_paths(user, AUDITOR_ROLES))


def visible_audit_events(queryset, user):
    """`queryset` cut to the rows `user` may read (the rules of the module docstring)."""
    if user.is_active and user.is_superuser:
        return queryset
    scoped = scope_queryset(queryset, user, unit_field="unit", roles=AUDITOR_ROLES)
    if may_read_system_wide_rows(user):
        return scoped | queryset.filter(unit__isnull=True)
    return scoped


class AuditUnitFilter(ScopedUnitFilter):
    """By unit, offering the units within the user's auditor scope (not the money domain's)."""

    def lookups(self, request, model_admin):
        units = visible_units(request.user, AUDITOR_ROLES)
        return [(str(pk), name) for pk, name in units.values_list("pk", "name")]


def model_of_label(label: str):
    """The model a row's `model_label` names, or None (a label of no model: removed since, or a
    row written by a test or a script)."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def model_name_of_label(label: str) -> str:
    """What an auditor reads for a row's `model_label`: the model's own name ("Khoản thu" for
    "donations.payment"), else the label as stored."""
    model = model_of_label(label)
    return label if model is None else str(capfirst(model._meta.verbose_name))


class AuditedModelFilter(admin.SimpleListFilter):
    """By the kind of record, named as the admin names it; the parameter is the stored label."""

    title = _("đối tượng")
    parameter_name = "model_label"

    def lookups(self, request, model_admin):
        # One query, as Django's own filter on the column: the labels present in the reader's rows.
        labels = model_admin.get_queryset(request).order_by().values_list("model_label", flat=True).distinct()
        return sorted(((label, model_name_of_label(label)) for label in labels), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(model_label=self.value()) if self.value() else queryset


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
class AuditEventAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "actor_label", "ip", "action", "record", "unit", "source"]
    list_filter = [
        AuditUnitFilter,
        "action",
        "source",
        AuditedModelFilter,
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("occurred_at", admin.DateFieldListFilter),
        BypassedServicesFilter,
    ]
    search_fields = ["object_id", "actor_label", "request_id", "model_label"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor", "unit"]
    list_per_page = 100
    show_full_result_count = False  # counting a large trail on every page is slow
    fields = [
        "occurred_at", "actor", "actor_label", "ip", "action", "record", "model_label", "object_id", "unit",
        "source", "request_id", "transaction_id", "before_pretty", "after_pretty",
    ]
    readonly_fields = fields

    @admin.display(description=_("bản ghi"), ordering="model_label")
    def record(self, event):
        """The record by its model's name and id, linked to its own admin page where there is one
        (that page applies its own scope: a record the reader may not see is not found there)."""
        name = model_name_of_label(event.model_label)
        text = f"{name} #{event.object_id}" if event.object_id else name
        model = model_of_label(event.model_label)
        if model is None or not event.object_id or not self.admin_site.is_registered(model):
            return text
        try:
            url = reverse(
                f"{self.admin_site.name}:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[event.object_id],
            )
        except NoReverseMatch:
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    def get_queryset(self, request):
        # The change page looks its row up through this too: a row out of scope is "not found".
        return visible_audit_events(super().get_queryset(request), request.user)

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

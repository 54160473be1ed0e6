"""The mixin every scoped admin uses, the unit and choice filters, and the read-only mixin.

`ScopedAdminMixin` puts the two rules of `orgs` into a ModelAdmin or an inline: rows are
limited to the user's units (`scope_queryset`), and every permission comes from the capability
table (`roles.user_can`), never from Django's model permissions or Groups. Another app writes:

    @admin.register(Pledge)
    class PledgeAdmin(ScopedAdminMixin, admin.ModelAdmin):
        scope_field = "campaign__unit"
        permission_domain = Domain.MONEY
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import APPEND_ONLY_DOMAINS, Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, visible_units


def is_row_id(text: str) -> bool:
    """Whether `text` (from a URL or a search box) can be a row's id: ASCII digits, bigint-sized."""
    return text.isascii() and text.isdigit() and len(text) <= 18


class ManyChoicesAsSelect:
    """A list filter shown as a drop-down list once it has more than `LIST_MAX` choices, instead of
    Django's list of links: a province's 166 units made the pledge list's sidebar 8,000 pixels
    tall. Choosing goes to the choice's own address, exactly as its link would
    (`static/js/admin_filter_select.js`)."""

    LIST_MAX = 10

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(self.lookup_choices) > self.LIST_MAX:
            self.template = "admin/filter_select.html"


class ScopedUnitFilter(ManyChoicesAsSelect, admin.SimpleListFilter):
    """A list filter by association unit that offers only the units the user may view in `domain`.

    Subclasses name the path to the unit (`unit_lookup`) and, where it differs, the domain.
    """

    title = gettext_lazy("đơn vị")
    parameter_name = "unit"
    unit_lookup = "unit_id"
    domain = Domain.MONEY

    def lookups(self, request, model_admin):
        units = visible_units(request.user, roles_with(Action.VIEW, self.domain))
        return [(str(pk), name) for pk, name in units.values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not is_row_id(value):
            return queryset.none()  # a hand-edited URL (?unit=abc) finds nothing, not a server error
        return queryset.filter(**{self.unit_lookup: value})


class ScopedChoiceFilter(ManyChoicesAsSelect, admin.SimpleListFilter):
    """A list filter over rows of another model (a campaign, a fund, a program), offering only the
    rows inside the units where the user may view `domain`.

    Subclasses name the model (`choice_model`), the path from a listed row to the chosen row's id
    (`lookup`), the columns of a choice's label (`label_fields`) and their format (`label_format`);
    `rows()` is the place for another set of choices.
    """

    choice_model = None
    domain = Domain.MONEY
    lookup = ""
    label_fields: tuple[str, ...] = ("name",)
    label_format = "{}"

    def rows(self, request):
        return scope_queryset(
            self.choice_model.objects.all(), request.user, "unit", roles=roles_with(Action.VIEW, self.domain)
        )

    def lookups(self, request, model_admin):
        return [
            (str(pk), self.label_format.format(*label))
            for pk, *label in self.rows(request).values_list("pk", *self.label_fields)
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not is_row_id(value):
            return queryset.none()  # a hand-edited URL finds nothing, not a server error
        return queryset.filter(**{self.lookup: value})


class ReadOnlyAdminMixin:
    """No add, change or delete for anyone, superusers included (put it first among the bases).

    For rows that only services write (journal entries, payments, receipts, delivery jobs):
    corrections are new documents, never edits.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdminMixin:
    """Scope and permissions for a ModelAdmin or InlineModelAdmin; put it first in the bases.

    `scope_field`: lookup path from the model to its OrgUnit ("unit", "fund__unit"; "" for
    OrgUnit itself). `permission_domain`: a `roles.Domain` value. Inlines receive the parent
    object in the permission methods; `parent_scope_field` is the path from the parent to its
    OrgUnit ("" when the parent is an OrgUnit).
    """

    scope_field: str = "unit"
    permission_domain: str | None = None
    parent_scope_field: str = "unit"

    # --- the list ---------------------------------------------------------------------------
    def action_checkbox(self, obj):
        """Django's checkbox of a row, byte for byte, without rendering a widget template per row
        (a hundred of them were a fifth of a list page's time)."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label,
        )

    # --- rows -------------------------------------------------------------------------------
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return scope_queryset(
            queryset, request.user, self.scope_field, roles=roles_with(Action.VIEW, self.permission_domain)
        )

    def get_scope_unit(self, obj) -> OrgUnit | None:
        """The unit that decides about `obj` (an object of this model, or an inline's parent)."""
        if obj is None:
            return None
        if isinstance(obj, self.model):
            return _follow(obj, self.scope_field)
        return _follow(obj, self.parent_scope_field)

    # --- permissions --------------------------------------------------------------------------
    def has_module_permission(self, request):
        return user_can(request.user, Action.VIEW, self.permission_domain)

    def has_view_permission(self, request, obj=None):
        return self._user_can(request, Action.VIEW, obj)

    def has_add_permission(self, request, obj=None):
        # ModelAdmin calls this without `obj`; an inline passes its parent.
        return self._user_can(request, Action.ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self._user_can(request, Action.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        if self.permission_domain in APPEND_ONLY_DOMAINS:
            return False  # money is corrected by reversing documents, never deleted
        return self._user_can(request, Action.DELETE, obj)

    def _user_can(self, request, action: str, obj) -> bool:
        if obj is None:
            return user_can(request.user, action, self.permission_domain)
        unit = self.get_scope_unit(obj)
        if unit is None:
            # An object outside every unit belongs to nobody's scope but the superuser's.
            return request.user.is_active and request.user.is_superuser
        return user_can(request.user, action, self.permission_domain, unit)

    # --- forms --------------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Offer only the units (and unit-owned rows) where the user may write in this domain."""
        related_model = db_field.remote_field.model
        if issubclass(related_model, OrgUnit):
            unit_field = ""
        elif _has_unit_field(related_model):
            unit_field = "unit"
        else:
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = related_model._default_manager.using(kwargs.get("using"))
        kwargs["queryset"] = scope_queryset(
            queryset.all(), request.user, unit_field, roles=self._writer_roles()
        )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _writer_roles(self) -> frozenset[str]:
        domain = self.permission_domain
        return roles_with(Action.ADD, domain) | roles_with(Action.CHANGE, domain)

    def check_scope_on_save(self, request, obj, change: bool) -> None:
        """Refuse to save `obj` into a unit where the user may not add or change (PermissionDenied).

        The form already offers only allowed units; this guards a forged POST and a unit
        reached through another field.
        """
        unit = self.get_scope_unit(obj)
        action = Action.CHANGE if change else Action.ADD
        allowed = (
            request.user.is_active and request.user.is_superuser
            if unit is None
            else user_can(request.user, action, self.permission_domain, unit)
        )
        if not allowed:
            raise PermissionDenied(_("Bạn không có quyền ghi dữ liệu cho đơn vị này."))

    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        super().save_model(request, obj, form, change)


def _follow(obj, lookup: str):
    for name in filter(None, lookup.split("__")):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj if isinstance(obj, OrgUnit) else None


def _has_unit_field(model) -> bool:
    try:
        field = model._meta.get_field("unit")
    except FieldDoesNotExist:
        return False
    return field.is_relation and field.many_to_one and issubclass(field.remote_field.model, OrgUnit)

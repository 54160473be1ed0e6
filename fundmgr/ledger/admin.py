"""Admin of the ledger: funds with their balances, and the journal, read-only for everyone.

Rows are scoped to the user's units and permissions come from the orgs capability table
(`ScopedAdminMixin`). Funds are in the `money` domain (treasurers create and edit them, as
`fundmgr.orgs.roles` lists; the form saves through `services.fund_save`, which writes the audit
row); entries, lines and verification runs are in the `ledger` domain and nobody, superuser
included, may add, change or delete them here: entries are written only by the posting
services, and corrected by reversing entries.

The fund list shows balance and available amount for every row from one SQL query
(`selectors.funds_with_balances` annotations), plus one call per registered commitment source
for the whole page.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext_lazy as _

from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedUnitFilter
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from .formatting import format_vnd
from .models import Fund, JournalEntry, JournalLine, LedgerVerification
from .selectors import funds_attach_available, funds_with_balances
from .services import fund_save


class JournalReadOnlyAdminMixin(ReadOnlyAdminMixin):
    """The journal is written by `services.entry_post` only: no add, change, delete or actions."""

    def get_actions(self, request):
        return {}


class ScopedFundFilter(admin.SimpleListFilter):
    """Filter by fund, offering only funds the user may see (a plain related filter lists all)."""

    title = _("quỹ")
    parameter_name = "fund"

    def lookups(self, request, model_admin):
        funds = scope_queryset(Fund.objects.all(), request.user, "unit", roles=roles_with(Action.VIEW, Domain.LEDGER))
        return [(str(pk), f"{code} – {name}") for pk, code, name in funds.values_list("pk", "code", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if queryset.model is JournalEntry:
            # A subquery, not a join: an entry with two lines of the fund must appear once.
            return queryset.filter(pk__in=JournalLine.objects.filter(fund_id=self.value()).values("entry_id"))
        return queryset.filter(fund_id=self.value())


class EntryUnitFilter(ScopedUnitFilter):
    title = _("đơn vị ghi sổ")
    domain = Domain.LEDGER


class LineUnitFilter(EntryUnitFilter):
    unit_lookup = "entry__unit_id"


class EntryAccountFilter(admin.SimpleListFilter):
    title = _("tài khoản")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        from .models import Account

        return [(code, f"{code} {name}") for code, name in Account.objects.values_list("code", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(pk__in=JournalLine.objects.filter(account__code=self.value()).values("entry_id"))


class FundChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # Commitments come from other apps' registered sources: one call for the page.
        self.result_list = funds_attach_available(list(self.result_list))


@admin.register(Fund)
class FundAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.MONEY
    list_display = [
        "code", "name", "unit", "restriction", "is_endowment", "is_active", "balance_column", "available_column",
    ]
    list_filter = ["restriction", "is_endowment", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["unit"]
    filter_horizontal = ["restricted_units"]
    fields = [
        "code", "name", "unit", "restriction", "restricted_purpose", "restricted_units",
        "restricted_circumstances", "is_endowment", "is_active",
    ]

    def get_queryset(self, request):
        return funds_with_balances(super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return FundChangeList

    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        # The restricted units go in with the fund, so its one audit row shows them; the admin's
        # save_related then sets the same units again, which changes nothing.
        fund_save(fund=obj, restricted_units=form.cleaned_data.get("restricted_units"), by=request.user)

    balance_column = amount_column("balance", _("số dư"), ordering="balance")

    @admin.display(description=_("khả dụng"), ordering="available_before_commitments")
    def available_column(self, fund):
        # On the change form the fund is not from the list page: no commitments attached there.
        available = getattr(fund, "available", fund.available_before_commitments)
        return format_vnd(available)


class JournalLineInline(JournalReadOnlyAdminMixin, admin.TabularInline):
    model = JournalLine
    fields = ["account", "fund", "debit", "credit"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # the entry page is scoped already; its lines come with it

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "fund")


@admin.register(JournalEntry)
class JournalEntryAdmin(JournalReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.LEDGER
    list_display = ["id", "date", "memo", "unit", "source_type", "source_id", "reverses", "short_hash"]
    list_filter = [
        ScopedFundFilter, EntryAccountFilter, EntryUnitFilter, "date",
        ("source_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["memo", "source_id", "hash"]
    list_select_related = ["unit", "source_type", "reverses"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]
    fields = [
        "unit", "date", "memo", "source_type", "source_id", "reverses", "reversal_reason", "created_by",
        "created_at", "previous_hash", "hash",
    ]
    readonly_fields = fields

    @admin.display(description=_("mã băm"))
    def short_hash(self, entry):
        return entry.hash[:12]


@admin.register(JournalLine)
class JournalLineAdmin(JournalReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "entry__unit"
    permission_domain = Domain.LEDGER
    list_display = ["entry", "entry_date", "account", "fund", "debit", "credit"]
    list_filter = [
        ScopedFundFilter, "account", LineUnitFilter, "entry__date",
        ("entry__source_type", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["entry", "account", "fund"]
    fields = ["entry", "account", "fund", "debit", "credit"]
    readonly_fields = fields

    @admin.display(description=_("ngày hạch toán"), ordering="entry__date")
    def entry_date(self, line):
        return line.entry.date


@admin.register(LedgerVerification)
class LedgerVerificationAdmin(JournalReadOnlyAdminMixin, admin.ModelAdmin):
    """Runs of `verify_ledger`; not tied to a unit, so visible to whoever may view the ledger."""

    list_display = ["started_at", "finished_at", "ok", "first_broken_entry_id", "entries_checked", "message"]
    list_filter = ["ok"]
    fields = list_display + ["lines_checked"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)

    def has_view_permission(self, request, obj=None):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)

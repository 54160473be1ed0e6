"""Admin of the ledger: funds with their balances, and the journal, read-only for everyone.

Rows are scoped to the user's units and permissions come from the orgs capability table
(`ScopedAdminMixin`). Funds are in the `money` domain (treasurers create and edit them, as
`fundmgr.orgs.roles` lists; the form saves through `services.fund_save`, which writes the audit
row); entries, lines and verification runs are in the `ledger` domain and nobody, superuser
included, may add, change or delete them here: entries are written only by the posting
services, and corrected by reversing entries.

The fund list shows balance and available amount for every row from one SQL query
(`selectors.funds_with_balances` annotations), plus one call per registered commitment source
for the whole page; a fund's page shows its money in and out over the last twelve months as a
chart (`selectors.fund_money_by_month`, drawn by `fundmgr.core.charts`).

Amounts are `1.250.000.000 ₫`, right-aligned (`ledger/admin.css`). The journal-line list must
show its debit and credit columns on a 1366 px screen next to the navigation and filter sidebars,
so its other columns are short: the entry's number, a short date, the account's and the fund's
codes (their names in the tooltip), and last, after the money, the memo cut to a few words (the
whole memo in the tooltip). Everything comes from the list's one joined query.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.forms import form_errors_from, vnd_or_dash
from fundmgr.adminkit.home import HomeItem, HomePanel, changelist_url, register_home_panels
from fundmgr.adminkit.pages import form_page
from fundmgr.adminkit.scoping import ReadOnlyAdminMixin, ScopedAdminMixin, ScopedUnitFilter
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.core import outbox
from fundmgr.core.charts import Series, bar_chart_svg
from fundmgr.core.money import format_vnd
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from .forms import FundMovementForm, FundTransferForm
from .models import Fund, JournalEntry, JournalLine, LedgerVerification
from .selectors import fund_money_by_month, funds_attach_available, funds_with_balances
from .services import (
    endowment_principal_record,
    fund_save,
    fund_transfer,
    interest_record,
    ledger_verify_request,
)
from .tasks import ledger_verify_task

ADMIN_CSS = {"all": ["ledger/admin.css", "css/charts.css", "css/admin-lists.css"]}
MEMO_CHARACTERS = 40  # a memo cut to this length keeps a journal list's rows to one or two lines


def _with_tooltip(shown, full):
    """A short text in a list cell with the whole text in its tooltip (an attribute, not a style: CSP)."""
    return format_html('<span title="{}">{}</span>', full, shown)


def _short_memo(memo: str):
    return _with_tooltip(Truncator(memo).chars(MEMO_CHARACTERS), memo)


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
class FundAdmin(ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
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
        "restricted_circumstances", "is_endowment", "is_active", "money_by_month_chart",
    ]
    readonly_fields = ["money_by_month_chart"]
    actions = ["transfer_action", "interest_action", "principal_action"]

    class Media:
        css = ADMIN_CSS

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # A fund being created has no money yet: no chart on the add page.
        return fields if obj is not None else [name for name in fields if name != "money_by_month_chart"]

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
        return vnd_or_dash(available)

    @admin.display(description=_("tiền vào, tiền ra 12 tháng gần nhất"))
    def money_by_month_chart(self, fund):
        flows = fund_money_by_month(fund, until=timezone.localdate())
        chart = bar_chart_svg(
            title=gettext("Tiền vào và tiền ra của quỹ %(fund)s theo tháng") % {"fund": fund.name},
            categories=[date_format(flow.month, "n/y") for flow in flows],
            series=[
                Series(gettext("Tiền vào"), [flow.money_in for flow in flows], "chart-bar--in"),
                Series(gettext("Tiền ra"), [flow.money_out for flow in flows], "chart-bar--out"),
            ],
            dom_id="fund-chart",
        )
        return format_html('<figure class="chart-figure">{}</figure>', chart)


    # --- money that moves without a donor: transfers, interest, an endowment's principal ---------
    def _one_fund(self, request, queryset):
        """The one fund an action is for, which the user may post to; None (with a message) otherwise."""
        funds = list(queryset.select_related("unit")[:2])
        if len(funds) != 1:
            self.message_user(request, gettext("Hãy chọn đúng một quỹ."), messages.WARNING)
            return None
        if not user_can(request.user, Action.ADD, Domain.MONEY, funds[0].unit):
            raise PermissionDenied
        return funds[0]

    def _post_page(self, request, fund, *, form, action, title, post, done):
        """The action's form; when it is valid, `post(data)` calls the service and `done` says what it did."""
        if form.is_bound and form.is_valid():
            try:
                entry = post(form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                self.message_user(request, done % {"amount": vnd_or_dash(form.cleaned_data["amount"]), "entry": entry.pk})
                return None
        return form_page(self, request, title=title, form=form, objects=[fund], action=action, submit_label=title)

    @admin.action(description=_("Chuyển tiền sang quỹ khác"), permissions=["change"])
    def transfer_action(self, request, queryset):
        fund = self._one_fund(request, queryset)
        if fund is None:
            return None
        targets = scope_queryset(Fund.objects.filter(is_active=True), request.user, "unit").exclude(pk=fund.pk)
        form = FundTransferForm(request.POST if "apply" in request.POST else None, funds=targets.order_by("code"),
                                initial={"memo": gettext("Chuyển tiền từ %(fund)s") % {"fund": fund.name}})
        return self._post_page(
            request, fund, form=form, action="transfer_action", title=gettext("Chuyển tiền giữa hai quỹ"),
            post=lambda data: fund_transfer(
                from_fund=fund, to_fund=data["to_fund"], amount=data["amount"], date=data["date"], memo=data["memo"],
                unit=fund.unit, created_by=request.user, idempotency_key=data["idempotency_key"] or None,
            ),
            done=gettext("Đã chuyển %(amount)s (bút toán #%(entry)s)."),
        )

    def _receipt_action(self, request, queryset, *, action, title, memo, service, done):
        """Money into one fund from outside (interest, an endowment's principal), by `service`."""
        fund = self._one_fund(request, queryset)
        if fund is None:
            return None
        form = FundMovementForm(request.POST if "apply" in request.POST else None,
                                initial={"memo": memo % {"fund": fund.name}})
        return self._post_page(
            request, fund, form=form, action=action, title=title, done=done,
            post=lambda data: service(
                fund=fund, amount=data["amount"], date=data["date"], memo=data["memo"], unit=fund.unit,
                created_by=request.user,
            ),
        )

    @admin.action(description=_("Ghi lãi tiền gửi của quỹ"), permissions=["change"])
    def interest_action(self, request, queryset):
        return self._receipt_action(
            request, queryset, action="interest_action", title=gettext("Ghi lãi tiền gửi"),
            memo=gettext("Lãi tiền gửi của %(fund)s"), service=interest_record,
            done=gettext("Đã ghi lãi %(amount)s (bút toán #%(entry)s)."),
        )

    @admin.action(description=_("Nhận vốn gốc vào quỹ bảo toàn vốn"), permissions=["change"])
    def principal_action(self, request, queryset):
        return self._receipt_action(
            request, queryset, action="principal_action", title=gettext("Nhận vốn gốc"),
            memo=gettext("Vốn gốc của %(fund)s"), service=endowment_principal_record,
            done=gettext("Đã ghi nhận vốn gốc %(amount)s (bút toán #%(entry)s)."),
        )


# The journal's money columns, on the entry page's lines and on the journal-line list.
DEBIT_COLUMN = amount_column("debit", _("Nợ"), ordering="debit", zero_as_dash=True)
CREDIT_COLUMN = amount_column("credit", _("Có"), ordering="credit", zero_as_dash=True)


class JournalLineInline(JournalReadOnlyAdminMixin, admin.TabularInline):
    model = JournalLine
    fields = ["account", "fund", "debit_display", "credit_display"]
    readonly_fields = fields
    debit_display = DEBIT_COLUMN
    credit_display = CREDIT_COLUMN
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # the entry page is scoped already; its lines come with it

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "fund")


@admin.register(JournalEntry)
class JournalEntryAdmin(JournalReadOnlyAdminMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    scope_field = "unit"
    permission_domain = Domain.LEDGER
    list_display = ["id", "date", "memo_short", "unit", "source_type", "source_id", "reverses_number", "short_hash"]
    list_filter = [
        ScopedFundFilter, EntryAccountFilter, EntryUnitFilter, "date",
        ("source_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["memo", "source_id", "hash"]
    list_select_related = ["unit", "source_type"]  # the reversed entry shows as its number: no join
    date_hierarchy = "date"
    inlines = [JournalLineInline]
    fields = [
        "unit", "date", "memo", "source_type", "source_id", "reverses", "reversal_reason", "created_by",
        "created_at", "previous_hash", "hash",
    ]
    readonly_fields = fields

    class Media:
        css = ADMIN_CSS

    @admin.display(description=_("diễn giải"), ordering="memo")
    def memo_short(self, entry):
        return _short_memo(entry.memo)

    @admin.display(description=_("đảo bút toán"), ordering="reverses")
    def reverses_number(self, entry):
        # The reversed entry's number, not its whole text (its memo is in the entry's own row).
        return f"#{entry.reverses_id}" if entry.reverses_id else "–"

    @admin.display(description=_("mã băm"))
    def short_hash(self, entry):
        return _with_tooltip(entry.hash[:12], entry.hash)


@admin.register(JournalLine)
class JournalLineAdmin(AmountsShownMixin, JournalReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    amounts_shown = {"debit": "debit_display", "credit": "credit_display"}
    scope_field = "entry__unit"
    permission_domain = Domain.LEDGER
    list_display = [
        "entry_number", "entry_date", "account_code", "fund_code", "debit_display", "credit_display", "entry_memo",
    ]
    list_display_links = ["entry_number"]
    list_filter = [
        ScopedFundFilter, "account", LineUnitFilter, "entry__date",
        ("entry__source_type", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["entry", "account", "fund"]
    fields = ["entry", "account", "fund", "debit", "credit"]
    readonly_fields = fields

    debit_display = DEBIT_COLUMN
    credit_display = CREDIT_COLUMN

    class Media:
        css = ADMIN_CSS

    # Not sortable: the list is in entry order already, and a sorted column's header grows by the
    # width of its sort widgets, which this list cannot spare.
    @admin.display(description=_("bút toán"))
    def entry_number(self, line):
        return f"#{line.entry_id}"

    @admin.display(description=_("ngày"), ordering="entry__date")
    def entry_date(self, line):
        return date_format(line.entry.date, "SHORT_DATE_FORMAT")

    @admin.display(description=_("diễn giải"))
    def entry_memo(self, line):
        return _short_memo(line.entry.memo)

    @admin.display(description=_("tài khoản"), ordering="account__code")
    def account_code(self, line):
        return _with_tooltip(line.account.code, line.account.name)

    @admin.display(description=_("quỹ"), ordering="fund__code")
    def fund_code(self, line):
        return _with_tooltip(line.fund.code, line.fund.name)


@admin.register(LedgerVerification)
class LedgerVerificationAdmin(JournalReadOnlyAdminMixin, admin.ModelAdmin):
    """Runs of `verify_ledger`; not tied to a unit, so visible to whoever may view the ledger."""

    list_display = ["started_display", "finished_display", "ok", "first_broken_entry_id", "entries_checked", "message"]
    list_display_links = ["started_display"]
    list_filter = ["ok"]
    fields = ["started_at", "finished_at", "ok", "first_broken_entry_id", "entries_checked", "lines_checked", "message"]
    readonly_fields = fields
    change_list_template = "admin/ledger/ledgerverification/change_list.html"

    class Media:
        css = ADMIN_CSS

    def has_module_permission(self, request):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)

    def has_view_permission(self, request, obj=None):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)

    # "08/12/2026 06:34:05", not Django's long "06:34 Ngày 08 tháng 12 năm 2026": the list fits its columns.
    @admin.display(description=_("bắt đầu"), ordering="started_at")
    def started_display(self, run):
        return date_format(timezone.localtime(run.started_at), "d/m/Y H:i:s")

    @admin.display(description=_("kết thúc"), ordering="finished_at")
    def finished_display(self, run):
        return date_format(timezone.localtime(run.finished_at), "d/m/Y H:i:s") if run.finished_at else "–"

    def get_urls(self):
        verify = path("verify/", self.admin_site.admin_view(self.verify_view), name="ledger_ledgerverification_verify")
        return [verify, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "verify_url": reverse("admin:ledger_ledgerverification_verify")}
        return super().changelist_view(request, extra_context)

    def verify_view(self, request):
        """"Kiểm tra sổ ngay": the whole chain checked by a worker, its result a new row of this list."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            ledger_verify_request(user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.WARNING)
        else:
            user_id = request.user.pk
            transaction.on_commit(lambda: outbox.enqueue(ledger_verify_task, user_id))
            self.message_user(request, gettext(
                "Đã gửi yêu cầu kiểm tra toàn bộ sổ cái; kết quả sẽ hiện trong danh sách này khi xong "
                "(tải lại trang sau ít phút)."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:ledger_ledgerverification_changelist"))


# --- the admin's home: balances and checks (`fundmgr.adminkit.home`) ------------------------------
HOME_FUNDS_SHOWN = 12


@register_home_panels
def ledger_panels(request) -> list[HomePanel]:
    """Each fund's balance and what it may still pay, drawn side by side, and the last check of the
    books. One query for the funds (balances are subqueries), one per commitment source, one for
    the last check."""
    user = request.user
    if not user_can(user, Action.VIEW, Domain.LEDGER):
        return []
    funds = scope_queryset(Fund.objects.all(), user, "unit", roles=roles_with(Action.VIEW, Domain.LEDGER))
    funds = list(funds_attach_available(list(funds_with_balances(funds).order_by("code")[:HOME_FUNDS_SHOWN])))
    chart = bar_chart_svg(
        title=gettext("Số dư và số dư khả dụng của các quỹ"), categories=[fund.code for fund in funds],
        series=[
            Series(gettext("Số dư"), [fund.balance for fund in funds], "chart-bar--in"),
            Series(gettext("Khả dụng"), [fund.available for fund in funds], "chart-bar--out"),
        ],
        dom_id="home-funds",
    ) if funds else None
    balances = HomePanel(
        key="funds", title=gettext("Số dư các quỹ"), order=20,
        header=[gettext("Quỹ"), gettext("Số dư"), gettext("Khả dụng")],
        rows=[[fund.name, format_vnd(fund.balance), format_vnd(fund.available)] for fund in funds],
        charts=[chart] if chart else [], link=(gettext("Mọi quỹ"), changelist_url(Fund)),
        note="" if funds else gettext("Chưa có quỹ nào."),
    )
    last = LedgerVerification.objects.order_by("-started_at", "-pk").first()
    if last is None:
        note = gettext("Sổ chưa được kiểm tra lần nào: việc kiểm tra tự chạy mỗi đêm lúc 02:00, hoặc bấm "
                       "«Kiểm tra sổ ngay» trong «Các lần kiểm tra».")
    elif last.ok:
        note = gettext("Lần kiểm tra gần nhất (%(when)s): sổ nguyên vẹn, %(entries)s bút toán.") % {
            "when": date_format(timezone.localtime(last.started_at), "d/m/Y H:i"), "entries": last.entries_checked}
    else:
        note = gettext("Lần kiểm tra gần nhất (%(when)s) phát hiện sai lệch: %(message)s") % {
            "when": date_format(timezone.localtime(last.started_at), "d/m/Y H:i"), "message": last.message}
    checks = HomePanel(
        key="checks", title=gettext("Kiểm tra sổ"), order=25, note=note,
        items=[HomeItem(gettext("lần kiểm tra phát hiện sai lệch"), 1 if last is not None and last.ok is False else 0,
                        changelist_url(LedgerVerification))],
        link=(gettext("Các lần kiểm tra"), changelist_url(LedgerVerification)),
    )
    return [balances, checks]

"""Campaign admin: the treasurer's list with progress, and opening / closing through the services.

The progress columns come from annotations (`selectors.campaigns_with_progress`), so the list
costs the same queries for 3 campaigns or 300. The form saves through `services.campaign_save`
(which writes the audit row); the status changes only through the actions, which call
`services.campaign_open` / `campaign_close`.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import services
from campaigns.models import Campaign
from donations import progress as selectors
from fundmgr.adminkit.columns import AmountsShownMixin, amount_column
from fundmgr.adminkit.forms import AmountFieldsMixin
from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.adminkit.search import FoldedSearchMixin
from fundmgr.core.charts import progress_chart_svg
from fundmgr.core.money import format_vnd
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Domain
from fundmgr.orgs.scoping import scope_queryset


@admin.register(Campaign)
class CampaignAdmin(AmountsShownMixin, AmountFieldsMixin, ScopedAdminMixin, FoldedSearchMixin, admin.ModelAdmin):
    amounts_shown = {"goal": "goal_display"}
    amounts_typed = True  # an input for the treasurer, text for the auditor
    scope_field = "unit"
    amount_fields = ("goal",)
    permission_domain = Domain.MONEY
    # The money columns must fit a laptop screen: no unit or lunar-year column (the year is a filter).
    list_display = [
        "name", "status", "goal_display", "pledged_display", "received_display", "progress_display",
        "donor_count_display",
    ]
    list_filter = ["status", "lunar_year"]
    search_fields = ["name", "slug", "reference_prefix"]
    list_select_related = ["unit"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["funds"]
    readonly_fields = ["lunar_year_name", "status", "progress_chart", "progress_breakdown"]
    actions = ["open_selected", "close_selected"]
    fieldsets = [
        (None, {"fields": [
            "name", "slug", "unit", "lunar_year", "lunar_year_name", "reference_prefix", "status", "description",
        ]}),
        (gettext_lazy("Thời gian và mục tiêu"), {"fields": ["starts_on", "ends_on", "ceremony_date", "goal"]}),
        (gettext_lazy("Quỹ nhận"), {"fields": ["funds", "default_fund"]}),
        (gettext_lazy("Tài khoản nhận chuyển khoản"),
         {"fields": ["bank_bin", "bank_name", "bank_account_number", "bank_account_name"]}),
        (gettext_lazy("Tiến độ"), {"fields": ["progress_chart", "progress_breakdown"]}),
    ]

    class Media:
        css = {"all": ["campaigns/admin.css", "css/charts.css"]}

    def get_queryset(self, request):
        return selectors.campaigns_with_progress(super().get_queryset(request))

    def get_changeform_initial_data(self, request):
        return {**services.campaign_defaults(today=timezone.localdate()), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        self.check_scope_on_save(request, obj, change)
        # The funds go in with the campaign, so its one audit row shows them; the admin's
        # save_related then sets the same funds again, which changes nothing.
        services.campaign_save(campaign=obj, funds=form.cleaned_data.get("funds"), by=request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "funds":
            kwargs["queryset"] = scope_queryset(Fund.objects.filter(is_active=True), request.user, "unit")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- columns --------------------------------------------------------------------------------------
    @admin.display(description=gettext_lazy("năm Can Chi"))
    def lunar_year_name(self, campaign):
        return campaign.lunar_year_name if campaign.lunar_year else "–"

    goal_display = amount_column("goal", gettext_lazy("mục tiêu"), ordering="goal")

    pledged_display = amount_column("pledged", gettext_lazy("đã cam kết"), ordering="pledged")

    received_display = amount_column("received", gettext_lazy("đã nhận"), ordering="received")

    @admin.display(description=gettext_lazy("tiến độ"))
    def progress_display(self, campaign):
        percent = selectors.campaign_progress(campaign).received_percent
        return format_html('<progress value="{}" max="100">{} %</progress> {}&nbsp;%', percent, percent, percent)

    @admin.display(description=gettext_lazy("nhà hảo tâm"), ordering="donor_count")
    def donor_count_display(self, campaign):
        return campaign.donor_count

    @admin.display(description=gettext_lazy("đã nhận so với mục tiêu"))
    def progress_chart(self, campaign):
        if campaign is None or campaign.pk is None:
            return "–"
        progress = selectors.campaign_progress(campaign)
        chart = progress_chart_svg(
            title=_("Tiền đã nhận của %(campaign)s so với mục tiêu") % {"campaign": campaign.name},
            received=progress.received, goal=progress.goal, pledged=progress.pledged, dom_id="campaign-progress",
        )
        return format_html('<figure class="chart-figure">{}</figure>', chart)

    @admin.display(description=gettext_lazy("theo quỹ, loại nhà hảo tâm và đơn vị"))
    def progress_breakdown(self, campaign):
        if campaign is None or campaign.pk is None:
            return "–"
        sections = [
            (_("Theo quỹ"), selectors.progress_by_fund(campaign)),
            (_("Theo loại nhà hảo tâm"), selectors.progress_by_donor_kind(campaign)),
            (_("Theo đơn vị"), selectors.progress_by_unit(campaign)),
        ]
        return format_html_join(
            "",
            "<h4>{}</h4><table><thead><tr><th></th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            (
                (
                    title, _("Số cam kết"), _("Đã cam kết"), _("Đã nhận"),
                    format_html_join(
                        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        ((share.label, share.pledge_count, format_vnd(share.pledged), format_vnd(share.received))
                         for share in shares),
                    ),
                )
                for title, shares in sections
            ),
        )

    # --- status, through the services -------------------------------------------------------------
    def _transition(self, request, queryset, service, done_message):
        changed = 0
        for campaign in queryset.order_by("pk"):
            if not self.has_change_permission(request, campaign):
                self.message_user(request, _("%(name)s: bạn không có quyền.") % {"name": campaign}, messages.ERROR)
                continue
            try:
                service(campaign=campaign, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                changed += 1
        if changed:
            self.message_user(request, done_message % {"count": changed}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=gettext_lazy("Mở nhận ủng hộ các chiến dịch đã chọn"))
    def open_selected(self, request, queryset):
        self._transition(request, queryset, services.campaign_open, _("Đã mở %(count)d chiến dịch."))

    @admin.action(permissions=["change"], description=gettext_lazy("Kết thúc nhận ủng hộ các chiến dịch đã chọn"))
    def close_selected(self, request, queryset):
        self._transition(request, queryset, services.campaign_close, _("Đã kết thúc %(count)d chiến dịch."))

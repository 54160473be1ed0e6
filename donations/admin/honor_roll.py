"""Donors' requests to take their name off the public pages: the treasurer sees them and closes
them (`services.honor_roll_removal_close`). The name is already hidden while a request is open."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donations import services
from donations.models import HonorRollRemovalRequest
from fundmgr.adminkit.scoping import ScopedAdminMixin
from fundmgr.orgs.roles import Action, Domain


@admin.register(HonorRollRemovalRequest)
class HonorRollRemovalRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "pledge__campaign__unit"
    permission_domain = Domain.MONEY
    list_display = ["pledge", "donor_display", "campaign_display", "requested_at", "closed_display", "closed_by"]
    list_select_related = ["pledge__donor", "pledge__campaign", "closed_by"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter)]
    fields = ["pledge", "requested_at", "closed_at", "closed_by"]
    readonly_fields = fields
    actions = ["close_action"]

    def has_add_permission(self, request, obj=None):
        return False  # only the donor asks, from their pledge page

    def has_change_permission(self, request, obj=None):
        return False  # closed by the action, through the service

    def has_close_permission(self, request):
        return self._user_can(request, Action.CHANGE, None)

    @admin.display(description=gettext_lazy("nhà hảo tâm"))
    def donor_display(self, removal):
        return removal.pledge.donor.name

    @admin.display(description=gettext_lazy("chiến dịch"))
    def campaign_display(self, removal):
        return removal.pledge.campaign.name

    @admin.display(description=gettext_lazy("đã xử lý"), boolean=True)
    def closed_display(self, removal):
        return removal.is_closed

    @admin.action(description=gettext_lazy("Rút tên khỏi bảng vàng và đóng yêu cầu"), permissions=["close"])
    def close_action(self, request, queryset):
        closed = 0
        for removal in queryset.order_by("pk"):
            try:
                services.honor_roll_removal_close(removal=removal, by=request.user)
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                closed += 1
        if closed:
            self.message_user(request, _("Đã xử lý %(count)d yêu cầu rút tên.") % {"count": closed})

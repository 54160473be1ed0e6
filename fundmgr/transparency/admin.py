"""The checkpoints in the admin: a read-only list for whoever may view the ledger, and a button
that takes one now for whoever may export it (treasurers, auditors). No add, change or delete."""

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from fundmgr.adminkit.scoping import ReadOnlyAdminMixin
from fundmgr.orgs.roles import Action, Domain, user_can

from . import services
from .models import Checkpoint, CheckpointDelivery


class _LedgerReadersMixin(ReadOnlyAdminMixin):
    """Rows of no unit, about the whole ledger: visible to whoever may view the ledger somewhere."""

    def get_actions(self, request):
        return {}

    def has_module_permission(self, request):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)

    def has_view_permission(self, request, obj=None):
        return user_can(request.user, Action.VIEW, Domain.LEDGER)


@admin.register(Checkpoint)
class CheckpointAdmin(_LedgerReadersMixin, admin.ModelAdmin):
    list_display = ["tree_size", "created_at", "root_hash", "key_id", "origin"]
    fields = ["tree_size", "root_hash", "created_at", "origin", "key_id", "public_key", "signature"]
    readonly_fields = fields

    def has_take_permission(self, request) -> bool:
        return user_can(request.user, Action.EXPORT, Domain.LEDGER)

    def get_urls(self):
        take = path("take/", self.admin_site.admin_view(self.take_view), name="transparency_checkpoint_take")
        return [take, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_take_permission(request):
            extra_context["take_url"] = reverse("admin:transparency_checkpoint_take")
        return super().changelist_view(request, extra_context)

    def take_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_take_permission(request):
            raise PermissionDenied
        try:
            checkpoint = services.checkpoint_take(by=request.user)
        except (services.CheckpointRefused, ImproperlyConfigured) as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, _("Điểm kiểm chứng: %(size)s bút toán, gốc %(root)s.")
                % {"size": checkpoint.tree_size, "root": checkpoint.root_hash}, messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:transparency_checkpoint_changelist"))


@admin.register(CheckpointDelivery)
class CheckpointDeliveryAdmin(_LedgerReadersMixin, admin.ModelAdmin):
    list_display = ["checkpoint", "user", "status", "attempts", "done_at", "last_error"]
    list_filter = ["status"]
    list_select_related = ["checkpoint", "user"]

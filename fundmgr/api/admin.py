"""Integration tokens in the admin: a staff member makes and revokes their own (a superuser anyone's).

Made through `api_token_create`; the plain token is shown once, on the page that answers the
"save" (not in a message, which would keep it in the session), and never again. Tokens are not
edited or deleted: a token with a history is revoked (`api_token_revoke`), and its row stays.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.search import FoldedSearchMixin

from .models import ApiToken
from .services import api_token_check, api_token_create, api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "active"]
    list_filter = ["scope"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def get_fields(self, request, obj=None):
        fields = ["name", "scope", "expires_at"]
        if request.user.is_superuser:
            fields.insert(0, "user")
        return fields if obj is None else ["user", *fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # A saved token is never edited: revoke it and make another.
        return self.readonly_fields if obj is None else ["user", "name", "scope", "expires_at", *self.readonly_fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        creator = request.user

        class TokenForm(form):
            def clean(self):
                data = super().clean()
                try:
                    api_token_check(
                        user=data.get("user") or creator, name=data.get("name", ""), scope=data.get("scope", ""),
                        expires_at=data.get("expires_at"),
                    )
                except ValidationError as error:
                    for field, field_messages in error.message_dict.items():
                        for message in field_messages:
                            self.add_error(field if field in self.fields else None, message)
                return data

        return TokenForm

    def save_model(self, request, obj, form, change):
        user = obj.user if request.user.is_superuser and obj.user_id else request.user
        token, plain = api_token_create(
            user=user, name=obj.name, scope=obj.scope, expires_at=obj.expires_at, by=request.user,
        )
        obj.pk, obj.user, obj.prefix, obj.created_at = token.pk, token.user, token.prefix, token.created_at
        request._api_token_plain = plain

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "token": obj,
            "plain_token": request._api_token_plain, "title": _("Khóa API mới"),
        }
        return TemplateResponse(request, "api/token_created.html", context)

    @admin.action(description=gettext_lazy("Thu hồi các khóa API đã chọn"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=request.user)
            count += 1
        self.message_user(request, _("Đã thu hồi %(count)d khóa API.") % {"count": count}, messages.SUCCESS)

    @admin.display(description=gettext_lazy("còn hiệu lực"), boolean=True)
    def active(self, token):
        return token.is_active_at(timezone.now())


"""django-axes' lock-out list, with its one action working and in the user's language.

axes' "clean up expired attempts" reads `request.axes_attempt_time`, which axes sets only while a
log-in is being checked: from the admin the action failed with a server error. The same admin,
with the time of the request set first; its message, and the status column (axes glues an
English count to a translated word), through gettext.
"""

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from fundmgr.adminkit.search import FoldedSearchMixin

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockOutAdmin(FoldedSearchMixin, AccessAttemptAdmin):
    @admin.action(description=gettext_lazy("Xoá các lần thử đăng nhập đã hết hạn"))
    def cleanup_expired_attempts(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = timezone.now()
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext("Đã xoá %(count)d lần đăng nhập hỏng đã hết hạn.", "Đã xoá %(count)d lần đăng nhập hỏng đã hết hạn.", count)
            % {"count": count},
        )

    @admin.display(description=gettext_lazy("trạng thái"))
    def status(self, obj: AccessAttempt):
        remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if remaining > 0:
            return ngettext("còn %(count)d lần thử", "còn %(count)d lần thử", remaining) % {"count": remaining}
        return gettext_lazy("đã khoá")

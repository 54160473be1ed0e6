"""django-axes' lock-out list and logs, with the one action working and in the user's language.

axes' "clean up expired attempts" reads `request.axes_attempt_time`, which axes sets only while a
log-in is being checked: from the admin the action failed with a server error. The same admin,
with the time of the request set first; its message, and the status column (axes glues an
English count to a translated word), through gettext; and each row named in the user's language
(axes' `__str__` is English: "Attempted Access: 2026-12-07 05:32:33+00:00").
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from fundmgr.adminkit.relabel import ReadableObjectsMixin
from fundmgr.adminkit.search import FoldedSearchMixin

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    admin.site.unregister(model)


def attempt_facts(row) -> dict:
    return {
        "username": row.username or "—",
        "time": formats.localize(timezone.localtime(row.attempt_time)) if row.attempt_time else "—",
        "ip": row.ip_address or "—",
    }


@admin.register(AccessAttempt)
class LockOutAdmin(ReadableObjectsMixin, FoldedSearchMixin, AccessAttemptAdmin):
    def object_text(self, obj: AccessAttempt) -> str:
        return gettext("Lần thử đăng nhập của %(username)s từ %(ip)s, %(time)s") % attempt_facts(obj)

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


@admin.register(AccessLog)
class LogInLogAdmin(ReadableObjectsMixin, FoldedSearchMixin, AccessLogAdmin):
    def object_text(self, obj: AccessLog) -> str:
        return gettext("Lần đăng nhập của %(username)s từ %(ip)s, %(time)s") % attempt_facts(obj)


@admin.register(AccessFailureLog)
class FailedLogInAdmin(ReadableObjectsMixin, FoldedSearchMixin, AccessFailureLogAdmin):
    def object_text(self, obj: AccessFailureLog) -> str:
        if obj.locked_out:
            return gettext("Lần đăng nhập sai của %(username)s từ %(ip)s, %(time)s (đã khoá)") % attempt_facts(obj)
        return gettext("Lần đăng nhập sai của %(username)s từ %(ip)s, %(time)s") % attempt_facts(obj)

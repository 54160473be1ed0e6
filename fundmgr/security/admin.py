"""django-axes' lock-out list, with its one action working.

axes' "clean up expired attempts" reads `request.axes_attempt_time`, which axes sets only while a
log-in is being checked: from the admin the action failed with a server error. The same admin,
with the time of the request set first, and searched without diacritics like every other list.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils import timezone

from fundmgr.adminkit.search import FoldedSearchMixin

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockOutAdmin(FoldedSearchMixin, AccessAttemptAdmin):
    @admin.action(description=AccessAttemptAdmin.cleanup_expired_attempts.short_description)
    def cleanup_expired_attempts(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = timezone.now()
        return super().cleanup_expired_attempts(request, queryset)

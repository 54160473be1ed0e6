"""The admins of django-axes, django-otp and django-celery-beat, re-registered in the user's language
(fundmgr/security/admin/); every page of theirs is visited by tests/adminkit/test_admin_one_language.py."""

from axes.models import AccessAttempt
from django.contrib import admin
from django.utils import translation
from django_celery_beat.models import CrontabSchedule

from fundmgr.security.admin.beat import crontab_description


def test_a_cron_schedule_reads_in_the_users_language_with_vietnamese_day_names():
    schedule = CrontabSchedule(minute="0", hour="2", day_of_week="1", day_of_month="*", month_of_year="*",
                               timezone="Asia/Ho_Chi_Minh")
    with translation.override("vi"):
        assert crontab_description(schedule) == "Tại 02:00, chỉ trên thứ Hai (Asia/Ho_Chi_Minh)"
    with translation.override("en"):
        assert crontab_description(schedule) == "At 02:00, only on Monday (Asia/Ho_Chi_Minh)"


def test_the_lock_out_status_is_counted_in_the_users_language(settings):
    model_admin = admin.site._registry[AccessAttempt]
    with translation.override("vi"):
        assert model_admin.status(AccessAttempt(failures_since_start=1)) == "còn 4 lần thử"
        assert str(model_admin.status(AccessAttempt(failures_since_start=5))) == "đã khoá"
    with translation.override("en"):
        assert model_admin.status(AccessAttempt(failures_since_start=4)) == "1 attempt remaining"

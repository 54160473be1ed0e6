"""The admins of django-axes, django-otp and django-celery-beat, re-registered in the user's language
(fundmgr/security/admin/); every page of theirs is visited by tests/adminkit/test_admin_one_language.py."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.utils import translation
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_otp.plugins.otp_totp.models import TOTPDevice

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


@pytest.fixture
def root_client(client, django_user_model):
    def logged_in(language):
        client.force_login(django_user_model.objects.get_or_create(
            username="quan_tri", defaults={"is_staff": True, "is_superuser": True})[0])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return logged_in


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "named", "english"), [
    ("vi", "Lần thử đăng nhập của khach từ 10.0.0.1", "Attempted Access"),
    ("en", "Log-in attempt by khach from 10.0.0.1", "Attempted Access"),
])
def test_a_lock_out_row_is_named_in_the_users_language_on_its_delete_and_history_pages(root_client, language, named, english):
    # The language test visits the lists and change pages; these are the other pages that print a row.
    attempt = AccessAttempt.objects.create(username="khach", ip_address="10.0.0.1", user_agent="trình duyệt",
                                           failures_since_start=1)
    client = root_client(language)
    for page in (f"/admin/axes/accessattempt/{attempt.pk}/delete/", f"/admin/axes/accessattempt/{attempt.pk}/history/"):
        text = client.get(page).content.decode()
        assert named in text and english not in text, page
    answer = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=False)
    assert answer.status_code == 302
    [message] = [str(message) for message in get_messages(answer.wsgi_request)]
    assert named in message and english not in message


@pytest.mark.django_db
def test_a_crontab_and_the_tasks_it_would_delete_are_described_not_coded(root_client):
    crontab = CrontabSchedule.objects.create(minute="0", hour="6", timezone="Asia/Ho_Chi_Minh")
    PeriodicTask.objects.create(name="bao-cao", task="fundmgr.reports.tasks.report_run_task", crontab=crontab)
    client = root_client("vi")
    for page in (f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/change/",  # the tasks' inline
                 f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/delete/"):  # what goes with it
        text = client.get(page).content.decode()
        assert "bao-cao: Tại 06:00 (Asia/Ho_Chi_Minh)" in text and "m/h/dM/MY/d" not in text, page


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title", "other"), [
    ("vi", "mã QR", ["Install", "TOTP device"]), ("en", "QR code", ["Quét", "thiết bị"]),
])
def test_the_qr_page_of_a_device_is_in_the_users_language(root_client, django_user_model, language, title, other):
    client = root_client(language)
    device = TOTPDevice.objects.create(user=django_user_model.objects.get(username="quan_tri"), name="phone")
    text = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").content.decode()
    assert f"<title>{title} |" in text
    assert not [word for word in other if word in text]


@pytest.mark.django_db
def test_the_installed_schedules_are_described_in_vietnamese_like_their_names(root_client):
    # The migrations install the schedules; their descriptions were English, shown on the task's
    # page among Vietnamese labels. Data, like the names: Vietnamese, the first language.
    tasks = list(PeriodicTask.objects.exclude(task="celery.backend_cleanup"))
    assert len(tasks) >= 7
    for task in tasks:
        assert task.description and any(letter in task.description for letter in "ăâđêôơư"), task.name
        page = root_client("vi").get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/").content.decode()
        assert task.description in page
    assert not PeriodicTask.objects.filter(description__startswith="Recomputes").exists()

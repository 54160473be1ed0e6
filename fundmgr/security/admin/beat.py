"""django-celery-beat's schedules (the superuser's pages), in the user's language.

What celery-beat passes through gettext is translated in `fundmgr/locale/vi`; what it does not is
relabelled here: the task's field ("Task Name"), the list of tasks on a schedule's page, and the
description of a cron schedule, which celery-beat asks of cron-descriptor in English (and prints
with `(m/h/dM/MY/d)`): here in the user's language, with cron-descriptor's own Vietnamese; and so
the rows of crontabs, clocked schedules and tasks are named on every page (`object_text`).
"""

from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    PeriodicTaskInline,
    SolarScheduleAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from fundmgr.adminkit.relabel import (
    ReadableInlinesMixin,
    ReadableObjectsMixin,
    RelabelledAdminMixin,
    RelabelledFormMixin,
)
from fundmgr.adminkit.search import FoldedSearchMixin

TASK_LABELS = {"task": _("tác vụ Celery")}

# cron-descriptor's Vietnamese leaves the names of days and months in English.
VIETNAMESE_NAMES = {
    "Monday": "thứ Hai", "Tuesday": "thứ Ba", "Wednesday": "thứ Tư", "Thursday": "thứ Năm",
    "Friday": "thứ Sáu", "Saturday": "thứ Bảy", "Sunday": "Chủ nhật",
    **{name: f"tháng {number}" for number, name in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August", "September",
         "October", "November", "December"], start=1)},
}


def cron_expression(crontab: CrontabSchedule) -> str:
    return " ".join([crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week])


def crontab_description(crontab: CrontabSchedule) -> str:
    """`Tại 06:00 (Asia/Ho_Chi_Minh)` in Vietnamese, `At 06:00 (Asia/Ho_Chi_Minh)` in English."""
    vietnamese = (get_language() or "vi").startswith("vi")
    options = Options()
    options.locale_code = "vi_VN" if vietnamese else "en_US"
    options.use_24hour_time_format = True
    expression = cron_expression(crontab)
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException):
        text = expression
    if vietnamese:
        for english, name in VIETNAMESE_NAMES.items():
            text = text.replace(english, name)
    return f"{text} ({crontab.timezone})"


def schedule_text(schedule) -> str:
    """A schedule as a person reads it in the user's language."""
    if isinstance(schedule, CrontabSchedule):
        return crontab_description(schedule)
    if isinstance(schedule, ClockedSchedule):
        return formats.localize(timezone.localtime(schedule.clocked_time))
    return str(schedule) if schedule else ""


class TasksOfScheduleInline(RelabelledFormMixin, PeriodicTaskInline):
    verbose_name = _("tác vụ định kỳ dùng lịch này")
    verbose_name_plural = verbose_name
    field_labels = TASK_LABELS


class ScheduleAdminMixin(ReadableInlinesMixin, RelabelledAdminMixin):
    inlines = [TasksOfScheduleInline]


class NamedScheduleAdminMixin(ReadableObjectsMixin, ScheduleAdminMixin):
    def object_text(self, obj) -> str:
        return schedule_text(obj)


for model in (PeriodicTask, ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule):
    admin.site.unregister(model)


@admin.register(PeriodicTask)
class TaskAdmin(ReadableObjectsMixin, FoldedSearchMixin, RelabelledAdminMixin, PeriodicTaskAdmin):
    field_labels = TASK_LABELS
    list_display = ("name", "enabled", "schedule_shown", "start_time", "last_run_at", "one_off")

    @admin.display(description=_("lịch chạy"))
    def schedule_shown(self, obj):
        return schedule_text(obj.scheduler)

    @admin.display(description=_("diễn giải lịch cron"))
    def crontab_translation(self, obj):
        return crontab_description(obj.crontab) if obj.crontab else ""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "readable_crontabs": {crontab.pk: crontab_description(crontab) for crontab in CrontabSchedule.objects.all()},
        }
        # Django's, not celery-beat's (which adds its English crontab descriptions).
        return self.readable_response(admin.ModelAdmin.changeform_view(self, request, object_id, form_url, extra_context))

    def object_text(self, obj: PeriodicTask) -> str:
        return f"{obj.name}: {schedule_text(obj.scheduler)}" if obj.scheduler else obj.name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("crontab", "clocked"):
            field.label_from_instance = schedule_text
        return field


@admin.register(ClockedSchedule)
class ClockAdmin(NamedScheduleAdminMixin, ClockedScheduleAdmin):
    pass


@admin.register(CrontabSchedule)
class CronAdmin(NamedScheduleAdminMixin, CrontabScheduleAdmin):
    list_display = ("expression", "description")
    fields = ("description", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("description",)

    @admin.display(description=_("biểu thức cron (phút giờ ngày tháng thứ)"))
    def expression(self, obj):
        return f"{cron_expression(obj)} ({obj.timezone})"

    @admin.display(description=_("lịch bằng lời"))
    def description(self, obj):
        return crontab_description(obj) if obj.pk else ""


@admin.register(SolarSchedule)
class SunAdmin(ScheduleAdminMixin, SolarScheduleAdmin):
    pass


@admin.register(IntervalSchedule)
class IntervalAdmin(ScheduleAdminMixin, IntervalScheduleAdmin):
    pass

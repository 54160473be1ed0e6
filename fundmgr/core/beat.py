"""Beat schedules that migrations install (django-celery-beat rows), written one way.

A schedule is a data migration so that every installation has it without a manual step. It is
created with `get_or_create` by its name: an operator may disable or move it in the admin, and
running the migration again does not overwrite that. The functions take the `apps` of the
migration (historical models), never the real ones.
"""

from __future__ import annotations

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def schedule_add(
    apps, *, name: str, task: str, description: str = "", crontab: dict | None = None, interval: tuple | None = None,
) -> None:
    """Add the periodic task `name` running `task`, unless a task of that name exists.

    `crontab`: fields of a `CrontabSchedule` (minute, hour, …; unset ones are "*", the time zone is
    Vietnam's); `interval`: (every, period), e.g. (5, "minutes"). Exactly one of the two.
    """
    if (crontab is None) == (interval is None):
        raise ValueError("a schedule needs either a crontab or an interval")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if crontab is not None:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                  "timezone": DEFAULT_TIMEZONE, **crontab}
        schedule = {"crontab": CrontabSchedule.objects.get_or_create(**fields)[0]}
    else:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        every, period = interval
        schedule = {"interval": IntervalSchedule.objects.get_or_create(every=every, period=period)[0]}
    PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": task, "enabled": True, "description": description, **schedule},
    )


def schedule_remove(apps, *, name: str) -> None:
    """Remove the periodic task `name` (its schedule row may be shared, and stays)."""
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()


def schedule_describe(*, descriptions: dict[str, tuple[str, str]]):
    """A migration operation that sets each named task's description from the first text of its
    pair to the second, where it still reads the first (one an operator rewrote stays), and back
    when unapplied. `descriptions`: name → (before, after)."""
    from django.db import migrations

    def rewrite(apps, pairs):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, (before, after) in pairs.items():
            PeriodicTask.objects.filter(name=name, description=before).update(description=after)

    return migrations.RunPython(
        lambda apps, schema_editor: rewrite(apps, descriptions),
        lambda apps, schema_editor: rewrite(apps, {name: (after, before) for name, (before, after) in descriptions.items()}),
    )

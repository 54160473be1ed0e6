"""Reads of the reports app: which runs a user may see and download, and a run's progress."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from fundmgr.core import exporting
from fundmgr.orgs.roles import DOMAINS, Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset, visible_units

from .models import ReportRun

PROGRESS_KEY = "reports:run:{}:progress"


def runs_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The runs `user` may see: their own, and those of any domain in a unit where they may export it.

    A run over a requester's whole scope (no unit) is seen by the requester and superusers only.
    """
    queryset = ReportRun.objects.all() if queryset is None else queryset
    if not (user.is_active and user.is_authenticated):
        return queryset.none()
    if user.is_superuser:
        return queryset
    allowed = Q(requested_by=user)
    for domain in sorted(DOMAINS):
        roles = roles_with(Action.EXPORT, domain)
        if roles:
            in_scope = scope_queryset(ReportRun.objects.filter(domain=domain), user, "unit", roles=roles)
            allowed |= Q(pk__in=in_scope.values("pk"))
    return queryset.filter(allowed)


def run_may_read(user, run: ReportRun) -> bool:
    """Whether `user` may see `run` and download its file and manifest (same rule as the list)."""
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser or (run.requested_by_id is not None and run.requested_by_id == user.pk):
        return True
    return run.unit is not None and run.domain in DOMAINS and user_can(user, Action.EXPORT, run.domain, run.unit)


def names_readable(user, unit_ids: frozenset[int] | None) -> bool:
    """Whether `user` may read children's names in every unit of `unit_ids` (None: every unit):
    **view personal** in students there (`docs/students.md`); superusers everywhere."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if unit_ids is None:
        return False
    allowed = set(visible_units(user, roles_with(Action.VIEW_PERSONAL, Domain.STUDENTS)).values_list("pk", flat=True))
    return unit_ids <= allowed


def run_file_may_read(user, run: ReportRun) -> bool:
    """Whether `user` may download `run`'s file: `run_may_read`, and for a run that shows children's
    names in clear (`personal`), only whoever asked for it or may read those names in every unit the
    run read. Anyone `run_may_read` allows still sees the run and its manifest (no names there)."""
    if not run_may_read(user, run):
        return False
    if not run.personal or user.is_superuser or run.requested_by_id == user.pk:
        return True
    return names_readable(user, run.unit_id_set)


def run_progress(runs) -> dict[int, tuple[int, int | None]]:
    """(rows done, rows in all or None) of each run: a running run's from the cache (its worker writes
    there while its transaction is open), the others' from their rows."""
    running = [run.pk for run in runs if run.status == ReportRun.Status.RUNNING]
    try:
        cached = cache.get_many([PROGRESS_KEY.format(pk) for pk in running]) if running else {}
    except Exception:  # noqa: BLE001 - a cache that is down shows no progress, not an error page
        cached = {}
    progress = {}
    for run in runs:
        value = cached.get(PROGRESS_KEY.format(run.pk))
        if run.status == ReportRun.Status.RUNNING and value is not None:
            progress[run.pk] = (value["done"], value["total"])
        else:
            progress[run.pk] = (run.rows_done, run.rows_total)
    return progress


def exporter_title(kind: str) -> str:
    try:
        return str(exporting.exporter_get(kind).title)
    except KeyError:  # an exporter removed since the run
        return kind

"""The one place that decides which association units a user may see.

A member of a unit sees that unit and everything below it. Admin and API querysets go through
`scope_queryset`; nothing else filters by unit on its own.

A user's memberships are read once per user object and kept on it (as Django's ModelBackend
keeps `_perm_cache`): one admin page asks "may this user ...?" dozens of times. A request loads
a fresh user, so the cache lives for one request; code that changes memberships of a user object
it keeps using calls `forget_memberships` (the services in `services.py` do).
"""

from django.db import connection
from django.db.models import Q, QuerySet

from fundmgr.core import sql_rows

from .models import Membership, OrgUnit

_CACHE_ATTRIBUTE = "_orgs_memberships"


def user_memberships(user) -> list[tuple[str, str]]:
    """`(role, unit path)` for each membership of `user`; empty for anonymous or inactive users."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        # Read on every API request (the permission check, the scope): as SQL, the ORM's compilation
        # of this join cost three times its execution.
        sql = (
            f"SELECT {sql_rows.column(Membership, 'membership', 'role')}, {sql_rows.column(OrgUnit, 'unit', 'path')} "
            f"FROM {sql_rows.table(Membership, 'membership')} INNER JOIN {sql_rows.table(OrgUnit, 'unit')} "
            f"ON {sql_rows.column(OrgUnit, 'unit', 'id')} = {sql_rows.column(Membership, 'membership', 'unit')} "
            f"WHERE {sql_rows.column(Membership, 'membership', 'user')} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user.pk])
            rows = cursor.fetchall()
        # An empty path (a unit saved half-way) would match every unit: never widen scope on it.
        cached = [(role, path) for role, path in rows if path]
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_memberships(user) -> None:
    """Drop the memberships cached on `user`, after they changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def user_unit_paths(user, roles=None) -> list[str]:
    """The paths of the units where `user` holds one of `roles` (any role when None)."""
    roles = None if roles is None else set(roles)
    return sorted({path for role, path in user_memberships(user) if roles is None or role in roles})


def visible_units(user, roles=None) -> QuerySet[OrgUnit]:
    """Units `user` may see: every unit for a superuser, else their units and all below them."""
    return scope_queryset(OrgUnit.objects.all(), user, unit_field="", roles=roles)


def scope_queryset(queryset: QuerySet, user, unit_field: str = "unit", roles=None) -> QuerySet:
    """Restrict `queryset` to rows whose `unit_field` lies inside the user's scope.

    `unit_field` is the lookup path from the model to its `OrgUnit` (e.g. "fund__unit"); the
    empty string means the queryset is of `OrgUnit` itself.
    """
    if user.is_active and user.is_superuser:
        return queryset
    path_field = f"{unit_field}__path" if unit_field else "path"
    return queryset.filter(_path_q(path_field, user_unit_paths(user, roles)))


def units_queryset(queryset: QuerySet, unit_ids, unit_field: str = "unit") -> QuerySet:
    """Restrict `queryset` to rows whose `unit_field` is one of `unit_ids` (None: no restriction).

    For work that was given its scope as unit ids (an export run, whose ids came from
    `visible_units` when it was requested) rather than a user.
    """
    if unit_ids is None:
        return queryset
    return queryset.filter(**{f"{unit_field}__in": unit_ids})


def user_has_role(user, unit: OrgUnit, roles) -> bool:
    """Whether `user` holds one of `roles` in `unit` or in a unit above it."""
    if user.is_active and user.is_superuser:
        return True
    return any(unit.path.startswith(path) for path in user_unit_paths(user, roles))


def _path_q(field: str, paths: list[str]) -> Q:
    if not paths:
        return Q(pk__in=[])
    query = Q()
    # A path nested in another adds nothing to the OR: keep only the topmost ones.
    for path in _topmost(paths):
        query |= Q(**{f"{field}__startswith": path})
    return query


def _topmost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(paths):  # an ancestor sorts before its descendants
        if not any(path.startswith(ancestor) for ancestor in kept):
            kept.append(path)
    return kept

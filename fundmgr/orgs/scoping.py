"""The one place that decides which association units a user may see.

A member of a unit sees that unit and everything below it. Admin and API querysets go through
`scope_queryset`; nothing else filters by unit on its own.
"""

from django.db.models import Q, QuerySet

from .models import Membership, OrgUnit


def user_unit_paths(user, roles=None) -> list[str]:
    """The paths of the units where `user` holds one of `roles` (any role when None)."""
    if not user.is_authenticated or not user.is_active:
        return []
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return list(memberships.values_list("unit__path", flat=True))


def visible_units(user, roles=None) -> QuerySet[OrgUnit]:
    """Units `user` may see: every unit for a superuser, else their units and all below them."""
    if user.is_active and user.is_superuser:
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(_path_q("path", user_unit_paths(user, roles)))


def scope_queryset(queryset: QuerySet, user, unit_field: str = "unit", roles=None) -> QuerySet:
    """Restrict `queryset` to rows whose `unit_field` lies inside the user's scope.

    `unit_field` is the lookup path from the model to its `OrgUnit` (e.g. "fund__unit").
    """
    if user.is_active and user.is_superuser:
        return queryset
    return queryset.filter(_path_q(f"{unit_field}__path", user_unit_paths(user, roles)))


def user_has_role(user, unit: OrgUnit, roles) -> bool:
    """Whether `user` holds one of `roles` in `unit` or in a unit above it."""
    if user.is_active and user.is_superuser:
        return True
    return any(unit.path.startswith(path) for path in user_unit_paths(user, roles))


def _path_q(field: str, paths: list[str]) -> Q:
    if not paths:
        return Q(pk__in=[])
    query = Q()
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query

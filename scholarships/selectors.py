"""Reads of student records, scoped to the user and marked with what they may see.

`students_visible_to(user)` is the one queryset the admin, the API and the exports start from:
only students in units where the user may view students, each annotated `shows_personal` (may
this user see this child's personal fields?), computed by the database from the unit paths, so a
list of any length costs no extra query.
"""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value

from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import scope_queryset

from .models import Student
from .privacy import PersonalAccess


def students_visible_to(user, queryset: QuerySet[Student] | None = None) -> QuerySet[Student]:
    queryset = Student.objects.all() if queryset is None else queryset
    scoped = scope_queryset(
        queryset.select_related("unit"), user, "unit", roles=roles_with(Action.VIEW, Domain.STUDENTS)
    )
    access = PersonalAccess(user)
    if access.everywhere:
        shows_personal = Value(True)
    elif access.paths:
        condition = Q()
        for path in access.paths:
            condition |= Q(unit__path__startswith=path)
        shows_personal = ExpressionWrapper(condition, output_field=BooleanField())
    else:
        shows_personal = Value(False)
    return scoped.annotate(shows_personal=shows_personal)

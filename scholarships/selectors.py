"""Reads of student records, scoped to the user and marked with what they may see.

`students_visible_to(user)` is the one queryset the admin, the API and the exports start from:
only students in units where the user may view students, each annotated `shows_personal` (may
this user see this child's personal fields?), computed by the database from the unit paths, so a
list of any length costs no extra query.
"""

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import scope_queryset, user_unit_paths

from .models import Award, Disbursement, Nomination, ScholarshipProgram, Student
from .privacy import PersonalAccess, recipient_roles


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


def students_nominable_by(user) -> QuerySet[Student]:
    """The students `user` may nominate: in the units where they may add students, not anonymised.

    The nomination form's choices and its autocomplete's search both start from it, so the search
    never shows a child outside those units (a committee member or an auditor who may view more
    students still finds only these)."""
    students = students_visible_to(user, Student.objects.not_anonymised())
    return scope_queryset(students, user, "unit", roles=roles_with(Action.ADD, Domain.STUDENTS)).order_by(
        "unit__path", "school_name", "grade", "pk"
    )


# --- programs -------------------------------------------------------------------------------------

def programs_with_counts(queryset: QuerySet[ScholarshipProgram]) -> QuerySet[ScholarshipProgram]:
    """Each program with `nominations_count` and `approved_count` (approved or paid awards).

    Correlated subqueries, not joins: two counted joins would multiply each other's rows, and a
    list of any length stays one query.
    """
    nominations = (
        Nomination.objects.filter(program=OuterRef("pk")).order_by().values("program").annotate(total=Count("pk"))
        .values("total")
    )
    approved = (
        Award.objects.filter(program=OuterRef("pk"), status__in=Award.HOLDS_THE_STUDENTS_YEAR).order_by()
        .values("program").annotate(total=Count("pk")).values("total")
    )
    return queryset.annotate(
        nominations_count=Coalesce(Subquery(nominations, output_field=IntegerField()), 0),
        approved_count=Coalesce(Subquery(approved, output_field=IntegerField()), 0),
    )


def programs_open_for_nominations(user) -> QuerySet[ScholarshipProgram]:
    """The open programs that could take a student this user may add.

    A program takes the students of its unit and of every unit below it
    (`awards.nomination_create`), so the programs offered are those of the units above or at a
    unit where the user adds students, and those below it.
    """
    queryset = ScholarshipProgram.objects.filter(status=ScholarshipProgram.Status.OPEN).select_related("unit")
    if user.is_active and user.is_superuser:
        return queryset
    paths = user_unit_paths(user, roles_with(Action.ADD, Domain.STUDENTS))
    if not paths:
        return queryset.none()
    # A unit's path is its ancestors' ids, each ending in "."; every prefix ending there is an ancestor.
    above = {path[: position + 1] for path in paths for position, char in enumerate(path) if char == "."}
    condition = Q(unit__path__in=sorted(above))
    for path in paths:
        condition |= Q(unit__path__startswith=path)
    return queryset.filter(condition)


def signature_list_disbursements(program: ScholarshipProgram, unit) -> QuerySet[Disbursement]:
    """The payments of `program` that stand (not reversed) to students of `unit` and the units
    below it, in the order of a ceremony's list (unit, school, class, record): one query, with
    the award and the student."""
    return (
        Disbursement.objects.filter(
            award__program=program, reversed_at__isnull=True, award__student__unit__path__startswith=unit.path,
        )
        .select_related("award__student")
        .order_by("award__student__unit__path", "award__student__school_name", "award__student__grade", "award__student_id", "pk")
    )


# --- disbursements ---------------------------------------------------------------------------------

def recipient_access(user):
    """Who reads a recipient's name unmasked: the treasurer who pays (money:add) and the roles that see
    the children's personal data (students:view_personal), in their units; auditors see initials.

    A boolean expression on a disbursement's `unit`, for `annotate` (the admin and the API).
    """
    if user.is_active and user.is_superuser:
        return Value(True)
    paths = user_unit_paths(user, recipient_roles())  # the rule of the papers (`privacy.RecipientAccess`)
    if not paths:
        return Value(False)
    condition = Q()
    for granted in paths:
        condition |= Q(unit__path__startswith=granted)
    return ExpressionWrapper(condition, output_field=BooleanField())

"""What the scholarship pipeline's admin modules share: how a child and a person are named, the
refusal helpers, a read-only table, and the list filters.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.scoping import (
    ScopedChoiceFilter,
    ScopedUnitFilter,
)
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from ..models import (
    Nomination,
    ScholarshipProgram,
    Student,
)
from .students import StudentUnitFilter


def record_code(student_id) -> str:
    return Student(pk=student_id).code


def person_name(user) -> str:
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


def refusal_message(obj, error: ValidationError) -> str:
    return f"{obj}: {' '.join(error.messages)}"


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def require_rights(request, action: str, domain: str, units) -> None:
    """Refuse the whole action when one of the selected rows lies outside the user's rights."""
    for unit in units:
        if not user_can(request.user, action, domain, unit):
            raise PermissionDenied


def html_table(headers, rows):
    """A read-only table for a display field (every cell escaped)."""
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    cells = "".join("<td>{}</td>" for _header in headers)
    body = format_html_join("", "<tr>" + cells + "</tr>", rows)
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# --- list filters ---------------------------------------------------------------------------------

class AwardsUnitFilter(ScopedUnitFilter):
    domain = Domain.AWARDS


class ProgramUnitFilter(AwardsUnitFilter):
    unit_lookup = "program__unit_id"


class NominationUnitFilter(StudentUnitFilter):
    unit_lookup = "student__unit_id"


class DisbursementUnitFilter(ScopedUnitFilter):
    pass


class ProgramFilter(ScopedChoiceFilter):
    """The programs of the rows this user may see."""

    title = gettext_lazy("chương trình")
    parameter_name = "program"
    choice_model = ScholarshipProgram
    domain = Domain.AWARDS
    lookup = "program_id"
    label_fields = ("code", "name", "school_year")
    label_format = "{} – {} ({})"


class NominationProgramFilter(ProgramFilter):
    def rows(self, request):
        # A nominator reads no programs (awards domain), only the ones their nominations are in.
        nominations = scope_queryset(
            Nomination.objects.all(), request.user, "student__unit", roles=roles_with(Action.VIEW, Domain.STUDENTS)
        )
        return ScholarshipProgram.objects.filter(pk__in=nominations.values("program_id"))

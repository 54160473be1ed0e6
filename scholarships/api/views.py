"""API views of student records: scoped, masked per row, every detail read logged.

A list shows personal fields only for rows in units where the user has `view_personal`, and
logs those rows (like the admin); a detail read is always logged. Creating a record checks
`user_can(user, "add", "students", unit)` and calls `services.student_create`.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from fundmgr.api.errors import service_errors
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with, user_can
from fundmgr.orgs.scoping import scope_queryset

from .. import selectors, services
from ..models import Award, ScholarshipProgram
from .filters import AwardFilter, StudentFilter
from .serializers import AwardSerializer, ProgramSerializer, StudentCreateSerializer, StudentSerializer


class StudentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    api_domain = Domain.STUDENTS
    filterset_class = StudentFilter

    def get_serializer_class(self):
        return StudentCreateSerializer if self.action == "create" else StudentSerializer

    def get_queryset(self):
        return selectors.students_visible_to(self.request.user).order_by("pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        unmasked = [student for student in getattr(self, "_page_rows", []) if student.shows_personal]
        if unmasked:
            services.student_views_record(students=unmasked, viewer=request.user, channel="api-list", shows_personal=True)
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page_rows = page if page is not None else list(queryset)
        return self._page_rows

    def retrieve(self, request, *args, **kwargs):
        student = self.get_object()
        services.student_views_record(
            students=[student], viewer=request.user, channel="api", shows_personal=bool(student.shows_personal)
        )
        return Response(StudentSerializer(student).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unit = OrgUnit.objects.filter(code=data.pop("unit")).first()
        if unit is None:
            raise serializers.ValidationError({"unit": [_("Không tìm thấy đơn vị.")]})
        if not user_can(request.user, Action.ADD, Domain.STUDENTS, unit):
            raise PermissionDenied()
        try:
            student = services.student_create(unit=unit, created_by=request.user, **data)
        except DjangoValidationError as error:
            raise service_errors(error) from None
        student = self.get_queryset().get(pk=student.pk)
        return Response(StudentSerializer(student).data, status=status.HTTP_201_CREATED)


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """Scholarship programs in the user's units, with their funds, budgets and quotas (read only:
    programs are made and run by the committee in the admin)."""

    api_domain = Domain.AWARDS
    serializer_class = ProgramSerializer

    def get_queryset(self):
        programs = ScholarshipProgram.objects.select_related("unit").prefetch_related(
            "program_funds__fund", "quotas__unit"
        ).order_by("pk")
        return scope_queryset(programs, self.request.user, "unit", roles=roles_with(Action.VIEW, Domain.AWARDS))


class AwardViewSet(viewsets.ReadOnlyModelViewSet):
    """Awards of the programs in the user's units: status, amount, funds and voucher number."""

    api_domain = Domain.AWARDS
    serializer_class = AwardSerializer
    filterset_class = AwardFilter

    def get_queryset(self):
        awards = Award.objects.select_related("program", "student", "disbursement").prefetch_related(
            "shares__fund"
        ).order_by("pk")
        return scope_queryset(awards, self.request.user, "program__unit", roles=roles_with(Action.VIEW, Domain.AWARDS))

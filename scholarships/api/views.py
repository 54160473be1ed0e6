"""API views of the scholarships: students, programs, nominations, allocation runs, awards and
their disbursements. Thin: find the records a request names, call the one service the admin
calls, shape the answer.

- Reads are scoped by `ScopedQuerysetMixin` with the view's `api_domain` (the `fundmgr.orgs.roles.Domain`
  it belongs to; the permission-matrix test reads it) and run a fixed number of queries.
- Student records are masked per row (`selectors.students_visible_to`): a list logs the rows it
  shows unmasked, a detail read is always logged, as in the admin (docs/students.md). Other
  resources name a child by record code only; a voucher's recipient is masked like the admin's.
- A write finds the records it names whatever their unit and lets the service refuse one outside
  the user's units (`access_units`: a 403), so another unit's record is a 403 here, not a 404;
  the service's ValidationError is a 400 with its field names, a reused idempotency key a 422.
- Every POST that creates a record (student, nomination, allocation run, award grant, voucher)
  takes an Idempotency-Key (`IdempotentCreateMixin`): the service answers a repeat with the
  first record (200) and refuses the same key with another body (422).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from fundmgr.api.errors import service_errors
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.scoping import ScopedQuerysetMixin
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain

from .. import selectors, services
from ..models import AllocationRun, Award, AwardShare, Disbursement, Nomination, ScholarshipProgram, Student
from ..services import awards
from .filters import (
    AllocationRunFilter,
    AwardFilter,
    DisbursementFilter,
    NominationFilter,
    ProgramFilter,
    StudentFilter,
    code_number,
)
from .serializers import (
    AllocationRunCreateSerializer,
    AllocationRunDetailSerializer,
    AllocationRunSerializer,
    AwardGrantSerializer,
    AwardRejectSerializer,
    AwardSerializer,
    DisbursementCreateSerializer,
    DisbursementSerializer,
    NominationCreateSerializer,
    NominationSerializer,
    ProgramSerializer,
    StudentCreateSerializer,
    StudentSerializer,
)

REFUSALS = {
    400: OpenApiResponse(description="The input or the service refused it (field errors)."),
    403: OpenApiResponse(description="Not signed in, or no right in the record's unit."),
}
NOT_FOUND = {404: OpenApiResponse(description="No such record.")}


def replay(serializer, what: str) -> dict:
    """The 200 of a repeated Idempotency-Key in the schema (the header and the 422 come with
    `IdempotentCreateMixin`, `fundmgr.api.schema`)."""
    return {200: OpenApiResponse(serializer, description=f"A repeat of an Idempotency-Key: {what}.")}


def _service_call(call):
    """Run a service call; its ValidationError becomes the API's 400 (or 422 for a reused key)."""
    try:
        return call()
    except DjangoValidationError as error:
        raise service_errors(error) from None


def _not_found(field: str, message: str):
    return serializers.ValidationError({field: [message]})


class StudentViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
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

    @extend_schema(
        request=StudentCreateSerializer,
        responses={201: StudentSerializer, **replay(StudentSerializer, "the first record"), **REFUSALS},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unit = OrgUnit.objects.filter(code=data.pop("unit")).first()
        if unit is None:
            raise _not_found("unit", _("Không tìm thấy đơn vị."))
        key = self.idempotency_key()
        # The service refuses a unit the user may not file in (PermissionDenied: a 403).
        student = _service_call(lambda: services.student_create(
            unit=unit, created_by=request.user, channel="api", idempotency_key=key, **data
        ))
        replayed = student.replayed
        student = self.get_queryset().get(pk=student.pk)
        return self.created_response(StudentSerializer(student).data, created=not replayed)


class ProgramViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Scholarship programs in the user's units, with their funds, budgets and quotas (read only:
    programs are made and run by the committee in the admin)."""

    api_domain = Domain.AWARDS
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter

    def get_queryset(self):
        programs = ScholarshipProgram.objects.select_related("unit").prefetch_related(
            "program_funds__fund", "quotas__unit"
        ).order_by("pk")
        return self.scoped(programs)


class NominationViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Nominations of the students in the user's units, each with its score and breakdown.

    `awards.nomination_create` checks that the user may add students in the child's unit (the
    nominator's right, a 403 otherwise) and the program (open, the child in its area, once).
    """

    api_domain = Domain.STUDENTS
    scope_path = "student__unit"
    # Scoring again is the committee's decision (awards), on a record of the students' domain.
    api_actions = {"score": (Domain.AWARDS, Action.CHANGE)}
    filterset_class = NominationFilter

    def get_serializer_class(self):
        return NominationCreateSerializer if self.action == "create" else NominationSerializer

    def get_queryset(self):
        nominations = Nomination.objects.select_related("program", "student__unit").order_by("pk")
        return self.scoped(nominations)

    @extend_schema(
        request=NominationCreateSerializer,
        responses={201: NominationSerializer, **replay(NominationSerializer, "the first nomination"), **REFUSALS},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        program = ScholarshipProgram.objects.select_related("unit").filter(code=data["program"].strip().upper()).first()
        if program is None:
            raise _not_found("program", _("Không tìm thấy chương trình."))
        number = code_number(data["student"], "HS-")
        student = Student.objects.select_related("unit").filter(pk=number).first() if number is not None else None
        if student is None:
            raise _not_found("student", _("Không tìm thấy hồ sơ học sinh."))
        key = self.idempotency_key()
        nomination = _service_call(lambda: awards.nomination_create(
            program=program, student=student, by=request.user, channel="api", idempotency_key=key,
        ))
        replayed = nomination.replayed
        nomination = Nomination.objects.select_related("program", "student__unit").get(pk=nomination.pk)
        return self.created_response(NominationSerializer(nomination).data, created=not replayed)

    @extend_schema(request=None, responses={200: NominationSerializer, **REFUSALS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        """Score the nomination again with the program's rubric as it is now (the committee's decision;
        refused to a member who declared a conflict of interest with the student)."""
        nomination = self.get_object()
        nomination = _service_call(lambda: awards.nomination_score(nomination=nomination, by=request.user))
        nomination = Nomination.objects.select_related("program", "student__unit").get(pk=nomination.pk)
        return Response(NominationSerializer(nomination).data)


@extend_schema_view(retrieve=extend_schema(responses={200: AllocationRunDetailSerializer, **NOT_FOUND}))
class AllocationRunViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Allocation runs of the programs in the user's units. A run's page lists every nominee's
    decision with its explanation; the list leaves them out (a run may hold thousands)."""

    api_domain = Domain.AWARDS
    scope_path = "program__unit"
    filterset_class = AllocationRunFilter

    def get_serializer_class(self):
        if self.action == "create":
            return AllocationRunCreateSerializer
        return AllocationRunSerializer if self.action == "list" else AllocationRunDetailSerializer

    def get_queryset(self):
        runs = AllocationRun.objects.select_related("program").order_by("-pk")
        if self.action == "list":
            runs = runs.defer("inputs", "decisions")
        return self.scoped(runs)

    def _detail(self, run: AllocationRun, **kwargs) -> Response:
        fund_ids = [fund["fund"] for fund in run.inputs.get("funds", [])]
        fund_codes = dict(Fund.objects.filter(pk__in=fund_ids).values_list("pk", "code"))
        return Response(AllocationRunDetailSerializer(run, context={"fund_codes": fund_codes}).data, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        request=AllocationRunCreateSerializer,
        responses={
            201: AllocationRunDetailSerializer, **replay(AllocationRunDetailSerializer, "the first run"), **REFUSALS,
        },
    )
    def create(self, request, *args, **kwargs):
        """Run the program's allocation now (inline): the run proposes awards, approves none."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = serializer.validated_data["program"].strip().upper()
        program = ScholarshipProgram.objects.select_related("unit").filter(code=code).first()
        if program is None:
            raise _not_found("program", _("Không tìm thấy chương trình."))
        key = self.idempotency_key()
        run = _service_call(lambda: awards.allocation_run(
            program=program, by=request.user, channel="api", idempotency_key=key,
        ))
        return self._detail(
            AllocationRun.objects.select_related("program").get(pk=run.pk),
            status=status.HTTP_200_OK if run.replayed else status.HTTP_201_CREATED,
        )


class AwardViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, viewsets.ReadOnlyModelViewSet):
    """Awards of the programs in the user's units: status, amount, funds and voucher number; the
    committee's decisions (approve, reject with a reason, grant an override with a reason)."""

    api_domain = Domain.AWARDS
    api_actions = {"approve": Action.APPROVE, "reject": Action.APPROVE, "grant": Action.APPROVE}
    scope_path = "program__unit"
    # A grant commits the fund's money: it takes an Idempotency-Key.
    idempotent_actions = frozenset({"grant"})
    serializer_class = AwardSerializer
    filterset_class = AwardFilter

    def _awards(self):
        return Award.objects.select_related("program", "student").prefetch_related(
            Prefetch("shares", queryset=AwardShare.objects.select_related("fund").order_by("fund_id")), "disbursements"
        )

    def get_queryset(self):
        return self.scoped(self._awards().order_by("pk"))

    def _award_to_decide(self) -> Award:
        # An award the user may not even see is not found (404), like on a read; one they see but
        # may not decide on is the service's refusal (403).
        pk = str(self.kwargs["pk"])
        award = self.get_queryset().filter(pk=pk).first() if pk.isdigit() else None
        if award is None:
            raise NotFound()
        return award

    def _answer(self, award: Award, **kwargs) -> Response:
        return Response(AwardSerializer(self._awards().get(pk=award.pk)).data, **kwargs)

    @extend_schema(request=None, responses={200: AwardSerializer, **REFUSALS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a proposed award (its funds must cover it)."""
        award = self._award_to_decide()
        return self._answer(_service_call(lambda: awards.award_approve(award=award, by=request.user)))

    @extend_schema(request=AwardRejectSerializer, responses={200: AwardSerializer, **REFUSALS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Do not approve a proposal, with the reason on the record."""
        award = self._award_to_decide()
        serializer = AwardRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return self._answer(_service_call(lambda: awards.award_reject(award=award, by=request.user, reason=reason)))

    @extend_schema(
        request=AwardGrantSerializer,
        responses={201: AwardSerializer, **replay(AwardSerializer, "the first award"), **REFUSALS},
    )
    @action(detail=False, methods=["post"])
    def grant(self, request):
        """The committee's override: an award to a nominee the run did not fund, from one fund, with a reason."""
        serializer = AwardGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        nomination = Nomination.objects.filter(pk=data["nomination"]).first()
        if nomination is None:
            raise _not_found("nomination", _("Không tìm thấy đề cử."))
        fund = Fund.objects.filter(code=data["fund"].strip().upper()).first()
        if fund is None:
            raise _not_found("fund", _("Không tìm thấy quỹ có mã này."))
        key = self.idempotency_key()
        award = _service_call(lambda: awards.award_grant(
            nomination=nomination, fund=fund, by=request.user, reason=data["reason"], channel="api", idempotency_key=key,
        ))
        return self._answer(award, status=status.HTTP_200_OK if award.replayed else status.HTTP_201_CREATED)


class DisbursementViewSet(ScopedQuerysetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Vouchers (phiếu chi) of the units the user may read money in; paying an approved award
    (`awards.award_disburse`: the voucher number and the journal entry) with an Idempotency-Key."""

    api_domain = Domain.MONEY
    filterset_class = DisbursementFilter

    def get_serializer_class(self):
        return DisbursementCreateSerializer if self.action == "create" else DisbursementSerializer

    def get_queryset(self):
        vouchers = Disbursement.objects.select_related("award__program", "award__student", "unit").order_by("-pk")
        vouchers = vouchers.annotate(shows_recipient=selectors.recipient_access(self.request.user))
        return self.scoped(vouchers)

    @extend_schema(
        request=DisbursementCreateSerializer,
        responses={201: DisbursementSerializer, **replay(DisbursementSerializer, "the first voucher"), **REFUSALS},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        award = Award.objects.filter(pk=data["award"]).first()
        if award is None:
            raise _not_found("award", _("Không tìm thấy suất học bổng."))
        key = self.idempotency_key()
        disbursement = _service_call(lambda: awards.award_disburse(
            award=award, method=data["method"], paid_on=data["paid_on"], recipient_name=data["recipient_name"],
            bank_reference=data["bank_reference"], by=request.user, channel="api", idempotency_key=key,
        ))
        # Paying needs `add` on money in the unit, which every role that has it may also read.
        return Response(
            DisbursementSerializer(self.get_queryset().get(pk=disbursement.pk)).data,
            status=status.HTTP_200_OK if disbursement.replayed else status.HTTP_201_CREATED,
        )

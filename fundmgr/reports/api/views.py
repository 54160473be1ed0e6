"""API views of report runs: the same rules as the admin's "Báo cáo" page.

Asking (`report_run_create`) checks EXPORT in the exporter's domain for the chosen unit (a refusal
is a 403) and the parameters with the exporter's form (a 400 with the form's field errors); the run
is written and its job queued after commit, or written in the request when it is small. Polling
reads the run's state and progress (a running run's progress from the cache its worker writes).
Who sees a run and downloads its file: `selectors.runs_visible_to` / `run_may_read`.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied

from fundmgr.api.errors import service_errors
from fundmgr.api.filtering import StrictFilterBackend
from fundmgr.api.filters import StableOrderingFilter
from fundmgr.api.idempotency import IdempotentCreateMixin
from fundmgr.api.renderers import FileDownloadNegotiation
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain

from .. import selectors, services
from ..models import CONTENT_TYPES, ReportRun


class ReportNotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "report_not_ready"


class ReportFileExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_code = "report_file_expired"


class ReportRunFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", label="unit code")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = ReportRun
        fields = ["kind", "domain", "status", "format", "unit", "created_after", "created_before"]


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)


class ReportRunSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    title = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(
        help_text="rows written so far and rows in all (null while unknown); a running run's from its worker",
    )
    file_url = serializers.SerializerMethodField(help_text="where to download the file once the run is done")

    class Meta:
        model = ReportRun
        fields = [
            "id", "kind", "title", "domain", "format", "parameters", "unit", "requested_by", "status", "progress",
            "rows_done", "rows_total", "attempts", "last_error", "manifest", "file_url", "created_at", "finished_at",
            "expires_at",
        ]
        read_only_fields = fields

    def get_title(self, run) -> str:
        return selectors.exporter_title(run.kind)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, run) -> dict:
        done, total = getattr(run, "progress", (run.rows_done, run.rows_total))
        return {"done": done, "total": total}

    def get_file_url(self, run) -> str | None:
        if run.status != JobStatus.DONE or not run.file:
            return None
        url = reverse("api:report-run-file", args=[run.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ReportRunCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="the report's name (general_journal, fund_statement, receipts_register ...)")
    format = serializers.ChoiceField(choices=ReportRun.Format.choices, default=ReportRun.Format.CSV)
    unit = serializers.CharField(required=False, allow_blank=True,
                                 help_text="unit code: the run reads this unit and those below it; empty: all of yours")
    parameters = serializers.DictField(
        required=False, default=dict,
        help_text="the report's parameters as its form names them (date_from, date_to, fund ...), as text",
    )


def _with_progress(runs):
    progress = selectors.run_progress(runs)
    for run in runs:
        run.progress = progress[run.pk]
    return runs


class ReportRunViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Report runs you asked for, and those of the units where you may export their report's domain."""

    # Each run belongs to its report's domain (`ReportRun.domain`, the exporter's): money for the
    # receipts register, ledger for the books, awards for the scholarships' report.
    api_domain = (Domain.MONEY, Domain.LEDGER, Domain.AWARDS)  # any of them (`user_can_any`)
    api_actions = {"list": Action.EXPORT, "retrieve": Action.EXPORT, "create": Action.EXPORT, "file": Action.EXPORT}
    filterset_class = ReportRunFilter
    filter_backends = [StrictFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "created_at", "finished_at"]
    ordering = ["-pk"]

    def get_serializer_class(self):
        return ReportRunCreateSerializer if self.action == "create" else ReportRunSerializer

    def get_queryset(self):
        runs = ReportRun.objects.select_related("unit", "requested_by")
        return selectors.runs_visible_to(self.request.user, runs)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return _with_progress(page) if page is not None else None

    def get_object(self):
        return _with_progress([super().get_object()])[0]

    @extend_schema(request=ReportRunCreateSerializer, responses={201: ReportRunSerializer, 200: ReportRunSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = None
        if data.get("unit"):
            unit = OrgUnit.objects.filter(code=data["unit"]).first()
            if unit is None:
                raise serializers.ValidationError({"unit": [_("Không tìm thấy đơn vị.")]})
        try:
            run = services.report_run_create(
                kind=data["kind"], data=data["parameters"], format=data["format"], by=request.user, unit=unit,
                idempotency_key=self.idempotency_key(),
            )
        except DjangoValidationError as error:
            raise service_errors(error) from None
        replayed = run.replayed
        run = _with_progress([self.get_queryset().get(pk=run.pk)])[0]
        return self.created_response(
            ReportRunSerializer(run, context=self.get_serializer_context()).data, created=not replayed
        )

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="the report's file"),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="the report's file"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the report's file"),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileDownloadNegotiation, pagination_class=None,
            filter_backends=[])
    def file(self, request, pk=None):
        """The run's file: 409 while the run is not done, 410 when the file has expired."""
        run = self.get_object()
        if run.status != JobStatus.DONE:
            raise ReportNotReady(_("Báo cáo chưa xong."))
        if not run.file:
            raise ReportFileExpired(_("Tệp của báo cáo này đã hết hạn và bị xóa; hãy chạy lại báo cáo."))
        try:
            opened = services.report_file_open(run=run, by=request.user)  # names in clear: who may read them
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return FileResponse(
            opened, as_attachment=True, content_type=CONTENT_TYPES[run.format],
            filename=f"{run.kind}-{run.pk}.{run.format}",
        )

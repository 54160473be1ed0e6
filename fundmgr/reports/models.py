"""A report run: one request for one exporter's file, and the state of the job that writes it.

Design:
- A `ReportRun` is a job of the outbox (`fundmgr.core.outbox`): written with its audit row in the
  requester's transaction, its task enqueued after commit, and found again by the outbox's requeue
  job when its message was lost or its worker was killed. Running it twice writes one file.
- The scope is decided once, when the run is asked for: `unit_ids` is the frozen set of units the
  requester could export from (in the exporter's domain, inside `unit`'s subtree); the run reads
  those and no others, even if memberships change before it starts. `null` means every unit (a
  superuser over the whole tree).
- `parameters` keeps the raw form data as typed; the run validates it again with the exporter's form
  when it starts, so a run that waited (a fund closed meanwhile) fails with the form's message
  instead of reading a stale choice.
- The file lives under MEDIA_ROOT/reports/ under a name fixed per run, and `manifest` says what it
  holds (rows, totals, the last hash, SHA-256, size). Files expire after REPORT_FILE_DAYS; the
  row stays, with its manifest, as the record that the report was run.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundmgr.core import exporting
from fundmgr.core.outbox import OutboxJob
from fundmgr.orgs.models import OrgUnit


def report_file_path(run: "ReportRun", filename: str) -> str:
    # Fixed per run: a retried run overwrites its own file, never adds a second one.
    return f"reports/{run.pk}/{run.kind}-{run.pk}.{run.format}"


# What a downloaded or e-mailed file says it is, by format.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class ReportRun(OutboxJob):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        PDF = "pdf", "PDF"

    done_field = "finished_at"

    kind = models.CharField(_("báo cáo"), max_length=64)
    # The exporter's capability domain, copied when the run is asked for: who may see and download
    # the run is decided by it even if the exporter is renamed or removed later.
    domain = models.CharField(_("lĩnh vực"), max_length=20)
    parameters = models.JSONField(_("tham số"), default=dict, blank=True)
    format = models.CharField(_("định dạng"), max_length=8, choices=Format.choices, default=Format.CSV)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    unit_ids = models.JSONField(_("các đơn vị được đọc"), null=True, blank=True)
    personal = models.BooleanField(_("hiện dữ liệu cá nhân"), default=False)
    rows_done = models.PositiveBigIntegerField(_("số dòng đã ghi"), default=0)
    rows_total = models.PositiveBigIntegerField(_("tổng số dòng"), null=True, blank=True)
    file = models.FileField(_("tệp"), upload_to=report_file_path, max_length=200, blank=True)
    manifest = models.JSONField(_("bản kê tệp"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    # Set for a run a schedule asked for: when it is done, its file is e-mailed (`ReportDelivery`).
    schedule = models.ForeignKey(
        "ReportSchedule", verbose_name=_("lịch gửi"), null=True, blank=True, on_delete=models.PROTECT, related_name="runs",
    )
    period = models.CharField(_("kỳ"), max_length=10, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần chạy báo cáo")
        verbose_name_plural = pgettext_lazy("plural", "báo cáo")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self):
        try:
            title = exporting.exporter_get(self.kind).title
        except KeyError:  # an exporter removed since
            title = self.kind
        return f"{title} #{self.pk}"

    @property
    def unit_id_set(self) -> frozenset[int] | None:
        return None if self.unit_ids is None else frozenset(self.unit_ids)


class ReportSchedule(models.Model):
    """A report e-mailed on a schedule to the unit's treasurers and auditors (`services.report_schedules_due`).

    The kind fixes the frequency: the campaign summary goes out weekly, the fund statement monthly.
    `parameters` is the exporter's raw form data, as a run keeps it; the period's dates are added
    when the run is asked for. `last_sent_period` ("2026-W49", "2026-11") is the last period a run
    was asked for: the daily beat job asks once per period however often it runs.
    """

    class Kind(models.TextChoices):
        # Exporter names (the reports app imports no feature app, so they are strings).
        CAMPAIGN_REPORT = "campaign_report", _("Tóm tắt chiến dịch hằng tuần")
        FUND_STATEMENT = "fund_statement", _("Báo cáo thu chi quỹ hằng tháng")

    WEEKLY, MONTHLY = "weekly", "monthly"
    FREQUENCY = {Kind.CAMPAIGN_REPORT: WEEKLY, Kind.FUND_STATEMENT: MONTHLY}

    kind = models.CharField(_("báo cáo"), max_length=64, choices=Kind.choices)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+")
    parameters = models.JSONField(_("tham số"), default=dict, blank=True)
    format = models.CharField(_("định dạng"), max_length=8, choices=ReportRun.Format.choices, default=ReportRun.Format.XLSX)
    enabled = models.BooleanField(_("đang bật"), default=True)
    last_sent_period = models.CharField(_("kỳ đã gửi gần nhất"), max_length=10, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("lịch gửi báo cáo")
        verbose_name_plural = pgettext_lazy("plural", "lịch gửi báo cáo")
        ordering = ["unit__path", "kind", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.unit}"

    @property
    def frequency(self) -> str:
        return self.FREQUENCY[self.kind]


class ReportDelivery(OutboxJob):
    """One e-mail of a scheduled run's file to one recipient; a job of the outbox, so a message lost
    on the way is sent again by its requeue job, and never twice by two workers."""

    run = models.ForeignKey(ReportRun, verbose_name=_("lần chạy báo cáo"), on_delete=models.PROTECT, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận"), on_delete=models.PROTECT, related_name="+",
    )
    done_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    audit_unit_path = "run__unit"

    class Meta:
        verbose_name = _("việc gửi báo cáo")
        verbose_name_plural = pgettext_lazy("plural", "việc gửi báo cáo")
        ordering = ["-updated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="reports_delivery_one_per_user")]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self):
        return f"{self.run} → {self.user}: {self.get_status_display()}"

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


class ReportRun(OutboxJob):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

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

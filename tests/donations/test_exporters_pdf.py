"""The campaign report as PDF, with its bar of money received against the goal."""

import io
import subprocess

import pytest

from donations.exporters import CampaignReportForm
from fundmgr.core.charts import short_vnd
from fundmgr.core.exporting import ExportRequest, export_write, exporter_get
from tests.conftest import require_executable

# The scene of the exporters' tests (its fixtures are imported to be found here).
from .test_exporters import cleaned, commune, scene  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("scene")
def test_the_campaign_report_as_pdf_with_its_progress_bar(campaign, tmp_path):
    exporter = exporter_get("campaign_report")
    request = ExportRequest(params=cleaned(CampaignReportForm, {"campaign": campaign.pk}))
    target = io.BytesIO()
    manifest = export_write(exporter, request, "pdf", target, title=str(exporter.title))
    assert manifest.rows == 6
    path = tmp_path / "chien-dich.pdf"
    path.write_bytes(target.getvalue())
    text = subprocess.run([require_executable("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Báo cáo chiến dịch" in text and "loại nhà hảo tâm" in text and "9.000.000" in text and "Trang 1" in text
    assert "Đã nhận so với mục tiêu" in text and f"{short_vnd(9_000_000)} / {short_vnd(campaign.goal)}" in text

"""PDF runs: only for the exporters that say `pdf=True`, in the admin, the services and the command."""

import hashlib
import io
import json
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from fundmgr.core.exporting import AMOUNT, EXACT, Column, Exporter, register
from fundmgr.core.outbox import JobStatus
from fundmgr.orgs.roles import Domain
from fundmgr.reports import services
from fundmgr.reports.models import ReportRun
from tests.conftest import require_executable

from .exporters import _funds

pytestmark = pytest.mark.django_db
ADD = reverse("admin:reports_reportrun_add")
LONG = "test_lines"  # a test exporter without `pdf`


def statement_rows(request):
    for code, name in _funds(request).values_list("code", "name").iterator():
        yield [code, name, 1_250_000]


@pytest.fixture
def statement():
    return register(Exporter(
        name="test_statement", title="Báo cáo thu chi quỹ (thử)", domain=Domain.LEDGER,
        columns=(Column("Mã quỹ", EXACT), Column("Tên quỹ"), Column("Số dư", AMOUNT)),
        rows=statement_rows, snapshot=False, pdf=True,
        pdf_chart=lambda request: {"kind": "progress", "title": "Đã nhận so với mục tiêu", "value": 750_000_000, "goal": 1_000_000_000},
    ))


def test_the_admin_offers_pdf_only_for_a_short_statement_and_downloads_it(client, auditor_a, funds, statement, django_capture_on_commit_callbacks):
    client.force_login(auditor_a)
    assert 'value="pdf"' not in client.get(ADD, {"kind": LONG}).content.decode()
    assert 'value="pdf"' in client.get(ADD, {"kind": "test_statement"}).content.decode()
    refused = client.post(ADD, {"kind": LONG, "rows": "3", "report_format": "pdf"})
    assert refused.status_code == 200 and not ReportRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(ADD, {"kind": "test_statement", "report_format": "pdf"})
    run = ReportRun.objects.get()
    assert (run.format, run.status) == ("pdf", JobStatus.DONE)
    download = client.get(reverse("admin:reports_reportrun_file", args=[run.pk]))
    content = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and content[:5] == b"%PDF-"
    assert f'filename="test_statement-{run.pk}.pdf"' in download["Content-Disposition"]
    manifest = json.loads(client.get(reverse("admin:reports_reportrun_manifest", args=[run.pk])).content)
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["totals"] == {"Số dư": 1_250_000 * manifest["rows"]} and manifest["rows"] > 0


def test_the_service_refuses_a_pdf_of_a_long_report(auditor_a, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as refused, django_capture_on_commit_callbacks(execute=True):
        services.report_run_create(kind=LONG, data={"rows": "3"}, format="pdf", by=auditor_a)
    assert "không xuất được ra PDF" in refused.value.message_dict["format"][0]
    assert not ReportRun.objects.exists()


def test_the_command_writes_a_pdf_or_refuses_it(tmp_path, funds, statement):
    target = tmp_path / "bao-cao.pdf"
    out = io.StringIO()
    call_command("report", "test_statement", "--format", "pdf", "-o", str(target), stdout=out)
    manifest = json.loads(out.getvalue())
    assert manifest["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    text = subprocess.run([require_executable("pdftotext"), str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Báo cáo thu chi quỹ (thử)" in text and "Quỹ Khuyến học Sầm Sơn" in text and "1.250.000" in text
    assert "750 triệu / 1 tỷ (75%)" in text and "Trang 1" in text  # the chart, labelled with short_vnd

    refused = tmp_path / "so.pdf"
    with pytest.raises(CommandError, match="PDF"):
        call_command("report", LONG, "--param", "rows=3", "--format", "pdf", "-o", str(refused))
    assert not refused.exists()

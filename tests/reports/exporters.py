"""Small exporters of the reports tests, registered in a registry of their own (`registry` fixture),
so the project's exporters are untouched. The worker of the crash test imports `worker_exporters`,
which installs them in its own process.
"""

import time

from django import forms

from fundmgr.core.exporting import AMOUNT, EXACT, INTEGER, Column, Exporter, register
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Domain

SLOW_ROWS = 3000
SLOW_PAUSE_EVERY = 100
SLOW_PAUSE = 0.25  # seconds: the slow report takes about 7.5 s


class FundsForm(forms.Form):
    code_prefix = forms.CharField(label="Mã quỹ bắt đầu bằng", required=False, max_length=20)
    minimum = forms.IntegerField(label="Số dư tối thiểu", required=False, min_value=0)


def _funds(request):
    funds = Fund.objects.order_by("pk")
    if request.unit_ids is not None:
        funds = funds.filter(unit_id__in=request.unit_ids)
    if request.params.get("code_prefix"):
        funds = funds.filter(code__startswith=request.params["code_prefix"])
    return funds


def funds_rows(request):
    for code, name, unit_code, pk in _funds(request).values_list("code", "name", "unit__code", "pk").iterator():
        yield [code, name, unit_code, pk * 1_000_000]


FUNDS = Exporter(
    name="test_funds", title="Danh sách quỹ (thử)", domain=Domain.MONEY,
    columns=(Column("Mã quỹ", EXACT), Column("Tên quỹ"), Column("Đơn vị", EXACT), Column("Số dư", AMOUNT)),
    rows=funds_rows, form=FundsForm, count=lambda request: _funds(request).count(), snapshot=False,
)


class LinesForm(forms.Form):
    rows = forms.IntegerField(label="Số dòng", min_value=0, max_value=100_000, initial=10)


def lines_rows(request):
    for index in range(request.params["rows"]):
        yield [index + 1, f"Dòng {index + 1}", 1_000 * (index + 1), f"h{index + 1:04d}"]


LINES = Exporter(
    name="test_lines", title="Sổ thử", domain=Domain.LEDGER,
    columns=(
        Column("STT", INTEGER), Column("Diễn giải"), Column("Số tiền", AMOUNT), Column("Hash", EXACT, last_in_manifest=True),
    ),
    rows=lines_rows, form=LinesForm, count=lambda request: request.params["rows"],
)


def slow_rows(request):
    for index in range(SLOW_ROWS):
        if index % SLOW_PAUSE_EVERY == 0:
            time.sleep(SLOW_PAUSE)
        yield [index + 1, f"Dòng chậm {index + 1}", 1_000]


SLOW = Exporter(
    name="test_slow", title="Sổ thử chạy chậm", domain=Domain.LEDGER,
    columns=(Column("STT", INTEGER), Column("Diễn giải"), Column("Số tiền", AMOUNT)),
    rows=slow_rows, count=lambda request: SLOW_ROWS,
)


def awards_rows(request):
    yield ["Lò Thị Mai" if request.personal else "L.T.M.", 2_000_000]


AWARDS = Exporter(
    name="test_awards", title="Học bổng (thử)", domain=Domain.AWARDS,
    columns=(Column("Học sinh"), Column("Số tiền", AMOUNT)), rows=awards_rows,
)

ALL = (FUNDS, LINES, SLOW, AWARDS)


def install() -> None:
    for exporter in ALL:
        register(exporter)


# --- the scheduled reports' stand-ins (named like the real ones; `scheduled` fixture) ---------------------
class CampaignForm(forms.Form):
    campaign = forms.CharField(label="Chiến dịch", max_length=20)


def campaign_rows(request):
    for code, unit_code in _funds(request).values_list("code", "unit__code").iterator():
        yield [request.params["campaign"], code, unit_code]


CAMPAIGN_REPORT = Exporter(
    name="campaign_report", title="Báo cáo chiến dịch (thử)", domain=Domain.MONEY,
    columns=(Column("Chiến dịch"), Column("Mã quỹ", EXACT), Column("Đơn vị", EXACT)),
    rows=campaign_rows, form=CampaignForm, count=lambda request: _funds(request).count(),
)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label="Từ ngày")
    date_to = forms.DateField(label="Đến ngày")
    code_prefix = forms.CharField(label="Mã quỹ bắt đầu bằng", required=False, max_length=20)


def fund_statement_rows(request):
    for code, unit_code, pk in _funds(request).values_list("code", "unit__code", "pk").iterator():
        yield [code, unit_code, request.params["date_from"].isoformat(), request.params["date_to"].isoformat(), pk * 1_000]


FUND_STATEMENT = Exporter(
    name="fund_statement", title="Báo cáo thu chi quỹ (thử)", domain=Domain.LEDGER,
    columns=(Column("Mã quỹ", EXACT), Column("Đơn vị", EXACT), Column("Từ", EXACT), Column("Đến", EXACT), Column("Số dư", AMOUNT)),
    rows=fund_statement_rows, form=PeriodForm, count=lambda request: _funds(request).count(), snapshot=False,
)

SCHEDULED = (CAMPAIGN_REPORT, FUND_STATEMENT)

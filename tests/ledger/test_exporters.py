"""The ledger's books as exporters: the general journal an auditor checks, the cash and bank books,
the trial balance and the fund statement, on the demo data and on random postings."""

import csv
import datetime
import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from fundmgr.core.exporting import ExportRequest, exporter_get, write_csv, write_xlsx
from fundmgr.ledger import accounts
from fundmgr.ledger.exporters import LedgerPeriodForm
from fundmgr.ledger.models import Fund, JournalLine, LedgerChainHead
from fundmgr.ledger.selectors import account_balances
from fundmgr.ledger.services import Line, entry_post, fund_transfer
from fundmgr.orgs.models import OrgUnit

from .test_auditor_script import auditor_script

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 9, 1)
NAMES = ("general_journal", "cash_book", "bank_book", "trial_balance", "fund_statement")


def export(name: str, *, unit_ids=None, writer=write_csv, **data):
    """(rows as the exporter yields them, the file's bytes, its manifest)."""
    exporter = exporter_get(name)
    form = exporter.form(data)
    assert form.is_valid(), form.errors
    request = ExportRequest(params=form.cleaned_data, unit_ids=unit_ids)
    rows = list(exporter.rows(request))
    target = io.BytesIO()
    manifest = writer(exporter.columns_for(request), iter(rows), target)
    return rows, target.getvalue(), manifest


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def demo(demo_seeded):
    return demo_seeded


def test_the_ledger_registers_its_five_books():
    for name in NAMES:
        exporter = exporter_get(name)
        assert exporter.domain == "ledger" and exporter.form is LedgerPeriodForm and exporter.snapshot


def test_the_demo_general_journal_as_csv_and_xlsx(demo, tmp_path):
    rows, data, manifest = export("general_journal")
    assert len(rows) == JournalLine.objects.count() > 300
    assert manifest.rows == len(rows)
    assert manifest.totals["Nợ"] == manifest.totals["Có"] == sum(row[-2] for row in rows) > 0
    assert manifest.last == {"Mã băm": LedgerChainHead.objects.get().last_hash}

    # The auditor's script in docs/ledger.md, as a separate process, on the file alone.
    script, export_file = tmp_path / "check_ledger.py", tmp_path / "so-nhat-ky.csv"
    script.write_text(auditor_script(), encoding="utf-8")
    export_file.write_bytes(data)
    result = subprocess.run([sys.executable, "-I", str(script), str(export_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chain intact, last hash {LedgerChainHead.objects.get().last_hash}"

    # The XLSX of the same rows reads back as the same cells: numbers as numbers, dates as dates.
    _rows, xlsx, xlsx_manifest = export("general_journal", writer=write_xlsx)
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    as_text = [
        ["" if value is None else value.date().isoformat() if isinstance(value, datetime.datetime) else str(value)
         for value in row]
        for row in cells
    ]
    assert as_text == csv_rows(data)
    assert all(isinstance(row[11], int) and isinstance(row[12], int) for row in cells[1:])
    assert (xlsx_manifest.rows, xlsx_manifest.totals, xlsx_manifest.last) == (
        manifest.rows, manifest.totals, manifest.last,
    )


def test_the_demo_books_agree_with_the_ledger(demo):
    balances = account_balances()
    rows, _data, _manifest = export("trial_balance")
    assert sum(row[-1] for row in rows) == 0
    assert sum(row[5] for row in rows) == sum(row[6] for row in rows) > 0
    for code in (accounts.CASH, accounts.BANK):
        assert sum(row[-1] for row in rows if row[0] == code) == balances.get(code, 0)

    cash, _data, manifest = export("cash_book")
    assert cash[-1][-1] == balances[accounts.CASH] > 0
    assert manifest.totals["Số tiền thu"] - manifest.totals["Số tiền chi"] == balances[accounts.CASH]
    bank, _data, _manifest = export("bank_book")
    assert bank[-1][-1] == balances[accounts.BANK]

    statement, _data, _manifest = export("fund_statement")
    fund_balances_by_code = {}
    for fund in Fund.objects.all():
        assets = account_balances(funds=[fund])
        fund_balances_by_code[f"{fund.code} {fund.name}"] = sum(
            assets.get(code, 0) for code in (accounts.CASH, accounts.BANK, accounts.IN_KIND_ASSETS)
        )
    closings = {row[0]: row[-1] for row in statement if row[1] == "Số dư cuối kỳ"}
    assert closings == {label: balance for label, balance in fund_balances_by_code.items() if balance or label in closings}


@pytest.fixture
def two_communes(province, make_fund):
    hac_thanh = OrgUnit.objects.create(name="Hội Khuyến học phường Hạc Thành", code="TH-HT", kind="commune", parent=province)
    sam_son = OrgUnit.objects.create(name="Hội Khuyến học phường Sầm Sơn", code="TH-SS", kind="commune", parent=province)
    general = make_fund("QKH-TH")
    local = make_fund("QKH-HT", unit=hac_thanh)
    for unit, fund, amount in ((province, general, 9_000_000), (hac_thanh, local, 2_000_000), (sam_son, general, 3_000_000)):
        entry_post(
            unit=unit, date=DAY, memo=f"Ủng hộ {unit.code}",
            lines=[Line(accounts.CASH, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
        )
    return hac_thanh, sam_son, general, local


def test_a_commune_scope_reads_only_that_commune(two_communes):
    hac_thanh, sam_son, general, local = two_communes
    scope = frozenset({hac_thanh.pk})
    for name in NAMES:
        rows, _data, _manifest = export(name, unit_ids=scope)
        assert "TH-SS" not in repr(rows) and "9000000" not in repr(rows) and "3000000" not in repr(rows), name
    journal, _data, _manifest = export("general_journal", unit_ids=scope)
    assert [(row[2], row[-2], row[-1]) for row in journal] == [("TH-HT", 2_000_000, 0), ("TH-HT", 0, 2_000_000)]
    cash, _data, _manifest = export("cash_book", unit_ids=scope)
    assert cash[-1][-1] == 2_000_000
    # A fund or a unit chosen outside the scope gives no rows at all (not another unit's data).
    for name in NAMES:
        assert export(name, unit_ids=scope, fund=general.pk)[0] == [], name
        assert export(name, unit_ids=scope, unit=sam_son.pk)[0] == [], name


def test_the_general_journal_filters(two_communes, province):
    hac_thanh, sam_son, general, local = two_communes
    later = datetime.date(2025, 10, 1)
    fund_transfer(from_fund=general, to_fund=local, amount=1_000_000, date=later, memo="Điều chuyển", unit=province)
    by_fund, _data, manifest = export("general_journal", fund=local.pk)
    assert {row[10] for row in by_fund} == {"QKH-HT"} and manifest.totals["Nợ"] == manifest.totals["Có"] == 3_000_000
    by_date, _data, _manifest = export("general_journal", date_from="2025-10-01")
    assert {row[3] for row in by_date} == {"Điều chuyển"} and len(by_date) == 4
    by_unit, _data, _manifest = export("general_journal", unit=sam_son.pk, date_to="2025-09-30")
    assert {row[2] for row in by_unit} == {"TH-SS"} and len(by_unit) == 2
    assert not LedgerPeriodForm({"date_from": "2025-10-02", "date_to": "2025-10-01"}).is_valid()


def test_the_cash_book_opening_running_and_closing(two_communes, province):
    hac_thanh, sam_son, general, local = two_communes
    entry_post(
        unit=province, date=datetime.date(2025, 9, 5), memo="Chi học bổng", lines=[
            Line(accounts.SCHOLARSHIP_EXPENSE, general, debit=4_000_000), Line(accounts.CASH, general, credit=4_000_000),
        ],
    )
    rows, _data, _manifest = export("cash_book", fund=general.pk, date_from="2025-09-02")
    assert [(row[2], row[5], row[6], row[7]) for row in rows] == [
        ("Số dư đầu kỳ", None, None, 12_000_000),
        ("Chi học bổng", None, 4_000_000, 8_000_000),
        ("Số dư cuối kỳ", None, None, 8_000_000),
    ]


def test_a_small_general_journal_export_counts_its_queries(two_communes, django_assert_num_queries):
    exporter = exporter_get("general_journal")
    request = ExportRequest(params={}, unit_ids=None)
    # 6 queries: the codes of accounts, funds, units and content types (once per export), one batch
    # of entries (fewer than the batch size: no second batch is asked for) and their lines.
    with django_assert_num_queries(6):
        manifest = write_csv(exporter.columns_for(request), exporter.rows(request), io.BytesIO())
    assert manifest.rows == 6


postings = st.lists(
    st.tuples(
        st.sampled_from(["donation_cash", "donation_bank", "spend_cash", "transfer"]),
        st.integers(min_value=1, max_value=5_000_000),
        st.integers(min_value=0, max_value=40),
        st.integers(min_value=0, max_value=1),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(postings=postings, cut=st.integers(min_value=0, max_value=40))
def test_books_agree_with_the_ledger_over_random_postings(province, make_fund, postings, cut):
    from django.db import transaction

    with transaction.atomic():
        funds = [Fund.objects.get_or_create(code=code, defaults={"name": code, "unit": province})[0] for code in ("A", "B")]
        start = datetime.date(2025, 1, 1)
        for kind, amount, day, which in postings:
            fund, other = funds[which], funds[1 - which]
            date = start + datetime.timedelta(days=day)
            if kind.startswith("donation"):
                account = accounts.CASH if kind == "donation_cash" else accounts.BANK
                entry_post(unit=province, date=date, memo="Ủng hộ", lines=[
                    Line(account, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)])
            elif kind == "spend_cash":
                if account_balances(funds=[fund]).get(accounts.CASH, 0) - amount < 0 or fund_total(fund) < amount:
                    continue
                entry_post(unit=province, date=date, memo="Chi", lines=[
                    Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=amount), Line(accounts.CASH, fund, credit=amount)])
            elif account_balances(funds=[fund]).get(accounts.BANK, 0) >= amount:
                fund_transfer(from_fund=fund, to_fund=other, amount=amount, date=date, memo="Điều chuyển", unit=province)
        period_start = (start + datetime.timedelta(days=cut)).isoformat()
        balances = account_balances()
        trial, _data, _manifest = export("trial_balance", date_from=period_start)
        assert sum(row[-1] for row in trial) == 0
        assert sum(row[4] for row in trial) == 0  # the opening balances too
        cash, _data, manifest = export("cash_book", date_from=period_start)
        assert cash[-1][-1] == balances.get(accounts.CASH, 0)
        assert cash[0][-1] + manifest.totals["Số tiền thu"] - manifest.totals["Số tiền chi"] == cash[-1][-1]
        bank, _data, _manifest = export("bank_book")
        assert bank[-1][-1] == balances.get(accounts.BANK, 0)
        transaction.set_rollback(True)


def fund_total(fund) -> int:
    balances = account_balances(funds=[fund])
    return sum(balances.get(code, 0) for code in (accounts.CASH, accounts.BANK))


@pytest.mark.postgres
def test_the_copy_path_writes_the_same_bytes_as_the_rows_path(two_communes, province):
    from fundmgr.ledger.exporters import general_journal_csv_by_copy

    hac_thanh, sam_son, general, local = two_communes
    awkward = [
        'Ủng hộ, "Nâng cánh ước mơ"', "dòng một\ndòng hai\r\nba", "a\\b\\nc\t\x08\x0c\x0b tab", "=HYPERLINK(\"x\")",
        " khoảng trắng ", "#N/A", "'", "\\", "\\.",
    ]
    for memo in awkward:
        entry = entry_post(
            unit=hac_thanh, date=DAY, memo=memo, source=sam_son,
            lines=[Line(accounts.BANK, local, debit=7), Line(accounts.DONATION_INCOME, local, credit=7)],
        )
    from fundmgr.ledger.services import entry_reverse

    entry_reverse(entry=entry, reason='Nhầm, "sửa"\nlại', date=DAY)
    exporter = exporter_get("general_journal")
    assert exporter.fast_writers == {"csv": general_journal_csv_by_copy}
    for data in ({}, {"fund": local.pk}, {"unit": hac_thanh.pk, "date_from": "2025-09-01"}, {"unit": sam_son.pk},
                 {"date_to": "2020-01-01"}):
        for unit_ids in (None, frozenset({hac_thanh.pk})):
            form = exporter.form(data)
            assert form.is_valid()
            request = ExportRequest(params=form.cleaned_data, unit_ids=unit_ids)
            by_rows, by_copy, rows_progress, copy_progress = io.BytesIO(), io.BytesIO(), [], []
            expected = write_csv(
                exporter.columns_for(request), exporter.rows(request), by_rows, progress=rows_progress.append, every=3,
            )
            manifest = general_journal_csv_by_copy(request, by_copy, progress=copy_progress.append, every=3)
            assert by_copy.getvalue() == by_rows.getvalue(), (data, unit_ids)
            assert manifest == expected and copy_progress == rows_progress, (data, unit_ids)
            if not data and unit_ids is None:
                assert b'a\\b\\nc\t\x08' in by_rows.getvalue() and expected.rows == 6 + 20


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_export_ledger_options(two_communes, tmp_path):
    hac_thanh, sam_son, general, local = two_communes
    out = io.StringIO()
    call_command("export_ledger", "-o", str(tmp_path / "so.xlsx"), "--unit", "TH-HT", "--from", "2025-09-01",
                 "--to", "2025-09-30", stdout=out)
    sheet = load_workbook(tmp_path / "so.xlsx", read_only=True).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["TH-HT", "TH-HT"]
    assert out.getvalue().splitlines()[0].startswith("2 lines, debit 2000000, credit 2000000, last hash ")

    terminal = Terminal()
    call_command("export_ledger", str(tmp_path / "quy.csv"), "--fund", "QKH-TH", "--format", "csv", stdout=terminal)
    assert "[########################################] 4/4 (100%)" in terminal.getvalue()
    assert terminal.getvalue().splitlines()[-2].startswith("4 lines, debit 12000000, credit 12000000")
    assert len(csv_rows((tmp_path / "quy.csv").read_bytes())) == 1 + 4

    with pytest.raises(Exception, match="no fund with the code 'NOPE'"):
        call_command("export_ledger", str(tmp_path / "x.csv"), "--fund", "NOPE")
    with pytest.raises(Exception, match="date_from"):
        call_command("export_ledger", str(tmp_path / "x.csv"), "--from", "32/12/2025")

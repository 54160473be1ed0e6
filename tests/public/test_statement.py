"""The public statement (sao kê): what it shows and hides, its totals against the fund statement,
search, paging, bad input, the CSV and the PDF, and what a page costs."""

import csv
import datetime
import html
import io
import re
import subprocess

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Payment, Pledge
from donations.progress import publicly_named
from donations.services import PledgePayment, PledgePaymentBatch, payment_record
from fundmgr.core.exporting import ExportRequest
from fundmgr.core.page_version import public_pages_changed
from fundmgr.ledger.exporters import fund_statement_rows
from tests.campaigns import factories
from tests.conftest import require_executable
from tests.public.page_helpers import without_token

pytestmark = pytest.mark.django_db

URL = "/c/tet-khuyen-hoc-2026/statement/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def pay(pledge, amount, *, day=None, bank_reference=None, method=Payment.Method.BANK_TRANSFER):
    """A payment through the real path: its ledger entry and its receipt."""
    return payment_record(
        donor=pledge.donor, pledge=pledge, amount=amount, method=method, received_on=day or timezone.localdate(),
        unit=pledge.campaign.unit, bank_reference=bank_reference,
    )


def pay_many(pledge, payments):
    """[(amount, day)] recorded through the services in one pass (the bank import's bulk path):
    payments, their ledger entries and receipts, as `pay` one by one but in a few statements."""
    with transaction.atomic():
        batch = PledgePaymentBatch(pledge_ids=[pledge.pk], unit=pledge.campaign.unit)
        for amount, day in payments:
            assert isinstance(batch.add(PledgePayment(pledge.pk, amount, Payment.Method.CASH, day)), Payment)
        return batch.write()


def all_pages(client, url):
    """The HTML of every page of the statement, following the "next" links."""
    pages, query = [], ""
    while True:
        response = client.get(url + query)
        assert response.status_code == 200
        pages.append(text(response))
        match = re.search(r'rel="next" href="\?([^"#]*)', pages[-1])
        if match is None:
            return pages
        query = "?" + match.group(1)


def appears(name: str, content: str) -> bool:
    """`name` as a whole name in `content` ("Đỗ Minh An" is not in "Đỗ Minh Anh")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", content) is not None


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the diacritics
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- the demo: nothing private, totals as the fund statement ---------------------------------------

@pytest.fixture
def demo(demo_seeded):
    return Campaign.objects.get(slug="tet-khuyen-hoc-2026")


def test_the_demo_statement_shows_no_student_and_no_donor_who_did_not_consent(client, demo):
    from scholarships.models import Disbursement, Student

    payments = Payment.objects.not_voided().filter(pledge__campaign=demo)
    named = set(payments.filter(publicly_named("pledge__")).values_list("donor__name", flat=True))
    hidden = set(payments.exclude(publicly_named("pledge__")).values_list("donor__name", flat=True)) - named
    students = set(Student.objects.values_list("full_name", flat=True))
    students |= set(Student.objects.exclude(guardian_name="").values_list("guardian_name", flat=True))
    students |= set(Disbursement.objects.values_list("recipient_name", flat=True))
    # A student who shares a consenting donor's name would be that donor's name on the page.
    students -= named
    assert named and hidden and students and Disbursement.objects.exists()

    pages = all_pages(client, URL)
    assert len(pages) > 1  # the demo has more than one page of money in
    everything = "\n".join(pages)
    assert [name for name in hidden if appears(name, everything)] == []
    assert [name for name in students if appears(name, everything)] == []
    assert all(appears(name, everything) for name in named)
    assert "Nhà hảo tâm …" in everything  # the unnamed, with the end of their bank reference

    data = client.get(URL + "?download=csv").getvalue()
    content = data.decode("utf-8-sig")
    assert [name for name in hidden | students if appears(name, content)] == []


def test_the_demo_statement_totals_equal_the_fund_statement(client, demo):
    from donations.statement import campaign_scope, statement_summary

    scope = campaign_scope(demo, today=timezone.localdate())
    summary = statement_summary(scope)
    rows = list(fund_statement_rows(ExportRequest(params={"date_from": summary.date_from, "date_to": scope.date_to})))
    fund_labels = {fund.label for fund in summary.funds}
    mine = [row for row in rows if row[0] in fund_labels]
    campaign_item = f"Chiến dịch {demo.name}"
    money_in = sum(row[2] or 0 for row in mine if row[1] == campaign_item)
    reversed_in = sum(row[3] or 0 for row in mine if row[1] == f"{campaign_item} – bút toán đảo")
    # Money in: the campaign's payments, the voided ones reversed in the same period.
    assert summary.received == money_in - reversed_in > 0
    assert summary.received == sum(
        Payment.objects.not_voided().filter(pledge__campaign=demo).values_list("amount", flat=True)
    )
    # Money out: the fund statement's programs, item by item.
    programs = {}
    for row in mine:
        if row[1].startswith("Chương trình") and row[3]:
            programs[row[1]] = programs.get(row[1], 0) + row[3]
    statement_programs = {}
    for group in summary.money_out:
        statement_programs[group.label] = statement_programs.get(group.label, 0) + group.amount
    assert statement_programs == programs and summary.money_out_total > 0
    # Balances: the fund statement's opening and closing rows.
    for fund in summary.funds:
        lines = [row for row in mine if row[0] == fund.label]
        assert (fund.opening, fund.closing) == (lines[0][4], lines[-1][4])
        assert fund.money_in == sum(row[2] or 0 for row in lines)
        assert fund.money_out == sum(row[3] or 0 for row in lines)
        assert fund.closing == fund.opening + fund.money_in - fund.money_out

    page = text(client.get(URL))
    assert f"{summary.received:,}".replace(",", ".") + "\u00a0₫" in page
    assert f"{summary.money_out_total:,}".replace(",", ".") + "\u00a0₫" in page


# --- names: consent, anonymity, the reference's end ----------------------------------------------

def test_only_consenting_donors_are_named_the_others_by_the_end_of_their_bank_reference(client, campaign):
    named = factories.pledge_make(campaign, amount=10_000_000, name="Trần Thị Hoa", honor_roll=True)
    unlisted = factories.pledge_make(campaign, amount=10_000_000, name="Lê Văn Kín", honor_roll=False)
    anonymous = factories.pledge_make(campaign, amount=10_000_000, name="Phạm Ẩn Danh", honor_roll=True, anonymous=True)
    cash = factories.pledge_make(campaign, amount=10_000_000, name="Đỗ Tiền Mặt", honor_roll=False)
    pay(named, 1_000_000, bank_reference="FT26040111AB")
    pay(unlisted, 2_000_000, bank_reference="FT26040222CD")
    pay(anonymous, 3_000_000, bank_reference="FT26040333EF")
    cash_payment = pay(cash, 500_000, method=Payment.Method.CASH)
    page = text(client.get(URL))
    assert "Trần Thị Hoa" in page
    for hidden in ("Lê Văn Kín", "Phạm Ẩn Danh", "Đỗ Tiền Mặt"):
        assert hidden not in page
    assert "Nhà hảo tâm …22CD" in page and "Nhà hảo tâm …33EF" in page
    # Never any part of the pledge reference: it opens the donor's own page.
    for pledge in (named, unlisted, anonymous, cash):
        assert pledge.reference not in page and pledge.reference[-4:] not in page
    assert cash_payment.receipt.number in page
    assert "1.000.000\u00a0₫" in page and "6.500.000\u00a0₫" in page  # a line; the day's total


# --- search, paging, bad input --------------------------------------------------------------------

def hundred_build() -> int:
    """The campaign fixture's province, funds and campaign, and 120 payments over three days, 40 a day,
    amounts 1.001.000 … 1.120.000; the pledge's pk."""
    unit = factories.province_make()
    campaign = factories.campaign_make(unit=unit, funds=factories.funds_make(unit))
    pledge = factories.pledge_make(campaign, amount=500_000_000, name="Công ty Bình Minh", honor_roll=True)
    today = timezone.localdate()
    for number in range(120):
        pay(pledge, 1_000_000 + (number + 1) * 1000, day=today - datetime.timedelta(days=2 - number // 40),
            bank_reference=f"FT{number:08d}X")
    return pledge.pk


@pytest.fixture(scope="session")
def _hundred_rows(django_db_setup, django_db_blocker, _transparency_dir):
    from tests.demo_snapshot import DemoSnapshot, snapshot_settings

    with django_db_blocker.unblock():
        return DemoSnapshot.take({**snapshot_settings(_transparency_dir), "DEBUG": False}, build=hundred_build)


@pytest.fixture
def hundred(db, _hundred_rows):
    """`hundred_build`'s pledge: built once per session (120 payments through the services take
    seconds), its rows put back into each test's transaction (tests/demo_snapshot.py)."""
    return Pledge.objects.get(pk=_hundred_rows.restore())


def test_paging_walks_every_line_once_forward_and_back(client, hundred):
    pages = all_pages(client, URL)
    assert len(pages) == 3  # 50 + 50 + 20
    amounts = [re.findall(r"1\.(\d{3})\.000\u00a0₫</td></tr>", page) for page in pages]
    flat = [int(amount) for page in amounts for amount in page]
    assert flat == list(range(1, 121))
    second = client.get(URL + "?after=" + re.search(r"after=([^#\"]+)", pages[0]).group(1))
    back = re.search(r'rel="prev" href="\?([^"#]*)', text(second)).group(1)
    assert re.findall(r"1\.(\d{3})\.000\u00a0₫</td></tr>", text(client.get(URL + "?" + back))) == [
        f"{number:03d}" for number in range(1, 51)
    ]


@pytest.mark.parametrize(("query", "expected"), [
    ("amount=1.005.000", ["005"]),
    ("amount=1.005.000đ", ["005"]),  # Vietnamese typing (parse_vnd)
    ("amount=1 005 000", ["005"]),
    ("amount=1005000", ["005"]),
    ("reference=007x", ["008"]),  # the end of the bank reference, any case
    ("reference=FT00000007X", ["008"]),
])
def test_search_by_amount_and_reference(client, hundred, query, expected):
    page = text(client.get(f"{URL}?{query}"))
    assert re.findall(r"1\.(\d{3})\.000\u00a0₫</td></tr>", page) == expected


def test_search_by_date_and_by_receipt_number(client, hundred):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page = text(client.get(f"{URL}?day={yesterday:%d/%m/%Y}"))
    assert re.findall(r"1\.(\d{3})\.000\u00a0₫</td></tr>", page) == [f"{n:03d}" for n in range(41, 81)]
    receipt = Payment.objects.get(amount=1_077_000).receipt.number
    page = text(client.get(f"{URL}?reference={receipt}"))
    assert re.findall(r"1\.(\d{3})\.000\u00a0₫</td></tr>", page) == ["077"]


@pytest.mark.parametrize("query", [
    "amount=abc", "amount=-5", "amount=1,5", "amount=" + "9" * 60, "day=31/02/2026", "day=2026-02-17",
    "day=%00", "after=garbage", "before=2026-13-45.1", "after=2026-01-01." + "9" * 40, "reference=" + "x" * 500,
    "download=exe",
])
def test_bad_input_is_a_message_on_a_normal_page(client, hundred, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert "Nhà hảo tâm" in text(response) or "Công ty Bình Minh" in text(response)


def test_bad_input_messages_in_vietnamese_and_english(client, hundred):
    page = text(client.get(f"{URL}?day=31/02/2026&after=x"))
    assert "không đúng dạng ngày/tháng/năm" in page and "Liên kết trang không hợp lệ" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(client.get(f"{URL}?day=31/02/2026&after=x"))
    assert "is not a date in day/month/year form" in page and "This page link is not valid" in page


def test_a_payment_before_the_campaign_s_first_day_counts_and_opens_the_period(client, campaign):
    pledge = factories.pledge_make(campaign, amount=10_000_000, name="Trần Thị Hoa")
    early = campaign.starts_on - datetime.timedelta(days=3)
    pay(pledge, 4_000_000, day=early, bank_reference="FT26EARLY0001")
    pay(pledge, 1_000_000, bank_reference="FT26LATER0002")
    page = text(client.get(URL))
    assert f"Từ ngày {early:%d/%m/%Y}" in page
    assert "5.000.000\u00a0₫" in page  # the total, as on the campaign page
    assert "4.000.000\u00a0₫" in page


def test_a_draft_campaign_has_no_statement(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(URL).status_code == 404


# --- what a page costs --------------------------------------------------------------------------

@pytest.mark.parametrize("count", [10, 1000])
def test_a_statement_page_costs_the_same_queries_at_10_and_1000_payments(client, campaign, count,
                                                                          django_assert_num_queries):
    pledge = factories.pledge_make(campaign, amount=5_000_000_000, name="Công ty Bình Minh")
    today = timezone.localdate()
    pay_many(pledge, [(1_000 + number, today - datetime.timedelta(days=number % 20)) for number in range(count)])
    first = client.get(URL)  # fills the summary's cache and the page's
    # Between two changes the page is the cached body: no query at all.
    with django_assert_num_queries(0):
        response = client.get(URL)
    assert response.status_code == 200
    assert without_token(response) == without_token(first)
    # Once the public pages' version moves, the page is rendered again: 1. the campaign with the
    # books' version (chain head, last payment id: two subqueries), 2. its funds, 3. one page of
    # lines (51 rows at most) with names where they may be shown and receipt numbers. The sums
    # come from their own cache: no sum over the payments.
    public_pages_changed()
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert response.status_code == 200
    # A new payment changes the version: the next page sums again, and counts it.
    pay(pledge, 777_777, day=today, method=Payment.Method.CASH)
    assert f"<dd>{count + 1}</dd>" in client.get(URL).content.decode()


def test_while_one_request_computes_the_others_get_the_previous_summary(client, campaign, monkeypatch):
    from donations import statement

    pledge = factories.pledge_make(campaign, amount=5_000_000_000, name="Công ty Bình Minh")
    pay_many(pledge, [(1_000 + number, timezone.localdate()) for number in range(3)])
    assert "<dd>3</dd>" in client.get(URL).content.decode()
    pay(pledge, 777_777, method=Payment.Method.CASH)
    # Another request holds the right to compute the new summary: this one is served the last.
    monkeypatch.setattr(statement.cache, "add", lambda *args, **kwargs: False)
    page = client.get(URL).content.decode()
    assert "<dd>3</dd>" in page and "777.777\u00a0₫" in page  # the lines are always live
    monkeypatch.undo()
    assert "<dd>4</dd>" in client.get(URL).content.decode()


def test_without_the_cache_the_statement_is_computed_not_an_error(client, campaign, monkeypatch):
    from donations import statement

    class DownCache:
        def __getattr__(self, name):
            def refuse(*args, **kwargs):
                raise ConnectionError("redis is down")
            return refuse

    pledge = factories.pledge_make(campaign, amount=5_000_000_000, name="Công ty Bình Minh")
    pay(pledge, 2_345_000, method=Payment.Method.CASH)
    monkeypatch.setattr(statement, "cache", DownCache())
    response = client.get(URL)
    assert response.status_code == 200 and "2.345.000\u00a0₫" in text(response)


# --- downloads ---------------------------------------------------------------------------------

def test_the_csv_holds_every_line_day_totals_and_balances(client, hundred):
    response = client.get(URL + "?download=csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sao-ke-tet-khuyen-hoc-2026.csv"' in response["Content-Disposition"]
    rows = csv_rows(response.getvalue())
    assert rows[0] == ["Mục", "Ngày", "Diễn giải", "Số phiếu thu", "Số tiền thu", "Số tiền chi", "Số suất học bổng", "Số dư"]
    lines = [row for row in rows if row[0] == "Khoản thu"]
    assert len(lines) == 120 and all(row[2] == "Công ty Bình Minh" for row in lines)
    day_totals = [int(row[4]) for row in rows if row[0] == "Tổng thu trong ngày"]
    assert len(day_totals) == 3 and sum(day_totals) == sum(int(row[4]) for row in lines)
    assert [row[0] for row in rows if "Số dư" in row[0]] == ["Số dư đầu kỳ"] * 4 + ["Số dư cuối kỳ"] * 4
    # A search narrows the file the same way as the page.
    rows = csv_rows(client.get(URL + "?amount=1.005.000&download=csv").getvalue())
    assert [row[4] for row in rows if row[0] == "Khoản thu"] == ["1005000"]


def test_the_pdf_reads_back_with_vietnamese_diacritics(client, hundred, tmp_path, artifacts_dir):
    pdftotext = require_executable("pdftotext")
    response = client.get(URL + "?download=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.getvalue()  # a streamed file: read once
    pdf = tmp_path / "sao-ke.pdf"
    pdf.write_bytes(data)
    (artifacts_dir / "statement.pdf").write_bytes(data)
    content = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Sao kê thu chi – Tết khuyến học Xuân Bính Ngọ 2026" in content
    # Long cells wrap inside their column: check words that fit on one line of a cell.
    assert "Số dư đầu kỳ" in content and "Số dư cuối kỳ" in content and "học tỉnh Thanh Hóa" in content
    assert "Tổng thu trong" in content and "PT-2026-000005" in content
    assert "Công ty Bình Minh" in content and "1.005.000" in content


def test_a_pdf_too_long_is_refused_with_a_message(client, hundred, monkeypatch):
    monkeypatch.setattr("public.statement_views.PDF_MAX_LINES", 100)
    response = client.get(URL + "?download=pdf")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "quá dài cho một tệp PDF" in text(response)
    assert client.get(URL + "?download=pdf&amount=1.005.000")["Content-Type"] == "application/pdf"


# --- the unit's year -----------------------------------------------------------------------------

def test_the_unit_yearly_statement_covers_every_fund_of_the_unit(client, campaign, unit, funds):
    pledge = factories.pledge_make(campaign, amount=10_000_000, name="Trần Thị Hoa", fund=funds[2])
    payment = pay(pledge, 2_500_000, bank_reference="FT26049999ZZ")
    year = payment.received_on.year
    response = client.get(f"/u/{unit.code}/statement/{year}/")
    assert response.status_code == 200
    page = text(response)
    assert "Trần Thị Hoa" in page and "2.500.000\u00a0₫" in page
    assert all(fund.name in page for fund in funds)
    assert client.get(f"/u/{unit.code}/statement/{year + 1}/").status_code == 404  # not yet
    assert client.get(f"/u/NOPE/statement/{year}/").status_code == 404
    assert client.get(f"/u/{unit.code}/statement/{year - 1}/").status_code == 200


def test_the_campaign_page_links_to_its_statement(client, campaign):
    assert 'href="/c/tet-khuyen-hoc-2026/statement/"' in client.get("/c/tet-khuyen-hoc-2026/").content.decode()


def test_the_statement_in_english(client, hundred):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(client.get(URL))
    assert "Money received by day" in page and "Fund balances" in page

"""The ledger admin: fund balances in one query, a journal nobody can edit, rows scoped to units."""

import datetime
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fundmgr.ledger import accounts
from fundmgr.ledger.commitments import register_commitment_source, unregister_commitment_source
from fundmgr.ledger.models import JournalEntry, JournalLine
from fundmgr.ledger.services import Line, endowment_principal_record, entry_post, interest_record
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 7, 1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.org", "mật-khẩu-thử-1")


@pytest.fixture
def treasurer(commune):
    user = get_user_model().objects.create_user("thuquy", password="mật-khẩu-thử-1")
    membership_grant(user=user, unit=commune, role=Membership.Role.TREASURER)
    return user


def donate(unit, fund, amount):
    return entry_post(
        unit=unit, date=DAY, memo=f"Ủng hộ {fund.code}",
        lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
    )


def funds_with_money(make_fund, province, count):
    for number in range(count):
        fund = make_fund(f"Q{number:03d}", is_endowment=number == 0)
        donate(province, fund, 1_000_000 * (number + 1))
    endowment = fund.__class__.objects.get(code="Q000")
    endowment_principal_record(fund=endowment, amount=50_000_000, date=DAY, memo="Vốn gốc", unit=province)
    interest_record(fund=endowment, amount=2_000_000, date=DAY, memo="Lãi", unit=province)


@pytest.mark.parametrize("count", [3, 30])
def test_fund_list_costs_the_same_for_3_and_30_funds(client, superuser, make_fund, province, count,
                                                     django_assert_num_queries):
    funds_with_money(make_fund, province, count)
    client.force_login(superuser)
    url = reverse("admin:ledger_fund_changelist")
    # 6 queries, whatever the number of funds:
    #   1 the session, 2 the user, 3 COUNT(*) for the paginator, 4 COUNT(*) for the unfiltered
    #   total, 5 the page of funds with their unit, balance and principal (correlated subqueries).
    #   6 the commitments of the one registered source, the scholarships app's approved and
    #   unpaid awards (each source adds one query per page).
    with django_assert_num_queries(6) as captured:
        response = client.get(url)
    assert response.status_code == 200
    fund_queries = [query["sql"] for query in captured.captured_queries if 'FROM "ledger_fund"' in query["sql"]]
    assert len(fund_queries) == 3  # two counts and the page itself
    page = response.content.decode()
    assert "3.000.000\u00a0₫" in page  # Q002's balance and available
    assert "53.000.000\u00a0₫" in page  # the endowment Q000: 1.000.000 donated + 50.000.000 principal + 2.000.000 interest


def test_available_column_subtracts_principal_and_commitments(client, superuser, make_fund, province):
    funds_with_money(make_fund, province, 3)

    def approved_awards(fund_ids):
        return {fund_ids[0]: 400_000}

    register_commitment_source(approved_awards)
    try:
        client.force_login(superuser)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("admin:ledger_fund_changelist"))
    finally:
        unregister_commitment_source(approved_awards)
    rows = response.context["cl"].result_list
    by_code = {fund.code: (fund.balance, fund.principal, fund.commitments, fund.available) for fund in rows}
    # Q000 is the endowment: 1.000.000 donated + 50.000.000 principal + 2.000.000 interest.
    assert by_code == {
        "Q000": (53_000_000, 50_000_000, 400_000, 2_600_000),
        "Q001": (2_000_000, 0, 0, 2_000_000),
        "Q002": (3_000_000, 0, 0, 3_000_000),
    }
    assert len(captured) == 6  # the list's six; this test's own source asks the database nothing


def test_journal_is_read_only_even_for_a_superuser(client, superuser, make_fund, province):
    entry = donate(province, make_fund("QKH-TH"), 1_000_000)
    client.force_login(superuser)
    assert client.get(reverse("admin:ledger_journalentry_add")).status_code == 403
    assert client.get(reverse("admin:ledger_journalline_add")).status_code == 403
    assert client.post(reverse("admin:ledger_journalentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    change = client.post(reverse("admin:ledger_journalentry_change", args=[entry.pk]), {"memo": "sửa"})
    assert change.status_code == 403
    page = client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert "Ủng hộ QKH-TH" in content and "1000000" in content.replace(".", "").replace(",", "")
    assert JournalEntry.objects.get().memo == "Ủng hộ QKH-TH"
    assert JournalLine.objects.count() == 2


def test_lists_and_filters(client, superuser, make_fund, province):
    general = make_fund("QKH-TH")
    other = make_fund("QHB-NCUM")
    donate(province, general, 1_000_000)
    donate(province, other, 2_000_000)
    client.force_login(superuser)
    entries = client.get(reverse("admin:ledger_journalentry_changelist"), {"fund": str(general.pk)})
    assert [entry.memo for entry in entries.context["cl"].result_list] == ["Ủng hộ QKH-TH"]
    entries = client.get(reverse("admin:ledger_journalentry_changelist"), {"account": "112", "unit": str(province.pk)})
    assert entries.context["cl"].result_count == 2
    lines = client.get(reverse("admin:ledger_journalline_changelist"), {"fund": str(other.pk)})
    assert [(line.account.code, line.debit, line.credit) for line in lines.context["cl"].result_list] == [
        ("112", 2_000_000, 0), ("511", 0, 2_000_000),
    ]
    assert client.get(reverse("admin:ledger_ledgerverification_changelist")).status_code == 200


def test_a_treasurer_sees_only_the_ledger_of_their_unit(client, treasurer, commune, province, make_fund):
    commune_fund = make_fund("QKH-HT", unit=commune)
    province_fund = make_fund("QKH-TH")
    mine = donate(commune, commune_fund, 1_000_000)
    donate(province, province_fund, 5_000_000)
    client.force_login(treasurer)
    entries = client.get(reverse("admin:ledger_journalentry_changelist"))
    assert [entry.pk for entry in entries.context["cl"].result_list] == [mine.pk]
    lines = client.get(reverse("admin:ledger_journalline_changelist"))
    assert {line.entry_id for line in lines.context["cl"].result_list} == {mine.pk}
    funds = client.get(reverse("admin:ledger_fund_changelist"))
    assert [fund.code for fund in funds.context["cl"].result_list] == ["QKH-HT"]
    assert client.get(reverse("admin:ledger_journalentry_change", args=[mine.pk])).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_journal_line_list_costs_the_same_for_3_and_30_entries(client, superuser, make_fund, province, count,
                                                               django_assert_num_queries):
    fund = make_fund("QHB-NCUM", "Quỹ học bổng Nâng cánh ước mơ")
    for number in range(count):
        donate(province, fund, 1_250_000_000 + number)
    client.force_login(superuser)
    # 9 queries, whatever the number of lines:
    #   1 the session, 2 the user, 3 the funds of the fund filter, 4 the accounts of the account
    #   filter, 5 the units of the unit filter, 6 the source types of the source filter,
    #   7 COUNT(*) for the paginator, 8 COUNT(*) for the unfiltered total, 9 the page of lines
    #   joined with their entry, account and fund (memo, codes and names come from that row).
    with django_assert_num_queries(9):
        response = client.get(reverse("admin:ledger_journalline_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<td class="field-debit_display">1.250.000.000\u00a0₫</td>' in page
    assert '<td class="field-credit_display">1.250.000.000\u00a0₫</td>' in page
    assert '<td class="field-debit_display">–</td>' in page  # the side of a line without an amount
    assert '<span title="Quỹ học bổng Nâng cánh ước mơ">QHB-NCUM</span>' in page
    assert 'href="/static/ledger/admin.css"' in page  # right-aligned amounts


def test_entry_page_shows_its_lines_amounts_formatted(client, superuser, make_fund, province):
    entry = donate(province, make_fund("QKH-TH"), 1_250_000_000)
    client.force_login(superuser)
    page = client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk])).content.decode()
    assert page.count("1.250.000.000\u00a0₫") == 2  # the bank's debit and the income's credit


def test_a_funds_page_shows_its_money_in_and_out_by_month(client, make_fund, province, django_user_model):
    auditor = django_user_model.objects.create_user("kiemtra", password="mật-khẩu-thử-1", is_staff=True)
    membership_grant(user=auditor, unit=province, role=Membership.Role.AUDITOR)
    fund = make_fund("QKH-TH", 'Quỹ <Khuyến học> "tỉnh"')
    today = timezone.localdate()
    entry_post(
        unit=province, date=today, memo="Ủng hộ",
        lines=[Line(accounts.BANK, fund, debit=1_500_000_000), Line(accounts.DONATION_INCOME, fund, credit=1_500_000_000)],
    )
    client.force_login(auditor)
    response = client.get(reverse("admin:ledger_fund_change", args=[fund.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    svg = re.search(r'<svg class="chart".*?</svg>', page, re.S).group(0)
    assert 'aria-labelledby="fund-chart-title"' in svg
    assert "Tiền vào và tiền ra của quỹ Quỹ &lt;Khuyến học&gt; &quot;tỉnh&quot; theo tháng" in svg
    assert svg.count('class="chart-bar chart-bar--in"') == svg.count('class="chart-bar chart-bar--out"') == 13
    month = f"{today.month}/{today:%y}"
    assert f"<title>Tiền vào {month}: 1.500.000.000\u00a0₫</title>" in html.unescape(svg)
    assert ">2 tỷ</text>" in svg  # the axis tops out at a round 2 billion
    assert 'href="/static/css/charts.css"' in page
    # No chart on the page that creates a fund (superuser: the auditor may not add one).
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "mật-khẩu-thử-1"))
    assert '<svg class="chart"' not in client.get(reverse("admin:ledger_fund_add")).content.decode()

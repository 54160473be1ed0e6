"""The admin's home for each role: what needs doing (each count links to its rows), the running
campaigns against their goals, fund balances and the last check; a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.models import BankStatementImport, PledgeInstallment
from donations.services.bank_statement import statement_import
from fundmgr.core.money import format_vnd
from fundmgr.orgs.models import Membership
from tests.campaigns import factories
from tests.receipts.conftest import chart_install

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")


@pytest.fixture
def world(db):
    chart_install()
    unit = factories.province_make()
    funds = factories.funds_make(unit)
    campaign = factories.campaign_make(unit=unit, funds=funds, goal=1_000_000_000)
    return unit, funds, campaign


def member(django_user_model, unit, role, name):
    user = django_user_model.objects.create_user(username=name, password="x" * 12, is_staff=True)
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


def panels(response):
    return {panel.key: panel for panel in response.context["home_panels"]}


def items(panel):
    return {item.label: (item.count, item.url) for item in panel.items}


def add_activity(unit, campaign, *, lines, pledges, number=0):
    """Pledges (some overdue), a statement whose lines wait, a failed import."""
    made = [factories.pledge_make(campaign, amount=2_000_000, name=f"Nhà hảo tâm {number}-{n}") for n in range(pledges)]
    PledgeInstallment.objects.filter(pledge=made[0]).update(due_on=timezone.localdate() - datetime.timedelta(days=5))
    content = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n" + "".join(
        f'"{DAY}","{10_000 + n}","chuyen tien","FT{number}-{n}","X"\n' for n in range(lines))
    statement_import(unit=unit, file_name="a.csv", content=content.encode())
    BankStatementImport.objects.create(unit=unit, file_name="hong.csv", file_sha256="0" * 64, status="failed",
                                       last_error="Không nhận ra mẫu sao kê")
    return made


def test_the_treasurers_home_lists_what_needs_doing_the_campaign_and_the_funds(client, django_user_model, world):
    unit, funds, campaign = world
    treasurer = member(django_user_model, unit, Membership.Role.TREASURER, "thuquy")
    add_activity(unit, campaign, lines=3, pledges=2)

    response = home(client, treasurer)
    shown = panels(response)
    todo = items(shown["todo"])
    assert todo["dòng sao kê chờ đối soát"] == (3, "/admin/donations/bankstatementline/?status__exact=unmatched")
    assert todo["cam kết quá hạn"] == (1, "/admin/donations/pledge/?overdue=yes")
    assert todo["Việc chạy nền bị lỗi: nhập sao kê ngân hàng"] == (1, "/admin/donations/bankstatementimport/?status__exact=failed")
    assert todo["suất học bổng đã duyệt chưa chi"][0] == 0
    assert shown["campaigns"].rows == [[campaign.name, format_vnd(0), format_vnd(1_000_000_000), "0 %"]]
    assert [row[0] for row in shown["funds"].rows] == sorted(
        (fund.name for fund in funds), key=lambda name: [f.code for f in funds if f.name == name][0])
    assert "nominations" not in shown
    page = response.content.decode()
    assert 'id="home-campaign-0-title"' in page and 'id="home-funds-title"' in page and "<svg" in page
    # Each link opens the rows it counts.
    client.force_login(treasurer)
    listed = client.get(todo["dòng sao kê chờ đối soát"][1])
    assert listed.status_code == 200 and listed.context["cl"].result_count == 3
    listed = client.get(todo["cam kết quá hạn"][1])
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    listed = client.get(todo["Việc chạy nền bị lỗi: nhập sao kê ngân hàng"][1])
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1


def test_each_role_sees_its_own_sections(client, django_user_model, world):
    unit, _funds, campaign = world
    add_activity(unit, campaign, lines=1, pledges=1)
    auditor = member(django_user_model, unit, Membership.Role.AUDITOR, "kiemtoan")
    nominator = member(django_user_model, unit, Membership.Role.NOMINATOR, "decu")
    committee = member(django_user_model, unit, Membership.Role.COMMITTEE, "hoidong")

    shown = panels(home(client, auditor))
    assert {"funds", "checks"} <= set(shown) and "campaigns" not in shown
    assert "dòng sao kê chờ đối soát" not in items(shown.get("todo", shown["checks"]))
    assert "Sổ chưa được kiểm tra lần nào" in shown["checks"].note

    shown = panels(home(client, nominator))
    assert set(shown) == {"nominations"}
    assert [item.count for item in shown["nominations"].items] == [0, 0, 0]

    shown = panels(home(client, committee))
    assert "funds" not in shown and "campaigns" not in shown
    assert items(shown["todo"])["suất học bổng chờ hội đồng duyệt"] == (0, "/admin/scholarships/award/?status__exact=proposed")


def test_a_stranger_counts_nothing_of_another_unit(client, django_user_model, world):
    unit, _funds, campaign = world
    add_activity(unit, campaign, lines=2, pledges=1)
    other = factories.province_make(code="NA", name="Hội Khuyến học tỉnh Nghệ An")
    stranger = member(django_user_model, other, Membership.Role.TREASURER, "nguoila")
    shown = panels(home(client, stranger))
    assert items(shown["todo"])["dòng sao kê chờ đối soát"][0] == 0
    assert "Việc chạy nền bị lỗi: nhập sao kê ngân hàng" not in items(shown["todo"])
    assert items(shown["todo"])["việc chạy nền bị lỗi"] == (0, "")
    assert shown["campaigns"].rows == [] and shown["funds"].rows == []


def test_the_home_runs_a_fixed_number_of_queries_whatever_the_rows(client, django_user_model, world):
    unit, funds, campaign = world
    treasurer = member(django_user_model, unit, Membership.Role.TREASURER, "thuquy")
    client.force_login(treasurer)
    add_activity(unit, campaign, lines=1, pledges=1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:index"))

    second = factories.campaign_make(unit=unit, funds=funds, slug="tet-2", prefix="TKH27", name="Tết 2027")
    add_activity(unit, second, lines=40, pledges=6, number=1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("admin:index"))
    assert len(panels(response)["campaigns"].rows) == 2
    # Session and user, the memberships behind each capability and scope, one COUNT per to-do item
    # and per kind of job, one list of campaigns, one of funds with one query per commitment
    # source, the last check, the app list: the same however many rows there are.
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 25, len(many.captured_queries)  # 18 when written

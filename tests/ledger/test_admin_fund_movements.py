"""The fund admin's screens for money that moves without a donor: a transfer between two funds,
interest earned, an endowment's principal. Typed as a treasurer types (`5 triệu`, `06/12/2026`),
posted by the services, once however often the form is sent, only in the treasurer's units."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.ledger.selectors import account_balances, fund_balances
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/ledger/fund/"


@pytest.fixture
def treasurer(province):
    user = get_user_model().objects.create_user("thuquy", is_staff=True)  # force_login: no password
    membership_grant(user=user, unit=province, role=Membership.Role.TREASURER)
    return user


@pytest.fixture
def general(make_fund, province):
    fund = make_fund("QKH", "Quỹ Khuyến học tỉnh")
    entry_post(unit=province, date=datetime.date(2026, 1, 5), memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, fund, debit=20_000_000), Line(accounts.DONATION_INCOME, fund, credit=20_000_000),
    ])
    return fund


def act(client, action, fund, **data):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [fund.pk], **data}, follow=True)


def test_a_transfer_typed_the_vietnamese_way_moves_the_money_once(client, treasurer, general, make_fund):
    poor = make_fund("NGHEO", "Quỹ học sinh nghèo")
    client.force_login(treasurer)
    form = act(client, "transfer_action", general)
    assert "Chuyển tiền giữa hai quỹ" in form.content.decode()
    key = form.context["form"].initial["idempotency_key"]
    data = {"apply": "1", "to_fund": poor.pk, "amount": "5 triệu", "date": "06/12/2026",
            "memo": "Bổ sung quỹ học sinh nghèo", "idempotency_key": key}

    done = act(client, "transfer_action", general, **data)
    act(client, "transfer_action", general, **data)  # the same form sent again

    assert "Đã chuyển 5.000.000\u00a0₫" in done.content.decode()
    [entry] = JournalEntry.objects.filter(memo="Bổ sung quỹ học sinh nghèo")
    assert entry.date == datetime.date(2026, 12, 6) and entry.created_by == treasurer
    assert fund_balances() == {general.pk: 15_000_000, poor.pk: 5_000_000}
    assert account_balances(funds=[general, poor])[accounts.FUND_TRANSFERS] == 0


def test_more_than_the_fund_has_is_refused_on_the_form_and_nothing_is_posted(client, treasurer, general, make_fund):
    poor = make_fund("NGHEO")
    client.force_login(treasurer)
    page = act(client, "transfer_action", general, apply="1", to_fund=poor.pk, amount="25.000.000",
               date="06/12/2026", memo="Quá số dư")
    assert page.status_code == 200 and page.context["form"].errors
    assert not JournalEntry.objects.filter(memo="Quá số dư").exists()


def test_interest_and_an_endowments_principal(client, treasurer, make_fund):
    endowment = make_fund("BTV", "Quỹ bảo toàn vốn", is_endowment=True)
    client.force_login(treasurer)
    act(client, "principal_action", endowment, apply="1", amount="100.000.000", date="01/12/2026", memo="Vốn gốc")
    act(client, "interest_action", endowment, apply="1", amount="500k", date="05/12/2026", memo="Lãi tháng 11")

    balances = account_balances(funds=[endowment])
    assert balances[accounts.ENDOWMENT_PRINCIPAL] == -100_000_000
    assert balances[accounts.INTEREST_INCOME] == -500_000
    assert fund_balances() == {endowment.pk: 100_500_000}


def test_principal_is_refused_for_a_fund_that_is_not_an_endowment(client, treasurer, general):
    client.force_login(treasurer)
    page = act(client, "principal_action", general, apply="1", amount="1.000.000", date="01/12/2026", memo="Nhầm")
    assert "không phải quỹ bảo toàn vốn gốc" in page.content.decode()
    assert not JournalEntry.objects.filter(memo="Nhầm").exists()


def test_a_treasurer_of_a_commune_cannot_move_the_provinces_money(client, commune, general):
    user = get_user_model().objects.create_user("xa", is_staff=True)
    membership_grant(user=user, unit=commune, role=Membership.Role.TREASURER)
    client.force_login(user)
    before = JournalEntry.objects.count()
    act(client, "interest_action", general, apply="1", amount="1.000.000", date="01/12/2026", memo="Không được")
    assert JournalEntry.objects.count() == before
    assert Fund.objects.get(pk=general.pk)

"""Funds, the journal and transfers in the API: balances from the lines, scoped reads, a transfer
through `fund_transfer` (idempotent by key), fixed query counts."""

import datetime

import pytest
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.idempotency.models import IdempotencyKey
from fundmgr.ledger import services as ledger_services
from fundmgr.ledger.models import Fund, JournalEntry

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, client_for, fresh, pledges_paid

pytestmark = pytest.mark.django_db

FUNDS = "/api/v1/funds/"
ENTRIES = "/api/v1/journal-entries/"
TRANSFERS = "/api/v1/transfers/"


def transfer_body(**changes):
    body = {"from_fund": "QKH-TH", "to_fund": "NCUM", "amount": 300_000, "date": DAY.isoformat(),
            "memo": "Điều chuyển cho quỹ học bổng"}
    return {**body, **changes}


# --- funds --------------------------------------------------------------------------------------
def test_funds_show_balance_and_available_of_the_users_units_only(api, campaign, second_fund, other_campaign):
    pledges_paid(campaign, 2, paid=1_500_000)
    pledges_paid(other_campaign, 1, paid=9_000_000, start=10)
    rows = {row["code"]: row for row in api.get(FUNDS).json()["results"]}
    assert set(rows) == {"QKH-TH", "NCUM"}  # not Nghệ An's fund
    assert (rows["QKH-TH"]["balance"], rows["QKH-TH"]["available"], rows["QKH-TH"]["commitments"]) == (
        3_000_000, 3_000_000, 0
    )
    assert rows["QKH-TH"]["balance_display"] == "3.000.000\u00a0₫"
    assert (rows["NCUM"]["balance"], rows["NCUM"]["available"]) == (0, 0)
    detail = api.get(f"{FUNDS}QKH-TH/").json()
    assert (detail["balance"], detail["available"], detail["unit"]) == (3_000_000, 3_000_000, "TH")
    assert api.get(f"{FUNDS}QKH-NA/").status_code == 404


def test_fund_filters_and_ordering(api, campaign, second_fund):
    pledges_paid(campaign, 1, paid=2_000_000)
    assert [r["code"] for r in api.get(FUNDS, {"q": "nang canh"}).json()["results"]] == ["NCUM"]
    assert [r["code"] for r in api.get(FUNDS, {"q": "Thanh Hoá"}).json()["results"]] == ["QKH-TH"]
    assert [r["code"] for r in api.get(FUNDS, {"ordering": "-balance"}).json()["results"]] == ["QKH-TH", "NCUM"]
    assert [r["code"] for r in api.get(FUNDS, {"ordering": "balance"}).json()["results"]] == ["NCUM", "QKH-TH"]
    assert [r["code"] for r in api.get(FUNDS, {"unit": "NA"}).json()["results"]] == []
    assert [r["code"] for r in api.get(FUNDS, {"balance_min": 1}).json()["results"]] == ["QKH-TH"]
    assert [r["code"] for r in api.get(FUNDS, {"balance_max": 0}).json()["results"]] == ["NCUM"]


def test_anonymous_reads_no_fund_and_no_entry(fund):
    assert client_for().get(FUNDS).status_code in (401, 403)
    assert client_for().get(ENTRIES).status_code in (401, 403)


def _funds(unit, start, count):
    Fund.objects.bulk_create(Fund(code=f"Q{index}", name=f"Quỹ {index}", unit=unit) for index in range(start, start + count))


# Memberships, the count, the page (balances as subqueries), the restricted units (one prefetch),
# and one query per registered commitment source (the scholarships' approved unpaid awards).
def test_the_fund_list_runs_the_same_queries_for_5_and_50_funds(api, treasurer, unit, django_assert_num_queries):
    from fundmgr.ledger.commitments import _sources

    queries = 4 + len(_sources)
    _funds(unit, 0, 5)
    with django_assert_num_queries(queries):
        small = api.get(FUNDS, {"limit": 100})
    _funds(unit, 5, 45)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        large = api.get(FUNDS, {"limit": 100})
    assert (small.json()["count"], large.json()["count"]) == (5, 50)


# --- journal entries ----------------------------------------------------------------------------
def test_journal_entries_with_their_lines_scoped_and_filtered(api, campaign, other_campaign):
    pledges_paid(campaign, 2, paid=1_000_000)
    pledges_paid(other_campaign, 1, paid=9_000_000, start=10)
    body = api.get(ENTRIES).json()
    assert set(body) == {"next", "previous", "results"}  # a cursor page: no count
    entries = body["results"]
    assert len(entries) == 2 and {entry["unit"] for entry in entries} == {"TH"}
    first = entries[0]
    assert first["source"].startswith("donations.payment:") and first["total"] == 1_000_000
    assert [(line["account"], line["fund"], line["debit"], line["credit"]) for line in first["lines"]] == [
        ("112", "QKH-TH", 1_000_000, 0), ("511", "QKH-TH", 0, 1_000_000)
    ]
    assert len(api.get(ENTRIES, {"fund": "QKH-TH"}).json()["results"]) == 2
    assert api.get(ENTRIES, {"fund": "QKH-NA"}).json()["results"] == []
    assert len(api.get(ENTRIES, {"source": "donations.payment"}).json()["results"]) == 2
    assert api.get(ENTRIES, {"source": first["source"]}).json()["results"][0]["id"] == first["id"]
    assert api.get(ENTRIES, {"source": "nothing.here"}).json()["results"] == []
    assert len(api.get(ENTRIES, {"date_after": DAY.isoformat(), "date_before": DAY.isoformat()}).json()["results"]) == 2
    assert api.get(ENTRIES, {"date_after": (DAY + datetime.timedelta(days=1)).isoformat()}).json()["results"] == []
    other_entry = JournalEntry.objects.get(unit__code="NA")
    assert api.get(f"{ENTRIES}{other_entry.pk}/").status_code == 404


def test_the_journal_pages_by_cursor_with_a_capped_page_size(api, campaign):
    pledges_paid(campaign, 5, paid=100_000)
    first = api.get(ENTRIES, {"limit": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    ids = [e["id"] for page in (first, second, third) for e in page["results"]]
    assert ids == sorted(JournalEntry.objects.values_list("pk", flat=True), reverse=True)
    assert third["next"] is None
    assert len(api.get(ENTRIES, {"limit": "10000000000000000000"}).json()["results"]) == 5  # cut to the cap
    assert api.get(ENTRIES, {"limit": "-1"}).status_code == 400
    assert api.get(ENTRIES, {"cursor": "not-a-cursor"}).status_code == 400


def test_the_journal_is_read_only(api, campaign):
    pledges_paid(campaign, 1)
    entry = JournalEntry.objects.get()
    assert api.post(ENTRIES, {}, format="json").status_code == 405
    assert api.delete(f"{ENTRIES}{entry.pk}/").status_code == 405
    assert api.patch(f"{ENTRIES}{entry.pk}/", {"memo": "x"}, format="json").status_code == 405


# Memberships, the page of entries (unit, source type and author joined), their lines (one prefetch,
# account and fund joined); a cursor page has no count.
def test_the_journal_runs_the_same_queries_for_5_and_50_entries(api, treasurer, campaign, django_assert_num_queries):
    pledges_paid(campaign, 5, paid=100_000)
    with django_assert_num_queries(3):
        small = api.get(ENTRIES, {"limit": 100})
    pledges_paid(campaign, 45, start=5, paid=100_000)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(3):
        large = api.get(ENTRIES, {"limit": 100})
    assert (len(small.json()["results"]), len(large.json()["results"])) == (5, 50)


# --- transfers ----------------------------------------------------------------------------------
def test_a_transfer_posts_one_balanced_entry_through_the_service(api, treasurer, campaign, second_fund):
    pledges_paid(campaign, 1, paid=1_000_000)
    response = api.post(TRANSFERS, transfer_body(), format="json")
    assert response.status_code == 201, response.json()
    entry = JournalEntry.objects.get(pk=response.json()["id"])
    assert (entry.created_by, entry.memo, entry.unit.code) == (treasurer, "Điều chuyển cho quỹ học bổng", "TH")
    assert sorted((line["account"], line["fund"], line["debit"], line["credit"]) for line in response.json()["lines"]) == [
        ("112", "NCUM", 300_000, 0), ("112", "QKH-TH", 0, 300_000),
        ("336", "NCUM", 0, 300_000), ("336", "QKH-TH", 300_000, 0),
    ]
    balances = {row["code"]: row["balance"] for row in api.get(FUNDS).json()["results"]}
    assert balances == {"QKH-TH": 700_000, "NCUM": 300_000}
    assert AuditEvent.objects.filter(object_id=str(entry.pk), action=AuditEvent.Action.CREATE).exists()


def test_a_repeated_idempotency_key_returns_the_first_entry_and_creates_nothing(api, campaign, second_fund):
    pledges_paid(campaign, 1, paid=1_000_000)
    first = api.post(TRANSFERS, transfer_body(), format="json", HTTP_IDEMPOTENCY_KEY="chuyen-1")
    entries = JournalEntry.objects.count()
    again = api.post(TRANSFERS, transfer_body(), format="json", HTTP_IDEMPOTENCY_KEY="chuyen-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert JournalEntry.objects.count() == entries
    other_body = api.post(TRANSFERS, transfer_body(amount=400_000), format="json", HTTP_IDEMPOTENCY_KEY="chuyen-1")
    assert other_body.status_code == 422
    assert "idempotency_key" in str(other_body.json())  # the field at fault, whatever the error envelope
    assert JournalEntry.objects.count() == entries
    assert IdempotencyKey.objects.filter(key="chuyen-1").count() == 1


def test_a_transfer_the_fund_cannot_cover_is_a_400_and_writes_nothing(api, campaign, second_fund):
    pledges_paid(campaign, 1, paid=100_000)
    entries = JournalEntry.objects.count()
    response = api.post(TRANSFERS, transfer_body(amount=5_000_000), format="json")
    assert response.status_code == 400
    assert "không đủ tiền khả dụng" in str(response.json())
    assert JournalEntry.objects.count() == entries


def test_transfers_touching_another_unit_are_refused_with_403(api, campaign, second_fund, other_fund, stranger):
    pledges_paid(campaign, 1, paid=1_000_000)
    entries = JournalEntry.objects.count()
    assert api.post(TRANSFERS, transfer_body(to_fund="QKH-NA"), format="json").status_code == 403
    assert api.post(TRANSFERS, transfer_body(unit="NA"), format="json").status_code == 403
    assert client_for(stranger).post(TRANSFERS, transfer_body(), format="json").status_code == 403
    assert JournalEntry.objects.count() == entries


def test_auditors_and_anonymous_callers_cannot_transfer(auditor, campaign, second_fund):
    pledges_paid(campaign, 1, paid=1_000_000)
    entries = JournalEntry.objects.count()
    assert client_for(auditor).post(TRANSFERS, transfer_body(), format="json").status_code == 403
    assert client_for().post(TRANSFERS, transfer_body(), format="json").status_code in (401, 403)
    assert JournalEntry.objects.count() == entries


def test_unknown_funds_are_named_in_the_400(api, fund):
    response = api.post(TRANSFERS, transfer_body(from_fund="KHONG", to_fund="CO"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"from_fund": ["Không tìm thấy quỹ."], "to_fund": ["Không tìm thấy quỹ."]}


def test_the_service_reports_replays(campaign, second_fund, fund, unit):
    pledges_paid(campaign, 1, paid=1_000_000)
    arguments = dict(from_fund=fund, to_fund=second_fund, amount=1_000, date=timezone.localdate(), memo="m", unit=unit,
                     idempotency_key="k")
    assert ledger_services.fund_transfer(**arguments).replayed is False
    assert ledger_services.fund_transfer(**arguments).replayed is True


def test_refusals_speak_the_requests_language(api, fund):
    response = api.post(TRANSFERS, transfer_body(to_fund="CO"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["errors"] == {"to_fund": ["Fund not found."]}


def _walk(api, url, params, link):
    pages, response = [], api.get(url, params).json()
    pages.append([row["id"] for row in response["results"]])
    while response[link]:
        response = api.get(response[link]).json()
        pages.append([row["id"] for row in response["results"]])
    return pages, response


@pytest.mark.parametrize("ordering", ["date", "-date", "id", "-id"])
def test_the_cursor_walks_ties_forward_and_back_without_losing_or_repeating_a_row(api, campaign, ordering):
    pledges_paid(campaign, 7, paid=100_000)  # seven entries of one date: a tie on `date`
    ids = list(JournalEntry.objects.values_list("pk", flat=True).order_by("pk"))
    expected = ids if ordering in ("date", "id") else ids[::-1]
    forward, last = _walk(api, ENTRIES, {"limit": 2, "ordering": ordering}, "next")
    assert [len(page) for page in forward] == [2, 2, 2, 1]
    assert [row for page in forward for row in page] == expected
    # Back from the last page by the "previous" links: the same pages, in reverse.
    backward, first = [], last
    while first["previous"]:
        first = api.get(first["previous"]).json()
        backward.append([row["id"] for row in first["results"]])
    assert backward == forward[-2::-1]


def test_a_forged_cursor_is_a_400_not_a_500(api, campaign):
    import base64
    from urllib.parse import urlencode

    pledges_paid(campaign, 1)
    for position in ('["not-a-date", 1]', "not json", '["2026-01-01"]', '["2026-01-01", "x"]'):
        cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
        assert api.get(ENTRIES, {"cursor": cursor, "ordering": "date"}).status_code == 400, position

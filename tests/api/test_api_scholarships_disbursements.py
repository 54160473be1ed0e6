"""`/api/v1/disbursements/`: a treasurer pays an approved award through `awards.award_disburse`:
a voucher number without gaps and its journal entry (Dr scholarship expense / Cr cash per fund);
the same Idempotency-Key again returns the first voucher and writes nothing, with another body it
is a 422; a treasurer of another unit, the committee or an anonymous caller is refused and
nothing is written. The list is scoped to the units whose money the user reads, masks the
recipient for an auditor, and costs a fixed number of queries."""

import datetime

import pytest

from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalEntry
from scholarships.api.views import DisbursementViewSet
from scholarships.models import Award, Disbursement
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import grow_paid_awards, page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/disbursements/"
PAID_ON = datetime.date(2026, 11, 20)


@pytest.fixture
def approved(program, six):
    """B's award (from the poor-only fund) and D's (from the general fund), approved."""
    awards.allocation_run(program=program)
    chosen = [Award.objects.get(student=six[letter], status="proposed") for letter in "BD"]
    for award in chosen:
        awards.award_approve(award=award)
    return chosen


def body(award, **changes):
    return {"award": award.pk, "method": "cash", "paid_on": PAID_ON.isoformat(), "recipient_name": "Lò Văn Sáng", **changes}


def test_the_viewset_names_its_domain():
    assert DisbursementViewSet.api_domain == "money"


def test_paying_an_award_makes_the_voucher_and_its_journal_entry(client, people, approved, six):
    award = approved[0]
    client.force_login(people["treasurer"])
    response = client.post(URL, body(award), content_type="application/json", headers={"Idempotency-Key": "chi-1"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["number"], data["award"], data["student"], data["amount"], data["recipient_name"]) == (
        "PC-2026-000001", str(award), six["B"].code, 2_000_000, "Lò Văn Sáng",
    )
    disbursement = Disbursement.objects.get()
    assert (disbursement.created_by, disbursement.award.status) == (people["treasurer"], "paid")
    entry = JournalEntry.objects.get(pk=data["journal_entry"])
    assert entry.pk == disbursement.entry_id
    assert sorted(entry.lines.values_list("account__code", "fund__code", "debit", "credit")) == [
        (accounts.CASH, "NCUM", 0, 2_000_000), (accounts.SCHOLARSHIP_EXPENSE, "NCUM", 2_000_000, 0),
    ]

    second = client.post(URL, body(approved[1]), content_type="application/json")
    assert (second.status_code, second.json()["number"]) == (201, "PC-2026-000002")


def test_a_repeated_key_returns_the_first_voucher_and_writes_nothing(client, people, approved):
    award = approved[0]
    client.force_login(people["treasurer"])
    first = client.post(URL, body(award), content_type="application/json", headers={"Idempotency-Key": "chi-1"})
    entries = JournalEntry.objects.count()
    repeat = client.post(URL, body(award), content_type="application/json", headers={"Idempotency-Key": "chi-1"})
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    other = client.post(URL, body(approved[1]), content_type="application/json", headers={"Idempotency-Key": "chi-1"})
    assert other.status_code == 422
    assert list(other.json()["errors"]) == ["idempotency_key"]
    assert (Disbursement.objects.count(), JournalEntry.objects.count()) == (1, entries)
    assert Award.objects.get(pk=approved[1].pk).status == "approved"


def test_refusals_write_nothing(client, people, local_people, approved, program):
    award = approved[0]
    entries = JournalEntry.objects.count()
    for user in (local_people["thuquy_a"], people["committee"], people["auditor"]):  # commune A's treasurer: province money
        client.force_login(user)
        assert client.post(URL, body(award), content_type="application/json").status_code == 403, user
    client.logout()
    assert client.post(URL, body(award), content_type="application/json").status_code == 401

    client.force_login(people["treasurer"])
    proposed = Award.objects.filter(program=program, status="proposed").first()
    response = client.post(URL, body(proposed), content_type="application/json")
    assert (response.status_code, response.json()["errors"]) == (400, {"non_field_errors": ["Chỉ chi được suất học bổng đã duyệt và chưa chi."]})
    response = client.post(URL, body(award, method="bank_transfer"), content_type="application/json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["bank_reference"])
    assert client.post(URL, {**body(award), "award": 999999}, content_type="application/json").status_code == 400
    assert (Disbursement.objects.count(), JournalEntry.objects.count()) == (0, entries)


def test_the_list_is_scoped_filtered_and_masks_the_recipient_for_an_auditor(client, people, local_people, approved, units):
    for award in approved:
        awards.award_disburse(award=award, method="cash", paid_on=PAID_ON, recipient_name="Lò Văn Sáng")
    client.force_login(people["auditor"])
    rows = client.get(URL).json()["results"]
    assert [(row["number"], row["recipient_name"]) for row in rows] == [
        ("PC-2026-000002", "L.V.S."), ("PC-2026-000001", "L.V.S."),
    ]
    assert [row["number"] for row in client.get(URL, {"q": str(approved[0])}).json()["results"]] == ["PC-2026-000001"]
    assert [row["number"] for row in client.get(URL, {"q": "pc-2026-000002"}).json()["results"]] == ["PC-2026-000002"]
    assert [row["number"] for row in client.get(URL, {"ordering": "number"}).json()["results"]] == [
        "PC-2026-000001", "PC-2026-000002",
    ]
    assert client.get(URL, {"paid_after": "2026-11-21"}).json()["results"] == []
    client.force_login(people["treasurer"])
    assert {row["recipient_name"] for row in client.get(URL).json()["results"]} == {"Lò Văn Sáng"}
    client.force_login(local_people["thuquy_a"])
    assert client.get(URL).json()["results"] == []
    client.force_login(people["committee"])  # no money domain: refused
    assert client.get(URL).status_code == 403


def test_a_page_costs_the_same_for_5_and_50_vouchers(client, people, units, funds):
    grow_paid_awards(units, 5)
    client.force_login(people["auditor"])
    client.get(URL)
    few = page_queries(client, URL, 5)
    grow_paid_awards(units, 45, start=5)
    assert page_queries(client, URL, 50) == few


def test_a_reversed_voucher_says_so_and_the_award_is_paid_again_with_the_next_number(client, people, approved):
    award = approved[0]
    client.force_login(people["treasurer"])
    first = client.post(URL, body(award), content_type="application/json").json()
    awards.disbursement_reverse(
        disbursement=Disbursement.objects.get(pk=first["id"]), reason="Ngân hàng trả lại", by=people["treasurer"],
    )

    again = client.post(URL, body(award), content_type="application/json")

    assert (again.status_code, again.json()["number"]) == (201, "PC-2026-000002")
    reversed_voucher = client.get(f"{URL}{first['id']}/").json()
    assert reversed_voucher["number"] == "PC-2026-000001" and reversed_voucher["reversal_reason"] == "Ngân hàng trả lại"
    assert reversed_voucher["reversed_at"] and reversed_voucher["reversal_entry"]
    standing = client.get(URL, {"reversed": "false"}).json()["results"]
    assert [row["number"] for row in standing] == ["PC-2026-000002"]
    assert [row["number"] for row in client.get(URL, {"reversed": "true"}).json()["results"]] == ["PC-2026-000001"]

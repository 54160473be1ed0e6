"""The read-only API of scholarship programs and awards: scoped to the user's units, a fixed
number of queries, and no child's name (awards name the student by record code)."""

import datetime

import pytest

from scholarships.models import Award
from scholarships.services import awards

pytestmark = pytest.mark.django_db


def test_programs_show_their_funds_budgets_and_quotas(client, people, program):
    client.force_login(people["committee"])
    (row,) = client.get("/api/v1/scholarship-programs/").json()["results"]
    assert (row["code"], row["school_year"], row["award_amount"], row["status"]) == ("NCUM-2026", "2026-2027", 2_000_000, "open")
    assert sorted((fund["fund"], fund["budget"]) for fund in row["funds"]) == [("NCUM", 4_000_000), ("QKH", 6_000_000)]


def test_awards_carry_status_shares_and_voucher_but_no_name(client, people, program, six, funds):
    general, poor_only = funds
    awards.allocation_run(program=program)
    award = Award.objects.get(student=six["B"])
    awards.award_approve(award=award)
    awards.award_disburse(award=award, method="cash", paid_on=datetime.date(2026, 11, 20), recipient_name="Lò Văn Sáng")

    client.force_login(people["auditor"])
    data = client.get("/api/v1/awards/", {"status": "paid"}).json()
    assert [(row["student"], row["amount"], row["shares"], row["voucher"]) for row in data["results"]] == [
        (six["B"].code, 2_000_000, {"NCUM": 2_000_000}, "PC-2026-000001"),
    ]
    body = client.get("/api/v1/awards/").content.decode()
    assert "Học sinh" not in body and "Lò" not in body


def test_awards_are_scoped_to_the_programs_unit(client, people, program, six):
    awards.allocation_run(program=program)
    client.force_login(people["auditor_a"])  # an auditor of a commune: the program is the province's
    assert client.get("/api/v1/awards/").json()["results"] == []
    assert client.get("/api/v1/scholarship-programs/").json()["results"] == []
    client.force_login(people["nominator_a"])  # no role in the awards domain: refused outright
    response = client.get("/api/v1/awards/")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_the_award_list_costs_the_same_for_few_and_many(client, people, program, six, django_assert_max_num_queries):
    client.force_login(people["treasurer"])
    awards.allocation_run(program=program)
    client.get("/api/v1/awards/")
    # The session, the user, the count, the page, the shares and their funds (one prefetch each).
    with django_assert_max_num_queries(8) as five:
        assert len(client.get("/api/v1/awards/").json()["results"]) == 5
    for _ in range(3):
        awards.allocation_run(program=program)  # each run supersedes the last: 20 awards listed
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert len(client.get("/api/v1/awards/").json()["results"]) == 20

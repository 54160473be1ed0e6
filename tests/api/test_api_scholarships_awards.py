"""`/api/v1/awards/`: the committee's decisions through the award services — approve, reject with a
reason, grant an override with a reason — each recording who decided; a committee of another unit,
a treasurer or an anonymous caller is refused (403) and nothing changes; the list is scoped,
filterable, and costs a fixed number of queries."""

import pytest

from fundmgr.audit.models import AuditEvent
from scholarships.api.views import AwardViewSet
from scholarships.models import Award, Nomination
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/awards/"


def transitions(award):
    return list(
        AuditEvent.objects.filter(model_label="scholarships.award", object_id=str(award.pk), action="transition")
        .values_list("actor__username", "after")
    )


@pytest.fixture
def proposals(program, six):
    awards.allocation_run(program=program)
    return {letter: Award.objects.get(student=student, status="proposed") for letter, student in six.items() if letter != "F"}


def test_the_viewset_names_its_domain():
    assert AwardViewSet.api_domain == "awards"


def test_the_committee_approves_a_proposal(client, people, proposals):
    award = proposals["A"]
    client.force_login(people["committee"])
    response = client.post(f"{URL}{award.pk}/approve/")
    assert response.status_code == 200, response.content
    assert (response.json()["code"], response.json()["status"]) == (str(award), "approved")
    award.refresh_from_db()
    assert (award.status, award.decided_by) == ("approved", people["committee"])
    assert transitions(award) == [
        ("hoidong", {"status": "approved", "decided_by_id": people["committee"].pk, "conflict_check": "none_declared"})
    ]

    again = client.post(f"{URL}{award.pk}/approve/")
    assert again.status_code == 400
    assert again.json()["errors"] == {"non_field_errors": ["Chỉ duyệt được suất đang ở trạng thái đề xuất."]}


def test_a_rejection_needs_a_reason_and_records_it(client, people, proposals):
    award = proposals["B"]
    client.force_login(people["committee"])
    missing = client.post(f"{URL}{award.pk}/reject/", {}, content_type="application/json")
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["reason"])
    blank = client.post(f"{URL}{award.pk}/reject/", {"reason": "   "}, content_type="application/json")
    assert blank.status_code == 400
    assert Award.objects.get(pk=award.pk).status == "proposed"

    response = client.post(f"{URL}{award.pk}/reject/", {"reason": "Gia đình đã chuyển đi."}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision_reason"]) == ("rejected", "Gia đình đã chuyển đi.")
    award.refresh_from_db()
    assert (award.status, award.decided_by, award.decision_reason) == ("rejected", people["committee"], "Gia đình đã chuyển đi.")
    assert transitions(award)[0][0] == "hoidong"


def test_the_committee_grants_an_override_with_a_reason(client, people, proposals, six):
    nomination = Nomination.objects.get(student=six["F"])  # not funded by the run
    client.force_login(people["committee"])
    body = {"nomination": nomination.pk, "fund": "ncum", "reason": ""}
    assert client.post(f"{URL}grant/", body, content_type="application/json").status_code == 400
    response = client.post(f"{URL}grant/", {**body, "reason": "Hoàn cảnh đặc biệt khó khăn."}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["student"], data["status"], data["amount"], data["shares"]) == (six["F"].code, "approved", 2_000_000, {"NCUM": 2_000_000})
    award = Award.objects.get(pk=data["id"])
    assert (award.decided_by, award.decision_reason) == (people["committee"], "Hoàn cảnh đặc biệt khó khăn.")
    assert AuditEvent.objects.filter(model_label="scholarships.award", object_id=str(award.pk), action="create",
                                     actor=people["committee"]).count() == 1

    unknown = client.post(f"{URL}grant/", {**body, "fund": "KHONG-CO", "reason": "x"}, content_type="application/json")
    assert (unknown.status_code, list(unknown.json()["errors"])) == (400, ["fund"])


def test_others_cannot_decide_and_nothing_changes(client, people, local_people, proposals, six):
    award = proposals["A"]
    nomination = Nomination.objects.get(student=six["F"])
    grant = {"nomination": nomination.pk, "fund": "NCUM", "reason": "Lý do"}
    # A committee of commune A may decide, but not on the province's awards, which it cannot even
    # see (404); a treasurer and a nominator may decide nothing (403).
    for user, refused in ((local_people["hoidong_a"], 404), (people["treasurer"], 403), (people["nominator_a"], 403)):
        client.force_login(user)
        assert client.post(f"{URL}{award.pk}/approve/").status_code == refused, user
        reject = client.post(f"{URL}{award.pk}/reject/", {"reason": "Lý do"}, content_type="application/json")
        assert reject.status_code == refused, user
        assert client.post(f"{URL}grant/", grant, content_type="application/json").status_code == 403
    client.logout()
    assert client.post(f"{URL}{award.pk}/approve/").status_code == 401
    assert client.post(f"{URL}grant/", grant, content_type="application/json").status_code == 401
    client.force_login(people["committee"])
    assert client.post(f"{URL}999999/approve/").status_code == 404
    assert set(Award.objects.values_list("status", flat=True)) == {"proposed"}
    assert not AuditEvent.objects.filter(model_label="scholarships.award", action="transition").exists()


def test_the_list_is_scoped_and_filtered(client, people, local_people, proposals, program_b, six):
    awards.allocation_run(program=program_b)
    awards.award_approve(award=proposals["A"])
    client.force_login(people["treasurer"])  # reads awards in the province: both programs
    assert client.get(URL).json()["count"] == 6
    assert [row["student"] for row in client.get(URL, {"status": "approved"}).json()["results"]] == [six["A"].code]
    assert client.get(URL, {"unit": "T-B"}).json()["count"] == 1
    assert client.get(URL, {"amount_max": 1_500_000}).json()["count"] == 1
    assert [row["id"] for row in client.get(URL, {"q": str(proposals["C"])}).json()["results"]] == [proposals["C"].pk]
    assert [row["id"] for row in client.get(URL, {"q": six["D"].code}).json()["results"]] == [proposals["D"].pk]
    amounts = [row["amount"] for row in client.get(URL, {"ordering": "amount"}).json()["results"]]
    assert amounts == sorted(amounts) and amounts[0] == 1_000_000
    client.force_login(local_people["hoidong_a"])
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{proposals['A'].pk}/").status_code == 404


def test_a_page_costs_the_same_for_5_and_50_awards(client, people, program, six):
    awards.allocation_run(program=program)
    client.force_login(people["committee"])
    client.get(URL)
    few = page_queries(client, URL, 5)
    for _ in range(9):
        awards.allocation_run(program=program)  # each run supersedes the last: 50 awards listed
    assert page_queries(client, URL, 50) == few

"""`/api/v1/allocation-runs/`: the committee starts a run through `awards.allocation_run` (inline),
and reads it back with every nominee's decision and explanation, named by record code and fund
code; a committee of another unit, a treasurer or an anonymous caller is refused and nothing is
written; the list is scoped and costs a fixed number of queries."""

import pytest

from fundmgr.audit.models import AuditEvent
from fundmgr.core.money import format_vnd
from scholarships.api.views import AllocationRunViewSet
from scholarships.models import AllocationRun, Award
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/allocation-runs/"


def test_the_viewset_names_its_domain():
    assert AllocationRunViewSet.api_domain == "awards"


def test_the_committee_starts_a_run_and_reads_each_nominees_explanation(client, people, program, six):
    client.force_login(people["committee"])
    response = client.post(URL, {"program": "ncum-2026"}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    run = AllocationRun.objects.get()
    assert (data["id"], data["program"], data["funded_count"], data["funded_amount"]) == (run.pk, "NCUM-2026", 5, 10_000_000)
    assert run.created_by == people["committee"]
    assert AuditEvent.objects.filter(model_label="scholarships.allocationrun", action="create", actor=people["committee"]).count() == 1
    assert Award.objects.filter(run=run, status="proposed").count() == 5

    decisions = {decision["student"]: decision for decision in data["decisions"]}
    assert list(decisions) == [six[letter].code for letter in "ABCDEF"]
    assert decisions[six["B"].code]["shares"] == {"NCUM": 2_000_000}  # moved onto the poor-only fund
    assert decisions[six["D"].code]["shares"] == {"QKH": 2_000_000}
    assert decisions[six["B"].code]["explanation"] == f"Được cấp {format_vnd(2_000_000)} từ Quỹ học bổng Nâng cánh ước mơ."
    refused = decisions[six["F"].code]
    assert (refused["reason"], refused["rank"], refused["amount"], refused["shares"]) == (
        "budget_used_by_higher_priority", 6, 2_000_000, {},
    )
    assert refused["explanation"].startswith("Không được cấp:")
    assert "Học sinh" not in response.content.decode()  # no child's name, codes only

    assert client.get(f"{URL}{run.pk}/").json() == data


def test_others_cannot_start_a_run_and_nothing_is_written(client, people, local_people, program, six):
    body = {"program": "NCUM-2026"}
    for user in (local_people["hoidong_a"], people["treasurer"], people["auditor"]):
        client.force_login(user)
        assert client.post(URL, body, content_type="application/json").status_code == 403, user
    client.logout()
    assert client.post(URL, body, content_type="application/json").status_code == 401
    client.force_login(people["committee"])
    response = client.post(URL, {"program": "KHONG-CO"}, content_type="application/json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["program"])
    assert not AllocationRun.objects.exists() and not Award.objects.exists()


def test_a_closed_program_is_a_400(client, people, program, six):
    awards.program_close(program=program)
    client.force_login(people["committee"])
    response = client.post(URL, {"program": "NCUM-2026"}, content_type="application/json")
    assert (response.status_code, response.json()["errors"]) == (400, {"non_field_errors": ["Chương trình đã khóa."]})


def test_the_list_is_scoped_and_filtered(client, people, local_people, program, six, program_b):
    awards.allocation_run(program=program)
    run_b = awards.allocation_run(program=program_b)
    client.force_login(people["auditor"])
    rows = client.get(URL).json()["results"]
    assert [(row["program"], row["funded_count"]) for row in rows] == [("HB-B-2026", 1), ("NCUM-2026", 5)]
    assert "decisions" not in rows[0]  # a run's page has them; a list of runs may not carry thousands
    assert [row["id"] for row in client.get(URL, {"program": "HB-B-2026"}).json()["results"]] == [run_b.pk]
    assert [row["program"] for row in client.get(URL, {"funded_amount_min": 5_000_000}).json()["results"]] == ["NCUM-2026"]
    client.force_login(local_people["hoidong_a"])
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{run_b.pk}/").status_code == 404


def test_a_page_costs_the_same_for_5_and_50_runs(client, people, program, six):
    for _ in range(5):
        awards.allocation_run(program=program)
    client.force_login(people["committee"])
    client.get(URL)
    few = page_queries(client, URL, 5)
    for _ in range(45):
        awards.allocation_run(program=program)
    assert page_queries(client, URL, 50) == few

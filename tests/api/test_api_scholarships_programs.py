"""`/api/v1/scholarship-programs/`: read-only, scoped to the units where the user may view awards,
filterable by unit, status and award amount, searchable by code or name, a fixed query count."""

import pytest

from scholarships.api.views import ProgramViewSet
from scholarships.services import awards
from tests.api.conftest_scholarships import *  # noqa: F403  (fixtures)
from tests.api.conftest_scholarships import RUBRIC, page_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/scholarship-programs/"


def test_the_viewset_names_its_domain():
    assert ProgramViewSet.api_domain == "awards"


def test_scoped_to_the_programs_unit(client, people, local_people, program, program_b):
    client.force_login(people["committee"])  # the province: both
    assert [row["code"] for row in client.get(URL).json()["results"]] == ["NCUM-2026", "HB-B-2026"]
    client.force_login(local_people["hoidong_a"])  # commune A: neither is its own or below it
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{program_b.pk}/").status_code == 404
    client.logout()
    assert client.get(URL).status_code == 401


def test_filters_search_and_ordering(client, people, program, program_b):
    client.force_login(people["committee"])

    def codes(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [row["code"] for row in response.json()["results"]]

    assert codes(unit="T-B") == ["HB-B-2026"]
    assert codes(award_amount_min=1_500_000) == ["NCUM-2026"]
    assert codes(award_amount_max=1_500_000) == ["HB-B-2026"]
    assert codes(q="nâng cánh") == ["NCUM-2026"]
    assert codes(q="NANG CANH uoc mo") == ["NCUM-2026"]
    assert codes(q="hac thanh") == ["HB-B-2026"]
    assert codes(q="hb-b") == ["HB-B-2026"]
    assert codes(status="closed") == []
    assert codes(ordering="award_amount") == ["HB-B-2026", "NCUM-2026"]
    assert client.get(URL, {"ordering": "rubric"}).status_code == 400


def test_a_page_costs_the_same_for_5_and_50_programs(client, people, units, funds):
    general, poor_only = funds

    def more(start, stop):
        for number in range(start, stop):
            awards.program_create(
                unit=units.province, code=f"p-{number}", name=f"Chương trình {number}", school_year="2026-2027",
                award_amount=1_000_000, rubric=RUBRIC, funds={general: 1_000, poor_only: 1_000}, quotas={units.commune_a: 3},
            )

    more(0, 5)
    client.force_login(people["committee"])
    client.get(URL)
    few = page_queries(client, URL, 5)
    more(5, 50)
    assert page_queries(client, URL, 50) == few

"""The nominee of the nomination form is picked with the admin's autocomplete, and the autocomplete
finds only the students the user may nominate (`selectors.students_nominable_by`): never a child of
another unit, not even one the user may view (the committee, an auditor), whatever is typed.

Scene (conftest): nominators of commune A and of commune B; `student_a` (Lò Thị Mai) at a school of
commune A, `student_b` (Nguyễn Minh Khôi) in commune B, both at "Trường THCS Lam Sơn".
"""

import pytest
from django.urls import reverse

from scholarships.admin.nominations import NominationAdmin

pytestmark = pytest.mark.django_db


def found(client, term="", **overrides) -> list[str]:
    params = {"app_label": "scholarships", "model_name": "nomination", "field_name": "student", "term": term, **overrides}
    response = client.get(reverse("admin:autocomplete"), params)
    if response.status_code != 200:
        return [f"HTTP {response.status_code}"]
    return [row["text"] for row in response.json()["results"]]


def test_the_nomination_admin_declares_the_autocomplete():
    assert NominationAdmin.autocomplete_fields == ["student"]


def test_a_nominator_finds_the_students_of_their_units_only(client, people, student_a, student_b):
    client.force_login(people["nominator_a"])
    assert found(client) == [student_a.code]
    assert found(client, "Lò Thị") == [student_a.code]  # by name
    assert found(client, student_b.code) == []  # by code: not even another unit's record
    assert found(client, str(student_b.pk)) == []
    assert found(client, "Trường THCS") == [student_a.code]

    client.force_login(people["nominator_b"])
    assert found(client, "Khôi") == [student_b.code]
    assert found(client, "Lò Thị") == []


def test_who_views_students_but_nominates_none_finds_nobody(client, people, student_a, student_b):
    for who in ("committee", "auditor"):
        client.force_login(people[who])
        # They may view both records in the student list…
        assert client.get(reverse("admin:scholarships_student_changelist")).context["cl"].result_count == 2, who
        # …but the nominee search offers none.
        assert found(client) == [], who
        assert found(client, student_a.code) == [], who


def test_the_search_serves_no_other_form(client, people, student_a):
    client.force_login(people["nominator_a"])
    assert found(client, model_name="award") == []  # the award's student is not picked by autocomplete
    assert found(client, field_name="nominated_by") == ["HTTP 403"]  # not a student: the admin refuses

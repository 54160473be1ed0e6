"""The program's rubric in the admin, edited as criteria, points and bands (no JSON): saved through
`awards.program_rubric_update`, refused with a clear message (and nothing changed), and previewed:
the scores the program's nominations would get under the edited rubric, by the services' scoring,
with nothing saved.

The scene is `test_awards.py`'s: the program's rubric scores the average score in bands (9.5 → 95,
9.0 → 90, …), six nominees A–F with 9.6, 9.1, 8.6, 8.1, 7.6 and 7.1; B, C and F are poor.
"""

import pytest
from django.urls import reverse

from fundmgr.audit.models import AuditEvent
from scholarships.models import Nomination, ScholarshipProgram

from .conftest import RUBRIC

pytestmark = pytest.mark.django_db


def rubric_url(program):
    return reverse("admin:scholarships_scholarshipprogram_rubric", args=[program.pk])


def formset_data(*criteria, action="_save"):
    """The POST of the rubric page: one form per criterion (a dict of its fields)."""
    data = {
        "criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "40", action: "1",
    }
    for number, criterion in enumerate(criteria):
        data.update({f"criteria-{number}-{name}": value for name, value in criterion.items()})
    return data


POOR = {"code": "ho_ngheo", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor", "points": "50"}
GPA = {"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score", "minimum": "0",
       "maximum": "10", "band_1_at_least": "9,0", "band_1_points": "40", "band_2_at_least": "8", "band_2_points": "20"}


def test_the_page_shows_the_rubric_as_criteria_and_bands(client, people, program):
    client.force_login(people["committee"])
    page = client.get(rubric_url(program))
    assert page.status_code == 200
    (form, *extra) = page.context["formset"].forms
    assert (form["code"].value(), form["kind"].value(), form["fact"].value()) == ("gpa", "bands", "average_score")
    assert (form["band_1_at_least"].value(), form["band_1_points"].value()) == ("9.5", 95)
    # Six bands stored: six rows filled and one free (never fewer rows than bands: none is dropped).
    assert [(at_least.value(), points.value()) for at_least, points in form.band_fields] == [
        ("9.5", 95), ("9.0", 90), ("8.5", 85), ("8.0", 80), ("7.5", 75), ("7.0", 70), (None, None),
    ]
    assert len(extra) == 2  # two empty rows to add criteria
    assert "JSON" not in page.content.decode()


def test_the_rubric_as_shown_previews_the_scores_given_and_saves_back_unchanged(client, people, program, six):
    client.force_login(people["committee"])
    shown = client.get(rubric_url(program)).context["formset"]
    data = {"criteria-TOTAL_FORMS": "1", "criteria-INITIAL_FORMS": "1", "criteria-MIN_NUM_FORMS": "0",
            "criteria-MAX_NUM_FORMS": "40"}
    data.update({f"criteria-0-{name}": value for name, value in shown.forms[0].initial.items()})
    preview = client.post(rubric_url(program), {**data, "_preview": "1"}).context["preview"]
    assert [row["new"] for row in preview] == [row["current"] for row in preview] == [95, 90, 85, 80, 75, 70]

    assert client.post(rubric_url(program), {**data, "_save": "1"}).status_code == 302
    program.refresh_from_db()
    assert program.rubric == [{**RUBRIC[0], "minimum": "0", "maximum": "10"}]


def test_a_valid_rubric_is_saved_and_the_scores_stay_until_scored_again(client, people, program, six):
    client.force_login(people["committee"])
    response = client.post(rubric_url(program), formset_data(POOR, GPA))

    assert response.status_code == 302
    program.refresh_from_db()
    assert program.rubric == [
        {"code": "ho_ngheo", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor", "points": 50},
        {"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score",
         "bands": [{"at_least": "9.0", "points": 40}, {"at_least": "8", "points": 20}], "minimum": "0", "maximum": "10"},
    ]
    event = AuditEvent.objects.filter(source="service", model_label="scholarships.scholarshipprogram", action="change").get()
    assert event.actor == people["committee"] and event.before == {"rubric": RUBRIC}
    # Scores given are decisions on the record: unchanged until the committee scores again.
    assert Nomination.objects.get(student=six["B"]).score == 90


@pytest.mark.parametrize(("criterion", "field", "message"), [
    ({**GPA, "fact": ""}, "fact", "Tiêu chí theo mức: hãy chọn một dữ liệu là số (ví dụ điểm trung bình)."),
    ({**POOR, "points": ""}, "points", "Cần nhập số điểm của tiêu chí."),
    ({**GPA, "band_2_points": ""}, "band_2_at_least", "Mức 2: cần cả ngưỡng và số điểm, hoặc để trống cả hai."),
    ({**POOR, "points": "-5"}, "points", "Số điểm phải là số nguyên không âm."),
    ({**GPA, "band_1_points": "nhiều"}, "band_1_points", "Số điểm phải là một số nguyên."),
])
def test_a_wrong_criterion_is_refused_with_its_message_and_nothing_changes(client, people, program, criterion, field, message):
    client.force_login(people["committee"])
    response = client.post(rubric_url(program), formset_data(criterion))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors[field] == [message]
    program.refresh_from_db()
    assert program.rubric == RUBRIC
    assert not AuditEvent.objects.filter(model_label="scholarships.scholarshipprogram", action="change").exists()


def test_the_rubrics_own_rules_are_the_scoring_modules_messages(client, people, program):
    client.force_login(people["committee"])
    outside = {**GPA, "band_1_at_least": "11"}
    response = client.post(rubric_url(program), formset_data(POOR, {**POOR, "circumstance": "orphan"}))
    assert response.context["formset"].non_form_errors() == [
        "Tiêu chí thứ 2 (“ho_ngheo”): mã “ho_ngheo” đã dùng cho tiêu chí thứ 1."
    ]
    response = client.post(rubric_url(program), formset_data(outside))
    assert response.context["formset"].non_form_errors() == [
        "Tiêu chí thứ 1 (“gpa”), mức thứ 1: ngưỡng 11 nằm ngoài khoảng 0–10."
    ]
    nothing = client.post(rubric_url(program), formset_data())
    assert nothing.context["formset"].non_form_errors() == ["Thang điểm phải có ít nhất một tiêu chí."]
    program.refresh_from_db()
    assert program.rubric == RUBRIC


def test_the_preview_shows_the_nominations_scores_under_the_edited_rubric_and_saves_nothing(client, people, program, six):
    client.force_login(people["committee"])
    response = client.post(rubric_url(program), formset_data(POOR, GPA, action="_preview"))

    assert response.status_code == 200
    rows = [(row["student"], row["current"], row["new"]) for row in response.context["preview"]]
    # Poor B (9.1): 50 + 40; poor C (8.6): 50 + 20; A (9.6): 40; poor F (7.1): 50; D (8.1): 20; E: 0.
    assert rows == [
        (six["B"].code, 90, 90), (six["C"].code, 85, 70), (six["F"].code, 70, 50), (six["A"].code, 95, 40),
        (six["D"].code, 80, 20), (six["E"].code, 75, 0),
    ]
    assert "Hộ nghèo: 50; Điểm trung bình: 40" in response.content.decode()
    program.refresh_from_db()
    assert program.rubric == RUBRIC
    assert sorted(Nomination.objects.values_list("score", flat=True)) == [70, 75, 80, 85, 90, 95]


def test_only_who_may_change_the_program_edits_its_rubric(client, people, program):
    # The auditor and the treasurer read the program (403 to change it); a nominator does not find it.
    for who, status in (("auditor", 403), ("treasurer", 403), ("nominator_a", 404)):
        client.force_login(people[who])
        assert client.post(rubric_url(program), formset_data(POOR)).status_code == status, who
    program.refresh_from_db()
    assert program.rubric == RUBRIC
    ScholarshipProgram.objects.filter(pk=program.pk).update(status="closed")
    client.force_login(people["committee"])
    closed = client.post(rubric_url(program), formset_data(POOR))
    assert closed.context["formset"].non_form_errors() == ["Chương trình đã khóa."]

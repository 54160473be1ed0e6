"""The scoring rubric: worked examples with exact totals and breakdowns, and the exact message of
every refusal."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundmgr.ledger.models import Circumstance
from scholarships.models import CIRCUMSTANCE_FIELDS
from scholarships.scoring import (
    CIRCUMSTANCES,
    CriterionScore,
    FactsError,
    RubricError,
    Score,
    rubric_validate,
    score,
)

# The rubric of a "Nâng cánh ước mơ" round: hardship first, then results.
RUBRIC = [
    {"code": "ho_ngheo", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor",
     "points": 30},
    {"code": "ho_can_ngheo", "label": "Hộ cận nghèo", "kind": "circumstance", "circumstance": "near_poor",
     "points": 20},
    {"code": "mo_coi", "label": "Mồ côi", "kind": "circumstance", "circumstance": "orphan", "points": 25},
    {"code": "diem_trung_binh", "label": "Điểm trung bình", "kind": "bands", "fact": "gpa",
     "minimum": 0, "maximum": 10,
     "bands": [{"at_least": "9.0", "points": 30}, {"at_least": "8.0", "points": 20},
               {"at_least": "6.5", "points": 10}]},
    {"code": "giai_hsg_tinh", "label": "Đạt giải học sinh giỏi cấp tỉnh", "kind": "boolean",
     "fact": "provincial_prize", "points": 15},
]


def points_by_code(result: Score) -> dict[str, int]:
    return {item.code: item.points for item in result.breakdown}


# --- Worked examples ------------------------------------------------------------------------------


def test_poor_orphan_with_a_good_gpa_and_a_provincial_prize():
    result = score(RUBRIC, {"circumstances": ["poor", "orphan"], "gpa": "8.5", "provincial_prize": True})
    assert result == Score(total=90, breakdown=(
        CriterionScore("ho_ngheo", "Hộ nghèo", True, 30),
        CriterionScore("ho_can_ngheo", "Hộ cận nghèo", False, 0),
        CriterionScore("mo_coi", "Mồ côi", True, 25),
        CriterionScore("diem_trung_binh", "Điểm trung bình", Decimal("8.5"), 20),
        CriterionScore("giai_hsg_tinh", "Đạt giải học sinh giỏi cấp tỉnh", True, 15),
    ))
    assert type(result.total) is int


def test_near_poor_student_with_a_gpa_written_with_a_decimal_comma():
    result = score(RUBRIC, {"circumstances": ["near_poor"], "gpa": "9,0", "provincial_prize": False})
    assert result.total == 50
    assert points_by_code(result) == {
        "ho_ngheo": 0, "ho_can_ngheo": 20, "mo_coi": 0, "diem_trung_binh": 30, "giai_hsg_tinh": 0,
    }
    assert result.breakdown[3].value == Decimal("9.0")


@pytest.mark.parametrize(("gpa", "points"), [
    ("10", 30), ("9", 30), ("8.99", 20), (8.0, 20), (Decimal("7.99"), 10), (6.5, 10), ("6.49", 0), (0, 0),
])
def test_gpa_bands_take_the_highest_threshold_reached(gpa, points):
    assert points_by_code(score(RUBRIC, {"gpa": gpa}))["diem_trung_binh"] == points


def test_a_gpa_read_from_json_reaches_its_threshold_exactly():
    """8.1 as a binary float is 8.0999…; read through its shortest form it is 8.1 and reaches a
    threshold of 8.1, as the committee would expect."""
    rubric = [{"code": "diem", "label": "Điểm trung bình", "kind": "bands", "fact": "gpa",
               "bands": [{"at_least": 8.1, "points": 5}]}]
    assert Decimal(8.1) < Decimal("8.1")  # the surprise avoided
    facts = json.loads('{"gpa": 8.1}')
    assert score(rubric, facts).total == 5


def test_missing_facts_score_nothing_and_show_as_missing():
    result = score(RUBRIC, {})
    assert result.total == 0
    assert [(item.code, item.value, item.points) for item in result.breakdown] == [
        ("ho_ngheo", False, 0), ("ho_can_ngheo", False, 0), ("mo_coi", False, 0),
        ("diem_trung_binh", None, 0), ("giai_hsg_tinh", None, 0),
    ]
    assert score(RUBRIC, {"gpa": None, "provincial_prize": None, "circumstances": None}) == result


def test_a_rubric_survives_storage_as_json():
    stored = json.loads(json.dumps(RUBRIC))
    facts = {"circumstances": ["poor"], "gpa": "9.5", "provincial_prize": True}
    assert score(stored, facts) == score(RUBRIC, facts)
    rubric_validate(stored)


def test_score_as_json_keeps_numbers_exact():
    result = score(RUBRIC, {"circumstances": ["orphan"], "gpa": "7.25"})
    assert result.as_json() == {
        "total": 35,
        "breakdown": [
            {"code": "ho_ngheo", "label": "Hộ nghèo", "value": False, "points": 0},
            {"code": "ho_can_ngheo", "label": "Hộ cận nghèo", "value": False, "points": 0},
            {"code": "mo_coi", "label": "Mồ côi", "value": True, "points": 25},
            {"code": "diem_trung_binh", "label": "Điểm trung bình", "value": "7.25", "points": 10},
            {"code": "giai_hsg_tinh", "label": "Đạt giải học sinh giỏi cấp tỉnh", "value": None, "points": 0},
        ],
    }
    json.dumps(result.as_json())  # storable as is


def test_bands_may_be_listed_in_any_order():
    rubric = [{"code": "diem", "label": "Điểm", "kind": "bands", "fact": "gpa",
               "bands": [{"at_least": 5, "points": 1}, {"at_least": 9, "points": 3},
                         {"at_least": 7, "points": 2}]}]
    assert [score(rubric, {"gpa": gpa}).total for gpa in (4, 5, 8, 9.5)] == [0, 1, 2, 3]


def test_circumstance_codes_are_the_ones_of_students_and_fund_restrictions():
    # One list of codes (the ledger's), a student field for each, and the scoring module's copy.
    assert CIRCUMSTANCES == frozenset(Circumstance.values) == frozenset(CIRCUMSTANCE_FIELDS)


@given(st.decimals(min_value=0, max_value=10, places=2))
def test_the_way_a_gpa_is_written_does_not_change_the_score(gpa):
    written = [gpa, str(gpa), str(gpa).replace(".", ","), float(str(gpa))]
    scores = [score(RUBRIC, {"gpa": form, "circumstances": ["poor"]}) for form in written]
    assert all(result.total == scores[0].total for result in scores)
    assert scores[0].total == sum(item.points for item in scores[0].breakdown)
    assert all(result.breakdown[3].value == gpa for result in scores)


# --- Malformed rubrics ------------------------------------------------------------------------------


def criterion(**changes):
    """The poor-household criterion with `changes`; a value of None removes the field."""
    item = {"code": "ho_ngheo", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor",
            "points": 30}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not None}


def gpa_criterion(**changes):
    item = {"code": "diem_trung_binh", "label": "Điểm trung bình", "kind": "bands", "fact": "gpa",
            "minimum": 0, "maximum": 10, "bands": [{"at_least": "8.0", "points": 20}]}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not None}


@pytest.mark.parametrize(("rubric", "message"), [
    ({"criteria": []}, "Thang điểm phải là một danh sách các tiêu chí."),
    ([], "Thang điểm phải có ít nhất một tiêu chí."),
    (["ho_ngheo"], "Tiêu chí thứ 1 phải là một đối tượng có các trường code, label, kind."),
    ([criterion(label=None)], "Tiêu chí thứ 1 (“ho_ngheo”): thiếu trường “label”."),
    ([criterion(code=None)], "Tiêu chí thứ 1: thiếu trường “code”."),
    ([criterion(code="Hộ nghèo")],
     "Tiêu chí thứ 1: mã phải gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ cái "
     "(nhận được “Hộ nghèo”)."),
    ([criterion(), criterion(label="Hộ nghèo (lần hai)")],
     "Tiêu chí thứ 2 (“ho_ngheo”): mã “ho_ngheo” đã dùng cho tiêu chí thứ 1."),
    ([criterion(label="  ")], "Tiêu chí thứ 1 (“ho_ngheo”): tên tiêu chí (label) không được để trống."),
    ([criterion(kind="number")],
     "Tiêu chí thứ 1 (“ho_ngheo”): loại “number” không hợp lệ; chỉ dùng circumstance (hoàn cảnh), "
     "boolean (có/không) hoặc bands (mức điểm theo ngưỡng)."),
    ([criterion(points=None, pionts=30)],
     "Tiêu chí thứ 1 (“ho_ngheo”): loại “circumstance” không dùng trường “pionts”."),
    ([criterion(points=None)], "Tiêu chí thứ 1 (“ho_ngheo”): thiếu trường “points”."),
    ([criterion(points=-5)],
     "Tiêu chí thứ 1 (“ho_ngheo”): số điểm phải là số nguyên không âm (nhận được “-5”)."),
    ([criterion(points=2.5)],
     "Tiêu chí thứ 1 (“ho_ngheo”): số điểm phải là số nguyên không âm (nhận được “2.5”)."),
    ([criterion(points="30")],
     "Tiêu chí thứ 1 (“ho_ngheo”): số điểm phải là số nguyên không âm (nhận được “30”)."),
    ([criterion(points=True)],
     "Tiêu chí thứ 1 (“ho_ngheo”): số điểm phải là số nguyên không âm (nhận được “True”)."),
    ([criterion(circumstance="ngheo")],
     "Tiêu chí thứ 1 (“ho_ngheo”): hoàn cảnh “ngheo” không có trong danh mục (disability, "
     "ethnic_minority, near_poor, orphan, poor, remote)."),
    ([gpa_criterion(fact="GPA")],
     "Tiêu chí thứ 1 (“diem_trung_binh”): tên dữ liệu (fact) phải gồm chữ thường không dấu, chữ số và dấu "
     "gạch dưới, bắt đầu bằng chữ cái, và không phải “circumstances” (nhận được “GPA”)."),
    ([gpa_criterion(bands=[])],
     "Tiêu chí thứ 1 (“diem_trung_binh”): các mức (bands) phải là một danh sách không rỗng."),
    ([gpa_criterion(bands={"8.0": 20})],
     "Tiêu chí thứ 1 (“diem_trung_binh”): các mức (bands) phải là một danh sách không rỗng."),
    ([gpa_criterion(bands=[{"at_least": "8.0", "points": 20, "note": "khá"}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”), mức thứ 1: phải là một đối tượng có đúng hai trường at_least và "
     "points."),
    ([gpa_criterion(bands=[{"at_least": "9.0", "points": 30}, {"at_least": "tám", "points": 20}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”), mức thứ 2: “tám” không phải là một số."),
    ([gpa_criterion(bands=[{"at_least": "nan", "points": 20}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”), mức thứ 1: “nan” không phải là một số."),
    ([gpa_criterion(bands=[{"at_least": "8", "points": 20}, {"at_least": 8.0, "points": 25}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”): hai mức cùng ngưỡng 8,0."),
    ([gpa_criterion(bands=[{"at_least": 11, "points": 20}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”), mức thứ 1: ngưỡng 11 nằm ngoài khoảng 0–10."),
    ([gpa_criterion(bands=[{"at_least": "8.0", "points": 2.5}])],
     "Tiêu chí thứ 1 (“diem_trung_binh”), mức thứ 1: số điểm phải là số nguyên không âm "
     "(nhận được “2.5”)."),
    ([gpa_criterion(minimum=10, maximum=0)],
     "Tiêu chí thứ 1 (“diem_trung_binh”): giá trị nhỏ nhất (minimum) phải nhỏ hơn giá trị lớn nhất "
     "(maximum)."),
    ([gpa_criterion(maximum="mười")], "Tiêu chí thứ 1 (“diem_trung_binh”): “mười” không phải là một số."),
    ([criterion(), gpa_criterion(bands=None)], "Tiêu chí thứ 2 (“diem_trung_binh”): thiếu trường “bands”."),
])
def test_malformed_rubric_is_refused_with_a_message_in_vietnamese(rubric, message):
    with pytest.raises(RubricError) as refusal:
        rubric_validate(rubric)
    assert refusal.value.message == message
    # Scoring under it is refused the same way: a malformed rubric never ranks anyone.
    with pytest.raises(RubricError) as refusal:
        score(rubric, {})
    assert refusal.value.message == message


# --- Malformed facts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "message"), [
    (["poor"], "Dữ liệu của học sinh phải là một đối tượng (dict)."),
    ({"circumstances": "poor"}, "Hoàn cảnh của học sinh phải là một danh sách mã hoàn cảnh."),
    ({"circumstances": ["poor", "ngheo"]},
     "Hoàn cảnh “ngheo” không có trong danh mục (disability, ethnic_minority, near_poor, orphan, poor, "
     "remote)."),
    ({"gpa": "tám"}, "Điểm trung bình: “tám” không phải là một số."),
    ({"gpa": "8.5.1"}, "Điểm trung bình: “8.5.1” không phải là một số."),
    ({"gpa": True}, "Điểm trung bình: “True” không phải là một số."),
    ({"gpa": float("inf")}, "Điểm trung bình: “inf” không phải là một số."),
    ({"gpa": "11"}, "Điểm trung bình phải nằm trong khoảng 0–10, nhận được 11."),
    ({"gpa": Decimal("-0.5")}, "Điểm trung bình phải nằm trong khoảng 0–10, nhận được -0,5."),
    ({"provincial_prize": "yes"},
     "Đạt giải học sinh giỏi cấp tỉnh: cần giá trị có/không (true/false), nhận được “yes”."),
    ({"provincial_prize": 1},
     "Đạt giải học sinh giỏi cấp tỉnh: cần giá trị có/không (true/false), nhận được “1”."),
])
def test_malformed_facts_are_refused_with_a_message_in_vietnamese(facts, message):
    with pytest.raises(FactsError) as refusal:
        score(RUBRIC, facts)
    assert refusal.value.message == message


@pytest.mark.parametrize(("bounds", "gpa", "message"), [
    ({"minimum": 0}, "-1", "Điểm trung bình phải từ 0 trở lên, nhận được -1."),
    ({"maximum": 10}, "10,5", "Điểm trung bình không được lớn hơn 10, nhận được 10,5."),
])
def test_a_range_bounded_on_one_side_says_which(bounds, gpa, message):
    rubric = [gpa_criterion(minimum=None, maximum=None) | bounds]
    with pytest.raises(FactsError) as refusal:
        score(rubric, {"gpa": gpa})
    assert refusal.value.message == message

"""The scoring rubric of a scholarship program: how many points a student gets, and for what.

A rubric is JSON data stored with the program, so the committee, the nominators and an auditor
can all read the rule that ranked the students, and every score comes with its breakdown. It is
a list of criteria; each is an object with a `code` (lower-case letters without diacritics,
digits and underscores), a `label` shown to people (Vietnamese), a `kind`, and for each kind:

- ``circumstance``: ``{"circumstance": "poor", "points": 30}``. The points when the student's
  circumstances (``facts["circumstances"]``, a list of codes) contain it. The codes are those of
  `scholarships.models.Circumstance` (and of fund restrictions, `fundmgr.ledger.models.Circumstance`).
- ``boolean``: ``{"fact": "provincial_prize", "points": 10}``. The points when ``facts[fact]``
  is true.
- ``bands``: ``{"fact": "gpa", "minimum": 0, "maximum": 10, "bands": [{"at_least": "9.0",
  "points": 30}, {"at_least": "8.0", "points": 20}]}``. The points of the highest band whose
  threshold the value reaches; a value below every band scores 0. ``minimum`` and ``maximum``
  are optional and bound the values a student may have (for a GPA, điểm trung bình: 0–10).

Numbers
-------
Points are whole numbers, zero or more, and the total is a Python ``int``: exact, and a tie is a
tie. A finer weighting uses a larger scale (100 points instead of 10), never fractions.
Thresholds and numeric facts are read as ``Decimal``: from an int, from text with a decimal
point or a decimal comma ("8.5", "8,5", as Vietnamese write it), or from a float as JSON
decoding produces one, through its shortest representation (8.5 becomes Decimal("8.5"), never
8.4999…). So a GPA of 8.0 reaches a band "at least 8.0" whatever way either was written.

Missing facts
-------------
A fact that is absent or None scores 0 points and shows as None in the breakdown, so a missing
GPA is visible rather than silently treated as a value. A fact that is present but malformed
(a GPA "tám", 11 on a 0–10 scale, "yes" for a boolean) raises `FactsError`: a wrong number would
rank the student wrongly, which is worse than refusing to score.

Errors
------
`rubric_validate` raises `RubricError` on a malformed rubric and `score` raises `FactsError` on
malformed facts; both carry a message in Vietnamese (the msgid; other languages through the
locale files) that names the criterion by position and code.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

KINDS = ("circumstance", "boolean", "bands")
# The codes of scholarships.models.Circumstance, repeated so this module needs no app registry;
# a test checks that the lists agree.
CIRCUMSTANCES = frozenset({"poor", "near_poor", "orphan", "disability", "ethnic_minority", "remote"})

_COMMON_FIELDS = ("code", "label", "kind")
_KIND_FIELDS = {
    "circumstance": {"required": ("circumstance", "points"), "optional": ()},
    "boolean": {"required": ("fact", "points"), "optional": ()},
    "bands": {"required": ("fact", "bands"), "optional": ("minimum", "maximum")},
}
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


class RubricError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FactsError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CriterionScore:
    code: str
    label: str
    value: bool | Decimal | None  # what was seen in the facts; None when the fact is missing
    points: int


@dataclass(frozen=True)
class Score:
    total: int
    breakdown: tuple[CriterionScore, ...]  # in the rubric's order

    def as_json(self) -> dict:
        """The score as JSON data (a Decimal becomes its text: JSON numbers are floats to most readers)."""
        return {
            "total": self.total,
            "breakdown": [
                {
                    "code": item.code,
                    "label": item.label,
                    "value": str(item.value) if isinstance(item.value, Decimal) else item.value,
                    "points": item.points,
                }
                for item in self.breakdown
            ],
        }


@dataclass(frozen=True)
class _Band:
    at_least: Decimal
    points: int


@dataclass(frozen=True)
class _Criterion:
    code: str
    label: str
    kind: str
    circumstance: str | None = None
    fact: str | None = None
    points: int = 0
    bands: tuple[_Band, ...] = ()  # highest threshold first
    minimum: Decimal | None = None
    maximum: Decimal | None = None


def _decimal(value: object) -> Decimal | None:
    """The exact number in `value`, or None when it is not a finite number."""
    if isinstance(value, bool):  # an int in Python, but True is not a GPA
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_TEXT.fullmatch(text):
            try:
                return Decimal(text.replace(",", "."))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return None
    return None


def _show(number: Decimal) -> str:
    """A number as Vietnamese write it: 8,5."""
    return format(number, "f").replace(".", ",")


def _where(position: int, code: object) -> str:
    if isinstance(code, str) and _IDENTIFIER.fullmatch(code):
        return _("Tiêu chí thứ %(position)s (“%(code)s”)") % {"position": position, "code": code}
    return _("Tiêu chí thứ %(position)s") % {"position": position}


def _points(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RubricError(_("%(where)s: số điểm phải là số nguyên không âm (nhận được “%(value)s”).") % {
            "where": where, "value": value,
        })
    return value


def _number(value: object, where: str) -> Decimal:
    number = _decimal(value)
    if number is None:
        raise RubricError(_("%(where)s: “%(value)s” không phải là một số.") % {
            "where": where, "value": value,
        })
    return number


def _parse_criterion(position: int, item: object, seen_codes: dict[str, int]) -> _Criterion:
    if not isinstance(item, Mapping):
        raise RubricError(_("%(where)s phải là một đối tượng có các trường code, label, kind.") % {
            "where": _where(position, None),
        })
    where = _where(position, item.get("code"))
    for field in _COMMON_FIELDS:
        if field not in item:
            raise RubricError(_("%(where)s: thiếu trường “%(field)s”.") % {"where": where, "field": field})
    code, label, kind = item["code"], item["label"], item["kind"]
    if not isinstance(code, str) or not _IDENTIFIER.fullmatch(code):
        raise RubricError(_(
            "%(where)s: mã phải gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ cái "
            "(nhận được “%(value)s”)."
        ) % {"where": where, "value": code})
    if code in seen_codes:
        raise RubricError(_("%(where)s: mã “%(code)s” đã dùng cho tiêu chí thứ %(other)s.") % {
            "where": where, "code": code, "other": seen_codes[code],
        })
    seen_codes[code] = position
    if not isinstance(label, str) or not label.strip():
        raise RubricError(_("%(where)s: tên tiêu chí (label) không được để trống.") % {"where": where})
    if kind not in KINDS:
        raise RubricError(_(
            "%(where)s: loại “%(value)s” không hợp lệ; chỉ dùng circumstance (hoàn cảnh), boolean (có/không) "
            "hoặc bands (mức điểm theo ngưỡng)."
        ) % {"where": where, "value": kind})
    fields = _KIND_FIELDS[kind]
    # An unknown field is most often a misspelt one ("pionts"); ignoring it would score silently wrong.
    allowed = {*_COMMON_FIELDS, *fields["required"], *fields["optional"]}
    for field in item:
        if field not in allowed:
            raise RubricError(_("%(where)s: loại “%(kind)s” không dùng trường “%(field)s”.") % {
                "where": where, "kind": kind, "field": field,
            })
    for field in fields["required"]:
        if field not in item:
            raise RubricError(_("%(where)s: thiếu trường “%(field)s”.") % {"where": where, "field": field})

    if kind == "circumstance":
        circumstance = item["circumstance"]
        if not isinstance(circumstance, str) or circumstance not in CIRCUMSTANCES:
            raise RubricError(_("%(where)s: hoàn cảnh “%(value)s” không có trong danh mục (%(known)s).") % {
                "where": where, "value": circumstance, "known": ", ".join(sorted(CIRCUMSTANCES)),
            })
        return _Criterion(code, label, kind, circumstance=circumstance, points=_points(item["points"], where))

    fact = item["fact"]
    if not isinstance(fact, str) or not _IDENTIFIER.fullmatch(fact) or fact == "circumstances":
        raise RubricError(_(
            "%(where)s: tên dữ liệu (fact) phải gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu "
            "bằng chữ cái, và không phải “circumstances” (nhận được “%(value)s”)."
        ) % {"where": where, "value": fact})
    if kind == "boolean":
        return _Criterion(code, label, kind, fact=fact, points=_points(item["points"], where))

    minimum = _number(item["minimum"], where) if item.get("minimum") is not None else None
    maximum = _number(item["maximum"], where) if item.get("maximum") is not None else None
    if minimum is not None and maximum is not None and minimum >= maximum:
        raise RubricError(_(
            "%(where)s: giá trị nhỏ nhất (minimum) phải nhỏ hơn giá trị lớn nhất (maximum)."
        ) % {"where": where})
    raw_bands = item["bands"]
    if not isinstance(raw_bands, list) or not raw_bands:
        raise RubricError(_("%(where)s: các mức (bands) phải là một danh sách không rỗng.") % {
            "where": where,
        })
    bands = []
    for band_position, band in enumerate(raw_bands, start=1):
        band_where = _("%(where)s, mức thứ %(band)s") % {"where": where, "band": band_position}
        if not isinstance(band, Mapping) or set(band) != {"at_least", "points"}:
            raise RubricError(_("%(where)s: phải là một đối tượng có đúng hai trường at_least và points.") % {
                "where": band_where,
            })
        at_least = _number(band["at_least"], band_where)
        if (minimum is not None and at_least < minimum) or (maximum is not None and at_least > maximum):
            raise RubricError(_("%(where)s: ngưỡng %(value)s nằm ngoài khoảng %(minimum)s–%(maximum)s.") % {
                "where": band_where, "value": _show(at_least),
                "minimum": _show(minimum) if minimum is not None else "…",
                "maximum": _show(maximum) if maximum is not None else "…",
            })
        if any(existing.at_least == at_least for existing in bands):
            raise RubricError(_("%(where)s: hai mức cùng ngưỡng %(value)s.") % {
                "where": where, "value": _show(at_least),
            })
        bands.append(_Band(at_least, _points(band["points"], band_where)))
    bands.sort(key=lambda band: band.at_least, reverse=True)
    return _Criterion(code, label, kind, fact=fact, bands=tuple(bands), minimum=minimum, maximum=maximum)


def _parse(rubric: object) -> list[_Criterion]:
    if not isinstance(rubric, list):
        raise RubricError(_("Thang điểm phải là một danh sách các tiêu chí."))
    if not rubric:
        raise RubricError(_("Thang điểm phải có ít nhất một tiêu chí."))
    seen_codes: dict[str, int] = {}
    return [_parse_criterion(position, item, seen_codes) for position, item in enumerate(rubric, start=1)]


def rubric_validate(rubric: object) -> None:
    """Raise RubricError, with a message in Vietnamese, if `rubric` is not a well-formed rubric."""
    _parse(rubric)


def _circumstances_of(facts: Mapping) -> frozenset[str]:
    value = facts.get("circumstances")
    if value is None:
        return frozenset()
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        raise FactsError(_("Hoàn cảnh của học sinh phải là một danh sách mã hoàn cảnh."))
    for code in value:
        if not isinstance(code, str) or code not in CIRCUMSTANCES:
            raise FactsError(_("Hoàn cảnh “%(value)s” không có trong danh mục (%(known)s).") % {
                "value": code, "known": ", ".join(sorted(CIRCUMSTANCES)),
            })
    return frozenset(value)


def _band_value(criterion: _Criterion, raw: object) -> Decimal:
    value = _decimal(raw)
    if value is None:
        raise FactsError(_("%(label)s: “%(value)s” không phải là một số.") % {
            "label": criterion.label, "value": raw,
        })
    low, high = criterion.minimum, criterion.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            message = _("%(label)s phải từ %(minimum)s trở lên, nhận được %(value)s.")
        elif low is None:
            message = _("%(label)s không được lớn hơn %(maximum)s, nhận được %(value)s.")
        else:
            message = _("%(label)s phải nằm trong khoảng %(minimum)s–%(maximum)s, nhận được %(value)s.")
        raise FactsError(message % {
            "label": criterion.label, "value": _show(value),
            "minimum": _show(low) if low is not None else "",
            "maximum": _show(high) if high is not None else "",
        })
    return value


def score(rubric: object, facts: Mapping) -> Score:
    """The student's total points under `rubric` (an int) and the points of every criterion.

    `facts`: ``{"circumstances": ["poor", ...], "gpa": "8.5", "provincial_prize": True, ...}``.
    Raises RubricError for a malformed rubric, FactsError for malformed facts.
    """
    criteria = _parse(rubric)
    if not isinstance(facts, Mapping):
        raise FactsError(_("Dữ liệu của học sinh phải là một đối tượng (dict)."))
    circumstances = _circumstances_of(facts)
    breakdown = []
    for criterion in criteria:
        if criterion.kind == "circumstance":
            value = criterion.circumstance in circumstances
            points = criterion.points if value else 0
        elif criterion.kind == "boolean":
            value = facts.get(criterion.fact)
            if value is not None and not isinstance(value, bool):
                raise FactsError(_("%(label)s: cần giá trị có/không (true/false), nhận được “%(value)s”.") % {
                    "label": criterion.label, "value": value,
                })
            points = criterion.points if value else 0
        else:
            raw = facts.get(criterion.fact)
            value = None if raw is None else _band_value(criterion, raw)
            points = 0
            if value is not None:
                points = next((band.points for band in criterion.bands if value >= band.at_least), 0)
        breakdown.append(CriterionScore(criterion.code, criterion.label, value, points))
    return Score(total=sum(item.points for item in breakdown), breakdown=tuple(breakdown))

"""Scholarship allocation: who is funded, from which funds, and why everyone else is not.

A pure function of its inputs (no database): `allocate(candidates=..., funds=..., quotas=...)`.

What it guarantees
------------------
- Strict priority order. Candidates are taken by `priority` (greater first), ties broken by the
  lower `candidate_id`, so the order is total. A candidate is funded exactly when the candidates
  already funded and this one can all be paid in full together (within every fund's budget,
  each from funds whose restriction admits them, within the unit quotas). The funded set is
  therefore the lexicographically greatest feasible set in priority order: a higher-priority
  eligible candidate is left out while a lower one is funded only when funding the higher one
  would force dropping someone of even higher priority (for example a large award that no
  longer fits while a smaller one still does).
- A restricted fund is never spent on someone the unrestricted money could have covered when
  that leaves a restricted-only candidate out: money already placed is moved between funds
  whenever that makes room (see below), so placement order never costs anyone an award.
- Every award is paid in whole dong from funds that admit its student, the shares sum exactly
  to the award, and no fund pays more than its budget.
- Every candidate gets a decision with a reason code (`Reason`) and an explanation in Vietnamese.
- Deterministic: the same inputs, in any order, give an identical result.

Why augmenting paths, not first fit
-----------------------------------
First fit puts each award in the first fund with room and never looks back: a poor student
ranked first takes the unrestricted money, and the non-poor student ranked second, who can
only be paid from it, is refused although the fund for poor students had room. Deciding
whether "everyone funded so far plus this one" can be paid is a max-flow question (source →
candidate with capacity = amount, candidate → each eligible fund, fund → sink with capacity =
budget). The money already placed is a flow that pays everyone funded; the newcomer fits
exactly when an augmenting path carries its amount to the sink, moving earlier awards from
fund to fund on the way (a classic result: the difference of two flows decomposes into such
paths). The search runs over funds only: an edge from fund F to fund G exists when some funded
student holds money in F and is also eligible for G, its capacity the sum of such holdings.
With ten funds a search looks at a hundred edges whatever the number of candidates, so five
thousand candidates take well under a second. Breadth-first search (shortest paths first,
Edmonds–Karp) bounds the number of augmentations. If the newcomer does not fit, every move
made while trying is undone, and the amount that could be found for it is reported.

Tie-break rules (when several allocations are equally good)
-----------------------------------------------------------
1. Fund preference order: unrestricted funds before restricted ones, then by `fund_id`.
   Restricted money is thus spent on someone only when the unrestricted money they could take
   is gone, or when moving them onto it makes room for somebody the unrestricted money alone
   can pay.
2. A new award goes whole into the first fund, in preference order, with room for all of it.
3. Otherwise it is placed along shortest augmenting paths, exploring funds in preference order;
   money moved from a fund to the next one is taken from its holders in the order they came to
   hold money there, each holder's share whole except possibly the last one's.
4. When everyone is placed, an award split over several funds is gathered into one fund, the
   first in preference order that has room for all of it.

Reasons, checked in this order: already awarded this cycle; no fund admits the student; the
unit quota is used up (quotas count the awards of this run to students whose `unit_id` is the
quota's unit; a student already awarded elsewhere does not count); the eligible funds together
hold less than the award even before anyone is paid; the eligible funds' money is needed for
higher-priority candidates.
"""

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from itertools import pairwise

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fundmgr.core.money import format_vnd

Priority = int | Decimal | tuple  # a score, or scores compared in turn; greater is funded first


class Reason(models.TextChoices):
    FUNDED = "funded", _("Được cấp")
    ALREADY_AWARDED = "already_awarded", _("Đã nhận học bổng trong đợt này")
    NOT_ELIGIBLE = "not_eligible", _("Không quỹ nào được phép chi cho học sinh")
    QUOTA_REACHED = "quota_reached", _("Đơn vị đã đủ chỉ tiêu")
    BUDGET_INSUFFICIENT = "budget_insufficient", _("Các quỹ được nhận không đủ tiền")
    BUDGET_USED_BY_HIGHER_PRIORITY = "budget_used_by_higher_priority", _(
        "Tiền của các quỹ được nhận đã dành cho học sinh xếp trên"
    )


def _check_money(value: object, what: str, *, positive: bool) -> None:
    # bool is an int in Python; True dong is a bug, not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int of dong, not {type(value).__name__}")
    if value < (1 if positive else 0):
        raise ValueError(f"{what} must be {'positive' if positive else 'zero or more'}, got {value}")


def _check_id(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")


def _check_priority(priority: object, candidate_id: int) -> None:
    # Floats compare deterministically, but a score computed in float can tie or not tie by
    # accident of rounding; scores are ints or Decimals (see scholarships.scoring).
    parts = priority if isinstance(priority, tuple) else (priority,)
    for part in parts:
        if isinstance(part, float) or not isinstance(part, int | Decimal):
            raise TypeError(
                f"candidate {candidate_id}: priority must be an int, a Decimal or a tuple of them, "
                f"not {priority!r}"
            )
        if isinstance(part, Decimal) and not part.is_finite():
            raise ValueError(f"candidate {candidate_id}: priority must be finite, got {priority!r}")


def _frozen_strings(value: object, what: str) -> frozenset[str]:
    if isinstance(value, str):  # frozenset("poor") would be a set of letters
        raise TypeError(f"{what} must be a collection of strings, not one string")
    result = frozenset(value)
    if not all(isinstance(item, str) for item in result):
        raise TypeError(f"{what} must hold strings only")
    return result


@dataclass(frozen=True)
class FundRestriction:
    """Whom a fund may pay. `None` on a field means no restriction of that kind.

    `unit_path_prefixes`: the student's unit path must start with one of them (`OrgUnit.path`
    ends with a dot, so a prefix never matches a sibling whose id shares its digits).
    `circumstances`: the student must have at least one of them. When both are given, both hold.
    An empty set would admit nobody and is refused as a probable mistake.
    """

    unit_path_prefixes: frozenset[str] | None = None
    circumstances: frozenset[str] | None = None

    def __post_init__(self):
        for name in ("unit_path_prefixes", "circumstances"):
            value = getattr(self, name)
            if value is None:
                continue
            value = _frozen_strings(value, name)
            if not value:
                raise ValueError(f"{name} is empty: it would admit nobody; use None for no restriction")
            object.__setattr__(self, name, value)  # a list or set given by the caller becomes frozen
        if self.unit_path_prefixes is None and self.circumstances is None:
            raise ValueError(
                "a restriction must restrict something; use restriction=None for an unrestricted fund"
            )

    def admits(self, candidate: "Candidate") -> bool:
        return self.admits_unit_path(candidate.unit_path) and self.admits_circumstances(candidate.circumstances)

    def admits_unit_path(self, unit_path: str) -> bool:
        """The unit half of `admits`."""
        return self.unit_path_prefixes is None or any(unit_path.startswith(prefix) for prefix in self.unit_path_prefixes)

    def admits_circumstances(self, circumstances: frozenset[str]) -> bool:
        """The circumstance half of `admits`."""
        return self.circumstances is None or not self.circumstances.isdisjoint(circumstances)


@dataclass(frozen=True)
class Fund:
    """Money of one fund available to this program. `name` is used only in explanations."""

    fund_id: int
    budget: int
    restriction: FundRestriction | None = None
    name: str = ""

    def __post_init__(self):
        _check_id(self.fund_id, "fund_id")
        _check_money(self.budget, f"fund {self.fund_id}: budget", positive=False)

    @property
    def is_restricted(self) -> bool:
        return self.restriction is not None

    def admits(self, candidate: "Candidate") -> bool:
        return self.restriction is None or self.restriction.admits(candidate)

    @property
    def display_name(self) -> str:
        return self.name or gettext("quỹ số %(fund_id)s") % {"fund_id": self.fund_id}


@dataclass(frozen=True)
class Candidate:
    """A nominated student asking for an award of `amount` dong."""

    candidate_id: int
    priority: Priority
    amount: int
    unit_id: int
    unit_path: str
    circumstances: frozenset[str] = frozenset()
    already_awarded_this_cycle: bool = False

    def __post_init__(self):
        _check_id(self.candidate_id, "candidate_id")
        _check_priority(self.priority, self.candidate_id)
        _check_money(self.amount, f"candidate {self.candidate_id}: amount", positive=True)
        _check_id(self.unit_id, f"candidate {self.candidate_id}: unit_id")
        if not isinstance(self.unit_path, str):
            raise TypeError(f"candidate {self.candidate_id}: unit_path must be a string")
        object.__setattr__(
            self, "circumstances",
            _frozen_strings(self.circumstances, f"candidate {self.candidate_id}: circumstances"),
        )
        if not isinstance(self.already_awarded_this_cycle, bool):
            raise TypeError(f"candidate {self.candidate_id}: already_awarded_this_cycle must be a bool")


@dataclass(frozen=True)
class FundShare:
    fund_id: int
    amount: int


@dataclass(frozen=True)
class Decision:
    """What happened to one candidate, and why.

    `shares`: the funds paying the award, by `fund_id`; empty unless funded.
    `eligible_fund_ids`: the funds whose restriction admits the student, in preference order.
    `available`: for the two budget reasons, the most that could be found for this student
    (without taking money from higher-priority candidates, or in total); otherwise None.
    `quota`: the unit quota, for QUOTA_REACHED; otherwise None.
    """

    candidate_id: int
    rank: int  # 1 is the highest priority
    reason: Reason
    amount: int
    shares: tuple[FundShare, ...]
    eligible_fund_ids: tuple[int, ...]
    available: int | None
    quota: int | None
    explanation: str

    @property
    def is_funded(self) -> bool:
        return self.reason == Reason.FUNDED


@dataclass(frozen=True)
class FundTotal:
    fund_id: int
    budget: int
    used: int
    remaining: int


@dataclass(frozen=True)
class AllocationResult:
    decisions: tuple[Decision, ...]  # every candidate, in priority order
    fund_totals: tuple[FundTotal, ...]  # every fund, by fund_id

    @property
    def funded(self) -> tuple[Decision, ...]:
        return tuple(decision for decision in self.decisions if decision.is_funded)

    @cached_property
    def _by_candidate(self) -> dict[int, Decision]:
        return {decision.candidate_id: decision for decision in self.decisions}

    def decision(self, candidate_id: int) -> Decision:
        return self._by_candidate[candidate_id]


class _Flow:
    """Money placed so far, as a flow, with the fund-to-fund residual graph kept up to date.

    Funds and candidates are numbered: funds by preference order, candidates by priority order.
    `holders[f][g]` lists (as an insertion-ordered dict) the candidates holding money in fund f
    who are also eligible for fund g; `capacity[f][g]` is the sum of their holdings in f: how
    much could move from f to g. Every change goes through `_change`, which keeps both right and
    logs it, so a failed attempt can be undone exactly.

    Once the money runs out most candidates find nothing, and each would search the whole graph
    again. A search that finds no way reaches a closed set of funds, none with room; while
    nothing changes (`_changes`), a candidate eligible only for funds in it finds nothing
    either, and is told so without searching (`_dead_end`).
    """

    def __init__(self, budgets: list[int]):
        self.fund_count = len(budgets)
        self.remaining = list(budgets)
        self.holdings: dict[int, dict[int, int]] = {}
        self.eligible: dict[int, tuple[int, ...]] = {}
        self.holders = [[{} for _ in budgets] for _ in budgets]
        self.capacity = [[0] * self.fund_count for _ in budgets]
        self._log: list[tuple[int, int, int]] = []
        self._changes = 0
        self._dead_end: set[int] = set()  # funds searched in vain since the last change
        self._dead_end_at = 0  # the value of `_changes` when they were
        self._reached: dict[int, int | None] = {}

    def _change(self, who: int, fund: int, delta: int) -> None:
        self._changes += 1
        holding = self.holdings[who]
        before = holding.get(fund, 0)
        after = before + delta
        if after:
            holding[fund] = after
        else:
            del holding[fund]
        self.remaining[fund] -= delta
        fund_holders = self.holders[fund]
        fund_capacity = self.capacity[fund]
        for other in self.eligible[who]:
            if other == fund:
                continue
            fund_capacity[other] += delta
            if before == 0:
                fund_holders[other][who] = None
            elif after == 0:
                del fund_holders[other][who]
        self._log.append((who, fund, delta))

    def _move(self, source: int, target: int, amount: int) -> None:
        # Collect first: moving a holder's whole share removes it from the dict being read.
        moves = []
        left = amount
        for who in self.holders[source][target]:
            taken = min(self.holdings[who][source], left)
            moves.append((who, taken))
            left -= taken
            if not left:
                break
        for who, taken in moves:
            self._change(who, source, -taken)
            self._change(who, target, taken)

    def _shortest_path(self, starts: tuple[int, ...]) -> list[int] | None:
        """Funds from one the newcomer may use to one with room, each reachable from the previous
        by moving a holder; None when there is none."""
        for fund in starts:
            if self.remaining[fund] > 0:
                return [fund]
        parent: dict[int, int | None] = dict.fromkeys(starts)
        queue = deque(starts)
        while queue:
            fund = queue.popleft()
            for other, room in enumerate(self.capacity[fund]):  # numbering is the preference order
                if room > 0 and other not in parent:
                    parent[other] = fund
                    if self.remaining[other] > 0:
                        path = [other]
                        while parent[path[-1]] is not None:
                            path.append(parent[path[-1]])
                        return path[::-1]
                    queue.append(other)
        self._reached = parent
        return None

    def place(self, who: int, amount: int, eligible: tuple[int, ...]) -> int:
        """Try to pay `amount` to candidate `who`; keep it and return `amount` if it fits with
        everyone placed before, else undo everything and return the most that could be found."""
        if self._dead_end_at == self._changes and self._dead_end.issuperset(eligible):
            return 0
        self.eligible[who] = eligible
        self.holdings[who] = {}
        self._log = []
        for fund in eligible:
            if self.remaining[fund] >= amount:
                self._change(who, fund, amount)
                return amount
        needed = amount
        while needed:
            path = self._shortest_path(eligible)
            if path is None:
                if needed == amount:  # nothing moved: the funds reached are a dead end as they stand
                    if self._dead_end_at != self._changes:
                        self._dead_end, self._dead_end_at = set(), self._changes
                    self._dead_end.update(self._reached)
                break
            pushed = min(needed, self.remaining[path[-1]])
            for source, target in pairwise(path):
                pushed = min(pushed, self.capacity[source][target])
            self._change(who, path[0], pushed)
            for source, target in pairwise(path):
                self._move(source, target, pushed)
            needed -= pushed
        if needed:
            found = amount - needed
            attempt, self._log = self._log, []
            for logged_who, fund, delta in reversed(attempt):
                self._change(logged_who, fund, -delta)
            del self.holdings[who], self.eligible[who]
            return found
        return amount

    def gather_split_awards(self, placed: list[int], amounts: dict[int, int]) -> None:
        for who in placed:
            holding = self.holdings[who]
            if len(holding) < 2:
                continue
            for target in self.eligible[who]:
                if self.remaining[target] + holding.get(target, 0) >= amounts[who]:
                    for source, share in list(holding.items()):
                        if source != target:
                            self._change(who, source, -share)
                            self._change(who, target, share)
                    break


def _priority_order(candidates: list[Candidate]) -> list[Candidate]:
    by_id = sorted(candidates, key=lambda candidate: candidate.candidate_id)
    try:
        # A stable sort: equal priorities keep the candidate_id order of `by_id`.
        return sorted(by_id, key=lambda candidate: candidate.priority, reverse=True)
    except TypeError as error:
        raise TypeError("all candidates' priorities must be of one comparable kind") from error


@dataclass(frozen=True)
class QuotaLabel:
    """What an explanation says of a unit's quota when a run is one of several.

    `allocate` only sees what is left of a quota (`quotas`); the program's quota and the awards
    approved before this run are what a person compares it with, so the explanation names them.
    """

    unit_name: str
    total: int  # the program's quota for the unit
    approved_before: int  # awards approved or paid before this run, counted against it


def _quota_explanation(left: int, label: QuotaLabel | None) -> str:
    """Why a quota stopped a nominee: the quota that bound, by its unit, with what used it up."""
    if label is None:  # a bare run: the quota is what was given
        if left == 0:
            return gettext("Không được cấp: đơn vị đề cử không có chỉ tiêu suất nào trong chương trình này.")
        return gettext(
            "Không được cấp: đơn vị đề cử đã đủ chỉ tiêu %(quota)s suất, đã dành cho các học sinh xếp trên."
        ) % {"quota": left}
    values = {"unit": label.unit_name, "total": label.total, "before": label.approved_before, "left": left}
    if label.total == 0:
        return gettext("Không được cấp: %(unit)s không có chỉ tiêu suất nào trong chương trình này.") % values
    if left == 0:
        return gettext(
            "Không được cấp: chỉ tiêu %(total)s suất của %(unit)s đã dùng hết cho các suất được duyệt "
            "trước đợt xét này."
        ) % values
    if label.approved_before == 0:
        return gettext(
            "Không được cấp: %(unit)s đã đủ chỉ tiêu %(total)s suất, đã dành cho các học sinh xếp trên."
        ) % values
    return gettext(
        "Không được cấp: %(unit)s đã đủ chỉ tiêu %(total)s suất (%(before)s suất đã duyệt trước đợt xét "
        "này, %(left)s suất còn lại đã dành cho các học sinh xếp trên)."
    ) % values


def _explanation(reason: Reason, *, amount: int, shares: list[tuple[Fund, int]],
                 eligible: list[Fund], available: int | None, quota: int | None,
                 quota_label: QuotaLabel | None = None) -> str:
    if reason == Reason.FUNDED:
        if len(shares) == 1:
            return gettext("Được cấp %(amount)s từ %(fund)s.") % {
                "amount": format_vnd(amount), "fund": shares[0][0].display_name,
            }
        parts = "; ".join(f"{fund.display_name}: {format_vnd(share)}" for fund, share in shares)
        return gettext("Được cấp %(amount)s, chi từ nhiều quỹ: %(shares)s.") % {
            "amount": format_vnd(amount), "shares": parts,
        }
    if reason == Reason.ALREADY_AWARDED:
        return gettext(
            "Không xét: học sinh đã nhận một suất học bổng trong đợt này (mỗi học sinh chỉ nhận "
            "một suất mỗi đợt)."
        )
    if reason == Reason.NOT_ELIGIBLE:
        return gettext(
            "Không được cấp: không quỹ nào của chương trình được phép chi cho học sinh này (theo "
            "địa bàn hoặc hoàn cảnh mà từng quỹ quy định)."
        )
    if reason == Reason.QUOTA_REACHED:
        return _quota_explanation(quota, quota_label)
    names = ", ".join(fund.display_name for fund in eligible)
    if reason == Reason.BUDGET_INSUFFICIENT:
        return gettext(
            "Không được cấp: các quỹ học sinh được nhận (%(funds)s) chỉ có tổng cộng %(available)s, "
            "ít hơn mức học bổng %(amount)s."
        ) % {"funds": names, "available": format_vnd(available), "amount": format_vnd(amount)}
    return gettext(
        "Không được cấp: tiền của các quỹ học sinh được nhận (%(funds)s) đã dành cho các học sinh "
        "xếp trên; không bớt của các em đó thì chỉ thu xếp được %(available)s, ít hơn mức học bổng "
        "%(amount)s."
    ) % {"funds": names, "available": format_vnd(available), "amount": format_vnd(amount)}


def allocate(
    *,
    candidates: Iterable[Candidate],
    funds: Iterable[Fund],
    quotas: Mapping[int, int] | None = None,
    quota_labels: Mapping[int, QuotaLabel] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AllocationResult:
    """Decide every candidate's award; see the module docstring for the rules.

    `quotas` maps a unit id to the most awards its students may receive in this run;
    `quota_labels`, by the same unit ids, what the explanations say of those quotas.
    `progress(done, total)`, when given, hears how many candidates have been decided, about
    fifty times in a run (a large program's job shows it); it does not change the result.
    """
    candidates = list(candidates)
    funds = list(funds)
    quotas = dict(quotas or {})
    quota_labels = dict(quota_labels or {})
    if len({candidate.candidate_id for candidate in candidates}) != len(candidates):
        raise ValueError("candidate ids must be unique")
    if len({fund.fund_id for fund in funds}) != len(funds):
        raise ValueError("fund ids must be unique")
    for unit_id, quota in quotas.items():
        _check_id(unit_id, "quota unit id")
        _check_id(quota, f"quota of unit {unit_id}")
        if quota < 0:
            raise ValueError(f"quota of unit {unit_id} must be zero or more, got {quota}")

    ordered_funds = sorted(funds, key=lambda fund: (fund.is_restricted, fund.fund_id))
    ordered_candidates = _priority_order(candidates)
    flow = _Flow([fund.budget for fund in ordered_funds])
    awards_per_unit: dict[int, int] = {}
    placed: list[int] = []
    outcomes: list[tuple[Reason, tuple[int, ...], int | None, int | None]] = []

    report_every = max(1, len(ordered_candidates) // 50)
    eligibility: dict[tuple[str, frozenset[str]], tuple[int, ...]] = {}
    by_unit_path: dict[str, tuple[int, ...]] = {}
    by_circumstance_set: dict[frozenset[str], frozenset[int]] = {}
    budgets: dict[tuple[int, ...], int] = {}  # the whole budgets of a set of eligible funds
    for index, candidate in enumerate(ordered_candidates):
        if progress is not None and index % report_every == 0:
            progress(index, len(ordered_candidates))
        # Whom a fund admits depends only on the unit's path and the circumstances, which
        # thousands of candidates share: each path, and each set of circumstances, is checked
        # against the funds once, and each pair of them is their intersection, worked out once.
        key = (candidate.unit_path, candidate.circumstances)
        eligible = eligibility.get(key)
        if eligible is None:
            by_path = by_unit_path.get(candidate.unit_path)
            if by_path is None:
                by_path = by_unit_path[candidate.unit_path] = tuple(
                    number for number, fund in enumerate(ordered_funds)
                    if fund.restriction is None or fund.restriction.admits_unit_path(candidate.unit_path)
                )
            by_circumstances = by_circumstance_set.get(candidate.circumstances)
            if by_circumstances is None:
                by_circumstances = by_circumstance_set[candidate.circumstances] = frozenset(
                    number for number, fund in enumerate(ordered_funds)
                    if fund.restriction is None or fund.restriction.admits_circumstances(candidate.circumstances)
                )
            eligible = eligibility[key] = tuple(number for number in by_path if number in by_circumstances)
            budgets.setdefault(eligible, sum(ordered_funds[number].budget for number in eligible))
        available = quota = None
        quota_of_unit = quotas.get(candidate.unit_id)
        if candidate.already_awarded_this_cycle:
            reason = Reason.ALREADY_AWARDED
        elif not eligible:
            reason = Reason.NOT_ELIGIBLE
        elif quota_of_unit is not None and awards_per_unit.get(candidate.unit_id, 0) >= quota_of_unit:
            reason, quota = Reason.QUOTA_REACHED, quota_of_unit
        elif budgets[eligible] < candidate.amount:
            # Said apart from the next reason: nobody ranked higher is to blame.
            reason = Reason.BUDGET_INSUFFICIENT
            available = budgets[eligible]
        else:
            found = flow.place(index, candidate.amount, eligible)
            if found == candidate.amount:
                reason = Reason.FUNDED
                placed.append(index)
                awards_per_unit[candidate.unit_id] = awards_per_unit.get(candidate.unit_id, 0) + 1
            else:
                reason, available = Reason.BUDGET_USED_BY_HIGHER_PRIORITY, found
        outcomes.append((reason, eligible, available, quota))

    flow.gather_split_awards(placed, {index: ordered_candidates[index].amount for index in placed})

    decisions = []
    # Most candidates share their explanation (and their list of eligible funds) with many others:
    # each distinct one is written once.
    explanations: dict[tuple, str] = {}
    # A fund without a name is called by its number in the current language: said once per fund.
    named_funds = [fund if fund.name else replace(fund, name=fund.display_name) for fund in ordered_funds]
    eligible_ids: dict[tuple[int, ...], tuple[int, ...]] = {}
    for index, (candidate, (reason, eligible, available, quota)) in enumerate(
        zip(ordered_candidates, outcomes, strict=True)
    ):
        shares = []
        if reason == Reason.FUNDED:
            shares = sorted(
                ((named_funds[number], share) for number, share in flow.holdings[index].items()),
                key=lambda pair: pair[0].fund_id,
            )
        quota_label = quota_labels.get(candidate.unit_id) if reason == Reason.QUOTA_REACHED else None
        key = (reason, candidate.amount, tuple((fund.fund_id, share) for fund, share in shares), eligible, available,
               quota, quota_label)
        explanation = explanations.get(key)
        if explanation is None:
            explanation = explanations[key] = _explanation(
                reason, amount=candidate.amount, shares=shares,
                eligible=[named_funds[number] for number in eligible],
                available=available, quota=quota, quota_label=quota_label,
            )
        fund_ids = eligible_ids.get(eligible)
        if fund_ids is None:
            fund_ids = eligible_ids[eligible] = tuple(ordered_funds[number].fund_id for number in eligible)
        decisions.append(Decision(
            candidate_id=candidate.candidate_id,
            rank=index + 1,
            reason=reason,
            amount=candidate.amount,
            shares=tuple(FundShare(fund_id, share) for fund_id, share in key[2]),
            eligible_fund_ids=fund_ids,
            available=available,
            quota=quota,
            explanation=explanation,
        ))
    fund_totals = sorted(
        (
            FundTotal(fund.fund_id, fund.budget, fund.budget - flow.remaining[number], flow.remaining[number])
            for number, fund in enumerate(ordered_funds)
        ),
        key=lambda total: total.fund_id,
    )
    return AllocationResult(decisions=tuple(decisions), fund_totals=tuple(fund_totals))

"""Yardsticks for `scholarships.allocation.allocate`: first-fit greedy and an exact solver (MILP).

Pure functions of the same `Candidate`s, `Fund`s and quotas `allocate` takes; no database. Used by
`bench/allocation.py` and by `tests/scholarships/test_allocation_exact.py`. Needs scipy (pinned in
requirements/dev.txt): `scipy.optimize.milp`, which runs HiGHS.

The model (the same feasibility rule as `allocate`): a candidate is funded (x[c] in {0, 1}) with
shares y[c,f] >= 0 from the funds f whose restriction admits them (no variable where it does not);
the shares of a funded candidate sum to their amount (sum_f y[c,f] = amount[c] * x[c]), a fund pays
at most its budget (sum_c y[c,f] <= budget[f]), a unit's funded candidates are at most its quota,
and a candidate already awarded this cycle is never funded. The shares may split an award over
several funds, as `allocate` may; they need not be declared integral: once x is fixed what is left
is a flow problem with integral data, which has an integral solution whenever it has one at all,
so shares in whole dong exist exactly when the relaxed shares do. Money is divided by the greatest
common divisor of every amount and budget first (a million dong in the bench), so the solver sees
small numbers.

Two optima:
- `max_funded`: the most candidates that can be funded together, priority ignored (one MILP).
- `priority_optimum`: the optimum under the priority rule `allocate` states (its module
  docstring): the lexicographically greatest feasible set in priority order. Solved as a
  lexicographic programme, one solve per candidate in priority order: maximise x[c] with the
  decisions of every higher-ranked candidate fixed. Lower-ranked candidates cannot make x[c] = 1
  possible (dropping them only frees money and quota), so they are held at 0, and each solve is a
  feasibility question: can everyone kept so far and this one be paid together?

When every award is the same amount and no quota binds, the feasible sets are the independent sets
of a matroid (they are the sets of candidates that a flow network can saturate, a gammoid once the
money is counted in awards), so the priority optimum is also a maximum: `allocate` funds exactly
`max_funded`, hence never fewer than first fit. With unit quotas (a second matroid: the
intersection of two is not one) or unequal amounts (a knapsack), the priority optimum may fund
fewer than `max_funded`, and even fewer than first fit: the rule keeps a higher-ranked student
whom first fit would have refused, and the money or the quota so spent may have paid two
lower-ranked ones. The tests show such an instance.
"""

from collections.abc import Iterable, Mapping
from math import gcd

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from scholarships.allocation import Candidate, Fund, FundRestriction


def priority_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """`allocate`'s order: greater priority first, ties by the lower candidate_id."""
    by_id = sorted(candidates, key=lambda candidate: candidate.candidate_id)
    return sorted(by_id, key=lambda candidate: candidate.priority, reverse=True)


def preference_order(funds: Iterable[Fund]) -> list[Fund]:
    """`allocate`'s fund order: unrestricted funds first, then by fund_id."""
    return sorted(funds, key=lambda fund: (fund.is_restricted, fund.fund_id))


def first_fit(candidates: Iterable[Candidate], funds: Iterable[Fund],
              quotas: Mapping[int, int] | None = None) -> set[int]:
    """First-fit greedy: in priority order, each candidate takes the first fund (in `allocate`'s
    preference order) that admits them and still holds the whole award; nothing is ever moved
    or split. Returns the funded candidate ids."""
    return set(first_fit_placed(candidates, funds, quotas))


def first_fit_placed(candidates: Iterable[Candidate], funds: Iterable[Fund],
                     quotas: Mapping[int, int] | None = None) -> dict[int, int]:
    """`first_fit`, saying where: {funded candidate_id: the fund_id that pays the whole award},
    in priority order."""
    funds = preference_order(funds)
    remaining = [fund.budget for fund in funds]
    quotas = dict(quotas or {})
    per_unit: dict[int, int] = {}
    funded: dict[int, int] = {}
    for candidate in priority_order(candidates):
        if candidate.already_awarded_this_cycle:
            continue
        if candidate.unit_id in quotas and per_unit.get(candidate.unit_id, 0) >= quotas[candidate.unit_id]:
            continue
        for number, fund in enumerate(funds):
            if remaining[number] >= candidate.amount and fund.admits(candidate):
                remaining[number] -= candidate.amount
                per_unit[candidate.unit_id] = per_unit.get(candidate.unit_id, 0) + 1
                funded[candidate.candidate_id] = fund.fund_id
                break
    return funded


class Model:
    """The MILP of an instance: x[c] for every candidate some fund admits, then y[c,f]."""

    def __init__(self, candidates: Iterable[Candidate], funds: Iterable[Fund],
                 quotas: Mapping[int, int] | None = None):
        self.candidates = priority_order(candidates)
        self.funds = preference_order(funds)
        quotas = dict(quotas or {})
        unit = 0
        for value in [c.amount for c in self.candidates] + [f.budget for f in self.funds]:
            unit = gcd(unit, value)
        unit = unit or 1
        self.eligible = [
            [number for number, fund in enumerate(self.funds) if fund.admits(candidate)]
            for candidate in self.candidates
        ]
        count = len(self.candidates)
        pairs = [(c, f) for c, funds_of in enumerate(self.eligible) for f in funds_of]
        self.variables = count + len(pairs)
        rows, cols, values, lower, upper = [], [], [], [], []

        def row(entries, low, high):
            for column, value in entries:
                rows.append(len(lower))
                cols.append(column)
                values.append(value)
            lower.append(low)
            upper.append(high)

        shares_of = [[] for _ in range(count)]
        payers_of = [[] for _ in self.funds]
        for position, (c, f) in enumerate(pairs):
            shares_of[c].append(count + position)
            payers_of[f].append(count + position)
        for c, candidate in enumerate(self.candidates):  # the shares pay the award exactly
            row([(column, 1.0) for column in shares_of[c]] + [(c, -candidate.amount / unit)], 0.0, 0.0)
        for f, fund in enumerate(self.funds):  # no fund pays more than its budget
            if payers_of[f]:
                row([(column, 1.0) for column in payers_of[f]], 0.0, fund.budget / unit)
        for unit_id, quota in quotas.items():  # a unit's quota
            members = [c for c, candidate in enumerate(self.candidates) if candidate.unit_id == unit_id]
            if members:
                row([(c, 1.0) for c in members], 0.0, float(quota))
        self.constraint = LinearConstraint(
            coo_array((values, (rows, cols)), shape=(len(lower), self.variables)).tocsr(), lower, upper,
        )
        self.integrality = np.concatenate([np.ones(count), np.zeros(len(pairs))])
        self.share_upper = np.array([self.candidates[c].amount / unit for c, _ in pairs], dtype=float)
        # Never funded: already awarded, or no fund admits them.
        self.never = [c for c, candidate in enumerate(self.candidates)
                      if candidate.already_awarded_this_cycle or not self.eligible[c]]

    def solve(self, objective: np.ndarray, x_lower: np.ndarray, x_upper: np.ndarray):
        x_upper = x_upper.copy()
        x_upper[self.never] = 0
        bounds = Bounds(np.concatenate([x_lower, np.zeros(len(self.share_upper))]),
                        np.concatenate([x_upper, self.share_upper]))
        return milp(objective, constraints=self.constraint, integrality=self.integrality, bounds=bounds)

    def funded_ids(self, solution) -> set[int]:
        return {self.candidates[c].candidate_id for c in range(len(self.candidates)) if solution.x[c] > 0.5}


def max_funded(candidates: Iterable[Candidate], funds: Iterable[Fund],
               quotas: Mapping[int, int] | None = None) -> set[int]:
    """A largest set of candidates that can all be funded together (priority ignored)."""
    model = Model(candidates, funds, quotas)
    count = len(model.candidates)
    objective = np.concatenate([-np.ones(count), np.zeros(len(model.share_upper))])
    result = model.solve(objective, np.zeros(count), np.ones(count))
    if result.status != 0:
        raise RuntimeError(f"milp: {result.message}")
    return model.funded_ids(result)


def priority_optimum(candidates: Iterable[Candidate], funds: Iterable[Fund],
                     quotas: Mapping[int, int] | None = None) -> set[int]:
    """The lexicographically greatest feasible set in priority order, by successive solves."""
    model = Model(candidates, funds, quotas)
    count = len(model.candidates)
    objective = np.zeros(model.variables)
    lower, upper = np.zeros(count), np.zeros(count)
    never = set(model.never)
    for c in range(count):
        if c in never:
            continue
        lower[c] = upper[c] = 1
        result = model.solve(objective, lower, upper)
        if result.status != 0:  # 2: infeasible, this one cannot be added
            if result.status != 2:
                raise RuntimeError(f"milp: {result.message}")
            lower[c] = upper[c] = 0
    return {model.candidates[c].candidate_id for c in range(count) if upper[c]}


CIRCUMSTANCES = ("poor", "near_poor", "orphan", "disability", "ethnic_minority", "remote")
MILLION = 1_000_000


def random_instance(rng, *, candidates: int, funds: int, equal_amounts: bool = True,
                    quotas: bool = False, communes: int = 4, branches_per_commune: int = 3):
    """A small made-up instance of the bench's shape: a province, its communes and their branches;
    funds unrestricted, or restricted to overlapping sets of communes or branches, or to some
    circumstances; budgets for about half the demand. Returns (candidates, funds, quotas)."""
    province = "0000000001."
    commune_paths = [f"{province}{2 + n:010d}." for n in range(communes)]
    branch_ids, paths = [], {}
    for n, commune in enumerate(commune_paths):
        for b in range(branches_per_commune):
            unit_id = 100 + n * branches_per_commune + b
            branch_ids.append(unit_id)
            paths[unit_id] = f"{commune}{unit_id:010d}."
    people = []
    for candidate_id in range(1, candidates + 1):
        unit_id = rng.choice(branch_ids)
        people.append(Candidate(
            candidate_id=candidate_id, priority=rng.randrange(0, 20), unit_id=unit_id, unit_path=paths[unit_id],
            amount=MILLION if equal_amounts else rng.choice([MILLION, 3 * MILLION // 2, 2 * MILLION, 3 * MILLION]),
            circumstances=frozenset(rng.sample(CIRCUMSTANCES, rng.choice([0, 0, 1, 1, 2]))),
            already_awarded_this_cycle=rng.random() < 0.03,
        ))
    demand = sum(person.amount for person in people)
    money = []
    for fund_id in range(1, funds + 1):
        kind = "none" if fund_id == 1 else rng.choice(["none", "units", "units", "circumstances"])
        restriction = None
        if kind == "units":
            pool = commune_paths + [paths[unit_id] for unit_id in branch_ids]
            restriction = FundRestriction(unit_path_prefixes=frozenset(rng.sample(pool, rng.randint(1, 4))))
        elif kind == "circumstances":
            restriction = FundRestriction(circumstances=frozenset(rng.sample(CIRCUMSTANCES, rng.randint(1, 2))))
        share = demand // 2 // funds
        budget = rng.randint(share // 2, share * 3 // 2)
        if equal_amounts:  # in whole awards, or an award and a half now and then: splits happen
            budget = budget // MILLION * MILLION + rng.choice([0, 0, MILLION // 2])
        money.append(Fund(fund_id=fund_id, budget=budget, restriction=restriction))
    limits = {}
    if quotas:
        limits = {unit_id: rng.randint(0, 3) for unit_id in rng.sample(branch_ids, len(branch_ids) // 2)}
    return people, money, limits

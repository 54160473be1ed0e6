"""`allocate` against an exact solver (`bench/allocation_exact.py`: MILP by scipy/HiGHS) and against
first-fit greedy, on seeded random small instances. Pure Python, no database.

What `allocate` claims (its module docstring): the funded set is the lexicographically greatest
feasible set in priority order. The exact solver computes that optimum by successive solves, and
the largest feasible set with priority ignored by one MILP. With equal awards and no quota the two
have the same size (a matroid), so `allocate` funds as many as anyone could, hence never fewer
than first fit; with quotas or unequal awards the priority rule may cost awards, shown below.
"""

import importlib.util
import random
from pathlib import Path

import pytest

from scholarships.allocation import Candidate, Fund, FundRestriction, allocate
from tests.conftest import require_service

try:
    import scipy  # noqa: F401  (dev requirements; the exact solver needs it)
except ImportError:  # a dev machine without the dev requirements
    exact = None
else:
    _spec = importlib.util.spec_from_file_location(
        "allocation_exact", Path(__file__).resolve().parents[2] / "bench" / "allocation_exact.py",
    )
    exact = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(exact)

MILLION = 1_000_000


@pytest.fixture(autouse=True)
def _needs_scipy():
    require_service(exact is not None, "scipy (requirements/dev.txt)")


def funded(candidates, funds, quotas) -> set[int]:
    return {d.candidate_id for d in allocate(candidates=candidates, funds=funds, quotas=quotas).funded}


@pytest.mark.parametrize("seed", range(30))
def test_equal_awards_funded_as_many_as_the_exact_optimum_and_never_fewer_than_first_fit(seed):
    rng = random.Random(seed)
    candidates, funds, quotas = exact.random_instance(
        rng, candidates=rng.randint(10, 30), funds=rng.randint(2, 6), equal_amounts=True,
    )
    got = funded(candidates, funds, quotas)
    best = exact.max_funded(candidates, funds, quotas)
    greedy = exact.first_fit(candidates, funds, quotas)
    assert len(got) == len(best)
    assert len(got) >= len(greedy)
    assert got == exact.priority_optimum(candidates, funds, quotas)


@pytest.mark.parametrize("seed", range(12))
def test_with_quotas_and_unequal_awards_the_funded_set_is_the_exact_priority_optimum(seed):
    rng = random.Random(1000 + seed)
    candidates, funds, quotas = exact.random_instance(
        rng, candidates=rng.randint(10, 25), funds=rng.randint(2, 5), equal_amounts=seed % 2 == 0, quotas=seed % 3 != 2,
    )
    got = funded(candidates, funds, quotas)
    assert got == exact.priority_optimum(candidates, funds, quotas)
    assert len(got) <= len(exact.max_funded(candidates, funds, quotas))


def test_a_quota_can_make_the_priority_rule_fund_fewer_than_first_fit():
    """Three funds of one award each: the unrestricted one, one for poor students, one for a
    branch of commune B; commune B may receive one award. First fit gives the unrestricted money
    to the poor student ranked first and refuses the second (from B, not poor, not of that
    branch), so the poor fund pays the third and B's quota and branch fund pay the fourth. The
    priority rule moves the first onto the poor students' fund and pays the second, who takes
    the money the third could have had and B's quota. Two funded against first fit's three; the
    largest feasible set, {1, 3, 4}, leaves out the second although nothing ranked above her
    stops her being paid, which the rule does not allow."""
    commune_a, commune_b = "0000000001.0000000002.", "0000000001.0000000003."
    branch_b1, branch_b2 = commune_b + "0000000004.", commune_b + "0000000005."
    funds = [
        Fund(fund_id=1, budget=MILLION),
        Fund(fund_id=2, budget=MILLION, restriction=FundRestriction(circumstances={"poor"})),
        Fund(fund_id=3, budget=MILLION, restriction=FundRestriction(unit_path_prefixes={branch_b2})),
    ]
    # unit_id is the quota's unit, as allocation_run gives it (commune B covers its branches).
    candidates = [
        Candidate(candidate_id=1, priority=4, amount=MILLION, unit_id=2, unit_path=commune_a, circumstances={"poor"}),
        Candidate(candidate_id=2, priority=3, amount=MILLION, unit_id=3, unit_path=branch_b1),
        Candidate(candidate_id=3, priority=2, amount=MILLION, unit_id=2, unit_path=commune_a, circumstances={"poor"}),
        Candidate(candidate_id=4, priority=1, amount=MILLION, unit_id=3, unit_path=branch_b2),
    ]
    quotas = {3: 1}

    assert funded(candidates, funds, quotas) == {1, 2} == exact.priority_optimum(candidates, funds, quotas)
    assert exact.first_fit(candidates, funds, quotas) == {1, 3, 4}
    assert exact.max_funded(candidates, funds, quotas) == {1, 3, 4}

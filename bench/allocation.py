"""How does an allocation run's cost grow with the program, and how many does it fund? (PostgreSQL)

    .venv/bin/python bench/allocation.py --students 5000,50000,100000 --funds 50 --repeat 1
    .venv/bin/python bench/allocation.py --students 5000 --exact 30x3,60x4,100x6,200x8

Creates (drops first) the database `fundmgr_bench_allocation` (or BENCH_DATABASE_URL), migrates
it, and loads an association of 166 units: a province, 33 communes and 4 branches (chi hội) in
each. For each size in `--students` (bulk inserts: loading is not what is measured): `--funds`
funds with money in the ledger and overlapping restrictions (one in five unrestricted; two in
five restricted to 2 to 8 communes or branches drawn at random, so the sets overlap; two in five
to one or two circumstances, which a student may share), one program using them all with budgets
for about two thirds of the awards, and that many nominated students in the branches with
varied scores and circumstances; every award is the program's amount, no unit quota.

Measured at each size, best of `--repeat`:
- baseline: reading what a run reads: the nominations with their students and units, the
  program's funds with their restrictions, and the funds' available balances;
- the pure decision, `scholarships.allocation.allocate`, on those inputs;
- first-fit greedy (`bench/allocation_exact.py`) on the same inputs: each candidate in priority
  order takes the first fund with room for the whole award, nothing moved or split;
- first fit with the run's I/O (`first_fit_run`, issue #17's baseline for the whole run): the
  same reading, first fit, and the same bulk INSERTs of the funded awards and their shares,
  rolled back;
- `scholarships.services.awards.allocation_run`: the whole service (locks, reads, decision, the
  stored run with its inputs and decisions, the proposed awards and their shares, the audit row).
Prints the times, the service's ratio to the reading and to first fit with the run's I/O (issue
#17: at most 5), `allocate()`'s to first fit alone, how many each funds (and fails if
`allocate` funds fewer than first fit), and, between consecutive sizes, how each time grew
against the number of nominations.

`--exact`: small in-memory instances (candidates x funds, three seeds each, equal awards, then the
same with unit quotas) solved exactly by `scipy.optimize.milp` (`bench/allocation_exact.py`):
the largest feasible set, and the optimum under the priority rule; fails unless `allocate` funds
exactly the priority optimum, and as many as the largest set when there is no quota.
Not part of the test suite.
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database, timed  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_allocation"
AWARD = 1_000_000
COMMUNES, BRANCHES_PER_COMMUNE = 33, 4  # with the province: 166 units
CIRCUMSTANCE_FIELDS = ("poor_household", "near_poor_household", "orphan", "disability", "ethnic_minority",
                       "remote_area")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="5000", help="sizes, comma-separated: 5000,50000,100000")
    parser.add_argument("--funds", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--milp-up-to", type=int, default=0,
                        help="also solve the largest feasible set by MILP at sizes up to this one")
    parser.add_argument("--exact", default="", help="small instances for the MILP, e.g. 30x3,60x4,100x6,200x8")
    options = parser.parse_args()
    sizes = [int(text) for text in options.students.split(",") if text]

    django_on_bench_database(DEFAULT_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    units = load_units()
    failures = []
    rows = []
    for size in sizes:
        rows.append(measure(size, options.funds, options.repeat, units, failures, milp=size <= options.milp_up_to))
    if len(rows) > 1:
        print("\ngrowth from one size to the next (time ratio against nominations ratio):")
        for before, after in zip(rows, rows[1:], strict=False):
            factor = after["size"] / before["size"]
            parts = ", ".join(f"{label} ×{after[key] / before[key]:.1f}" for key, label in (
                ("allocate", "allocate()"), ("service", "allocation_run"), ("baseline", "baseline"),
                ("first_fit", "first fit"), ("greedy_run", "first fit with I/O"),
            ))
            print(f"  {before['size']:,} → {after['size']:,} (×{factor:.0f} nominations): {parts}")
    if options.exact:
        small_instances(options.exact, failures)
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


def measure(size: int, fund_count: int, repeat: int, units, failures: list[str], *, milp: bool) -> dict:
    import allocation_exact as exact  # bench/, once Django is set up

    from scholarships import allocation
    from scholarships.services import awards

    started = time.perf_counter()
    program = load(size, fund_count, units)
    print(f"\n--- {size:,} nominations, {fund_count} funds, 166 units "
          f"(loaded in {time.perf_counter() - started:.1f} s)")
    baseline = min(timed(lambda: read_inputs(program)) for _ in range(repeat))
    candidates, funds, _students = decision_inputs(program)
    results = []
    decide = min(timed(lambda: results.append(allocation.allocate(candidates=candidates, funds=funds)))
                 for _ in range(repeat))
    greedy = []
    first_fit = min(timed(lambda: greedy.append(exact.first_fit(candidates, funds))) for _ in range(repeat))
    greedy_runs = []
    greedy_run = min(timed(lambda: greedy_runs.append(first_fit_run(program))) for _ in range(repeat))
    runs = []
    service = min(timed(lambda: runs.append(awards.allocation_run(program=program))) for _ in range(repeat))
    funded, greedy_funded, run = len(results[-1].funded), len(greedy[-1]), runs[-1]
    print(f"baseline, reading the run's inputs:   {baseline:7.2f} s")
    print(f"allocate() alone:                     {decide:7.2f} s")
    print(f"first-fit greedy, same inputs:        {first_fit:7.2f} s")
    print(f"first fit with the run's I/O:         {greedy_run:7.2f} s")
    print(f"allocation_run (the service):         {service:7.2f} s")
    print(f"ratio allocation_run / baseline:      {service / baseline:7.2f}")
    print(f"ratio allocate() / baseline:          {decide / baseline:7.2f}")
    print(f"ratio allocate() / first fit:         {decide / first_fit:7.2f}")
    print(f"ratio allocation_run / first fit with the run's I/O (issue #17: at most 5): {service / greedy_run:7.2f}")
    print(f"funded: allocate() {funded:,}, allocation_run {run.funded_count:,}, first fit {greedy_funded:,} "
          f"(+{funded - greedy_funded:,}); awards the budgets could pay: {sum(f.budget for f in funds) // AWARD:,}")
    if funded < greedy_funded:
        failures.append(f"at {size:,}: allocate() funds {funded:,}, fewer than first fit's {greedy_funded:,}")
    if milp:
        started = time.perf_counter()
        best = len(exact.max_funded(candidates, funds))
        print(f"largest feasible set (MILP):          {best:7,} ({time.perf_counter() - started:.1f} s)")
        if best != funded:
            failures.append(f"at {size:,}: allocate() funds {funded:,}, the MILP {best:,}")
    if greedy_runs[-1] != greedy_funded:
        failures.append(f"at {size:,}: first fit with I/O funds {greedy_runs[-1]:,}, first fit {greedy_funded:,}")
    if run.funded_count != funded:
        failures.append(f"at {size:,}: allocation_run funds {run.funded_count:,}, allocate() {funded:,}")
    return {"size": size, "baseline": baseline, "allocate": decide, "first_fit": first_fit, "service": service,
            "greedy_run": greedy_run}


def small_instances(spec: str, failures: list[str]) -> None:
    import allocation_exact as exact  # bench/, once Django is set up

    from scholarships.allocation import allocate

    print("\nsmall instances against the exact MILP (scipy.optimize.milp, HiGHS); equal awards:")
    print(f"{'candidates':>10} {'funds':>5} {'quotas':>6} {'seed':>4}  {'allocate':>8} {'first fit':>9} "
          f"{'MILP max':>8} {'priority opt':>12}  same set  MILP time")
    for item in spec.split(","):
        count, fund_count = (int(part) for part in item.lower().split("x"))
        for quotas in (False, True):
            for seed in range(3):
                rng = random.Random(seed * 1000 + count + fund_count)
                candidates, funds, limits = exact.random_instance(
                    rng, candidates=count, funds=fund_count, quotas=quotas,
                )
                funded = {d.candidate_id for d in allocate(candidates=candidates, funds=funds, quotas=limits).funded}
                started = time.perf_counter()
                best = exact.max_funded(candidates, funds, limits)
                optimum = exact.priority_optimum(candidates, funds, limits)
                solving = time.perf_counter() - started
                greedy = exact.first_fit(candidates, funds, limits)
                print(f"{count:>10} {fund_count:>5} {'yes' if quotas else 'no':>6} {seed:>4}  {len(funded):>8} "
                      f"{len(greedy):>9} {len(best):>8} {len(optimum):>12}  {'yes' if funded == optimum else 'NO':>8}"
                      f"  {solving:6.2f} s")
                if funded != optimum:
                    failures.append(f"{item} seed {seed}: allocate() differs from the priority optimum")
                if not quotas and len(funded) != len(best):
                    failures.append(f"{item} seed {seed}: allocate() funds {len(funded)}, the MILP {len(best)}")


def read_inputs(program):
    """What a run reads, as lean as the service reads it: the nominations as tuples (with the
    student's unit, path and circumstance flags), the program's funds with their restrictions,
    and the funds' available balances."""
    from fundmgr.ledger.selectors import funds_available
    from scholarships.models import CIRCUMSTANCE_FIELDS

    nominations = list(program.nominations.order_by("pk").values_list(
        "pk", "score", "student_id", "student__unit_id", "student__unit__path",
        *(f"student__{field}" for field in CIRCUMSTANCE_FIELDS.values()),
    ))
    program_funds = list(program.program_funds.select_related("fund").prefetch_related("fund__restricted_units"))
    funds_available([pf.fund for pf in program_funds])
    return nominations, program_funds


def decision_inputs(program):
    """The same candidates and funds `allocation_run` builds (budgets from the program)."""
    from scholarships import allocation
    from scholarships.models import CIRCUMSTANCE_FIELDS
    from scholarships.services.awards import _restriction

    nominations, program_funds = read_inputs(program)
    codes = [str(code) for code in CIRCUMSTANCE_FIELDS]
    candidates = [
        allocation.Candidate(
            candidate_id=pk, priority=score, amount=AWARD, unit_id=unit_id, unit_path=path,
            circumstances=frozenset(code for code, flag in zip(codes, flags, strict=True) if flag),
        )
        for pk, score, _student_id, unit_id, path, *flags in nominations
    ]
    funds = [
        allocation.Fund(fund_id=pf.fund_id, budget=pf.budget, restriction=_restriction(pf.fund)) for pf in program_funds
    ]
    return candidates, funds, {pk: student_id for pk, _score, student_id, *_rest in nominations}


def first_fit_run(program) -> int:
    """Issue #17's baseline for the whole run: first-fit greedy with the run's own I/O. In one
    transaction: read the inputs as the service does (`read_inputs`), decide by first fit, and
    write the funded awards and their one share each with the same bulk INSERTs the service
    uses (on PostgreSQL the audit trigger writes its row for each, as for the service's);
    then roll back, so every measurement starts from the same database. Returns how many it funds."""
    import allocation_exact as exact  # bench/, once Django is set up
    from django.db import transaction

    from scholarships.models import Award, AwardShare

    with transaction.atomic():
        candidates, funds, students = decision_inputs(program)
        chosen = exact.first_fit_placed(candidates, funds)
        awards = Award.objects.bulk_create([
            Award(program=program, student_id=students[candidate_id], nomination_id=candidate_id,
                  school_year=program.school_year, amount=AWARD)
            for candidate_id in chosen
        ])
        AwardShare.objects.bulk_create([
            AwardShare(award=award, fund_id=fund_id, amount=AWARD)
            for award, fund_id in zip(awards, chosen.values(), strict=True)
        ])
        transaction.set_rollback(True)
    return len(chosen)


def load_units():
    """The province, its 33 communes and their 132 branches: 166 units."""
    from fundmgr.orgs.models import OrgUnit

    province = OrgUnit.objects.create(name="Hội Khuyến học tỉnh (bench)", code="B", kind=OrgUnit.Kind.PROVINCE)
    communes, branches = [], []
    for n in range(COMMUNES):
        commune = OrgUnit.objects.create(name=f"Xã {n}", code=f"B-{n:02d}", kind=OrgUnit.Kind.COMMUNE, parent=province)
        communes.append(commune)
        for b in range(BRANCHES_PER_COMMUNE):
            branches.append(OrgUnit.objects.create(
                name=f"Chi hội {n}.{b}", code=f"B-{n:02d}-{b}", kind=OrgUnit.Kind.BRANCH, parent=commune,
            ))
    return province, communes, branches


def load(student_count: int, fund_count: int, units):
    import datetime

    from django.utils import timezone

    from fundmgr.ledger import accounts
    from fundmgr.ledger.models import Fund
    from fundmgr.ledger.services import Line, entry_post
    from scholarships.models import Nomination, ProgramFund, ScholarshipProgram, Student

    province, communes, branches = units
    rng = random.Random(2026 + student_count)  # nosec B311: made-up benchmark data
    program = ScholarshipProgram.objects.create(
        unit=province, code=f"BENCH-{student_count}", name="Bench", school_year="2026-2027", award_amount=AWARD,
        rubric=[],
    )
    awards_in_budgets = student_count * 2 // 3
    # Most of the money is restricted (unrestricted funds: a fifth of the funds, a tenth of the
    # money), so who is paid from which fund decides how many are paid.
    weights = [rng.uniform(0.5, 1.5) * (0.45 if number % 5 == 0 else 1.0) for number in range(fund_count)]
    for number in range(fund_count):
        fund = Fund.objects.create(code=f"F{student_count}-{number:02d}", name=f"Quỹ {number}", unit=province)
        kind = number % 5
        if kind in (1, 2):
            fund.restriction = Fund.Restriction.UNITS
            fund.save()
            fund.restricted_units.set(rng.sample(communes if kind == 1 else branches, rng.randint(2, 8)))
        elif kind in (3, 4):
            fund.restriction = Fund.Restriction.CIRCUMSTANCES
            fund.restricted_circumstances = rng.sample(
                ["poor", "near_poor", "orphan", "disability", "ethnic_minority", "remote"], rng.randint(1, 2),
            )
            fund.save()
        budget = int(awards_in_budgets * weights[number] / sum(weights)) * AWARD
        entry_post(unit=province, date=datetime.date(2026, 1, 2), memo="Thu ủng hộ", lines=[
            Line(accounts.BANK, fund, debit=budget), Line(accounts.DONATION_INCOME, fund, credit=budget),
        ])
        ProgramFund.objects.create(program=program, fund=fund, budget=budget)
    today = timezone.localdate()
    students = []
    for n in range(student_count):
        flags = dict.fromkeys(CIRCUMSTANCE_FIELDS, False)
        for field in rng.sample(CIRCUMSTANCE_FIELDS, rng.choice([0, 0, 1, 1, 2])):
            flags[field] = True
        if flags["poor_household"] and flags["near_poor_household"]:  # one or the other, never both
            flags["near_poor_household"] = False
        students.append(Student(
            unit=rng.choice(branches), full_name=f"Học sinh {student_count}-{n}", school_name="Trường",
            school_level="primary", grade=rng.randint(1, 5), last_activity_on=today, **flags,
        ))
    students = Student.objects.bulk_create(students, batch_size=2000)
    Nomination.objects.bulk_create(
        [Nomination(program=program, student=student, score=rng.randint(0, 100)) for student in students],
        batch_size=2000,
    )
    return program


if __name__ == "__main__":
    sys.exit(main())

"""How long does an allocation run take for a large program, against reading its inputs? (PostgreSQL)

    .venv/bin/python bench/allocation.py [--students 5000] [--funds 10] [--repeat 3]

Creates (drops first) the database `fundmgr_bench_allocation` (or BENCH_DATABASE_URL), migrates
it, and loads a province with 50 communes, `--funds` funds (every third restricted to poor or
near-poor households, every fourth to five communes) with money in the ledger, one program using
them all (budgets covering about two thirds of the candidates), and `--students` nominated
students with varied scores and circumstances (bulk inserts: loading is not what is measured).

Measured in the same run, best of `--repeat`:
- baseline: reading what a run reads: the nominations with their students and units, the
  program's funds with their restrictions, and the funds' available balances;
- the pure decision, `scholarships.allocation.allocate`, on those inputs;
- `scholarships.services.awards.allocation_run`: the whole service (locks, reads, decision, the stored
  run with its inputs and decisions, the proposed awards and their shares, the audit row).
Prints the times and the ratio of the service to the baseline. Not part of the test suite.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--funds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    django_on_bench_database(DEFAULT_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    program = load(options.students, options.funds)
    print(f"loaded {options.students:,} nominations and {options.funds} funds in {time.perf_counter() - started:.1f} s")

    from scholarships import allocation
    from scholarships.services import awards

    baseline = min(timed(lambda: read_inputs(program)) for _ in range(options.repeat))
    candidates, funds = decision_inputs(program)
    decide = min(timed(lambda: allocation.allocate(candidates=candidates, funds=funds)) for _ in range(options.repeat))
    runs = []
    service = min(timed(lambda: runs.append(awards.allocation_run(program=program))) for _ in range(options.repeat))
    run = runs[-1]
    print(f"candidates: {options.students:,}, funds: {options.funds}, funded: {run.funded_count:,}")
    print(f"baseline, reading the run's inputs:  {baseline:6.2f} s")
    print(f"allocate() alone:                    {decide:6.2f} s")
    print(f"allocation_run (the service):        {service:6.2f} s")
    print(f"ratio allocation_run / baseline:     {service / baseline:6.2f}")


def read_inputs(program):
    from fundmgr.ledger.selectors import funds_available

    nominations = list(program.nominations.select_related("student__unit").order_by("pk"))
    program_funds = list(program.program_funds.select_related("fund").prefetch_related("fund__restricted_units"))
    funds_available([pf.fund for pf in program_funds])
    return nominations, program_funds


def decision_inputs(program):
    """The same candidates and funds `allocation_run` builds (budgets from the program)."""
    from scholarships import allocation
    from scholarships.services.awards import _restriction

    nominations, program_funds = read_inputs(program)
    candidates = [
        allocation.Candidate(
            candidate_id=n.pk, priority=n.score, amount=AWARD, unit_id=n.student.unit_id,
            unit_path=n.student.unit.path, circumstances=frozenset(n.student.circumstances),
        )
        for n in nominations
    ]
    funds = [
        allocation.Fund(fund_id=pf.fund_id, budget=pf.budget, restriction=_restriction(pf.fund)) for pf in program_funds
    ]
    return candidates, funds


def load(student_count: int, fund_count: int):
    import datetime

    from django.utils import timezone

    from fundmgr.ledger import accounts
    from fundmgr.ledger.models import Fund
    from fundmgr.ledger.services import Line, entry_post
    from fundmgr.orgs.models import OrgUnit
    from scholarships.models import Nomination, ProgramFund, ScholarshipProgram, Student

    rng = random.Random(2026)  # nosec B311: made-up benchmark data
    province = OrgUnit.objects.create(name="Hội Khuyến học tỉnh (bench)", code="B", kind=OrgUnit.Kind.PROVINCE)
    communes = [
        OrgUnit.objects.create(name=f"Xã {n}", code=f"B-{n:03d}", kind=OrgUnit.Kind.COMMUNE, parent=province)
        for n in range(50)
    ]
    budget_each = student_count * 2 // 3 // fund_count * AWARD
    program = ScholarshipProgram.objects.create(
        unit=province, code="BENCH", name="Bench", school_year="2026-2027", award_amount=AWARD, rubric=[],
    )
    for number in range(fund_count):
        fund = Fund.objects.create(code=f"F{number:02d}", name=f"Quỹ {number}", unit=province)
        if number % 3 == 1:
            fund.restriction = Fund.Restriction.CIRCUMSTANCES
            fund.restricted_circumstances = ["poor", "near_poor"]
            fund.save()
        elif number % 4 == 2:
            fund.restriction = Fund.Restriction.UNITS
            fund.save()
            fund.restricted_units.set(communes[number % 10 * 5: number % 10 * 5 + 5])
        entry_post(unit=province, date=datetime.date(2026, 1, 2), memo="Thu ủng hộ", lines=[
            Line(accounts.BANK, fund, debit=budget_each), Line(accounts.DONATION_INCOME, fund, credit=budget_each),
        ])
        ProgramFund.objects.create(program=program, fund=fund, budget=budget_each)
    today = timezone.localdate()
    students = Student.objects.bulk_create([
        Student(
            unit=rng.choice(communes), full_name=f"Học sinh {n}", school_name="Trường", school_level="primary",
            grade=rng.randint(1, 5), poor_household=rng.random() < 0.3, ethnic_minority=rng.random() < 0.2,
            last_activity_on=today,
        )
        for n in range(student_count)
    ], batch_size=2000)
    Nomination.objects.bulk_create(
        [Nomination(program=program, student=student, score=rng.randint(0, 100)) for student in students],
        batch_size=2000,
    )
    return program


if __name__ == "__main__":
    main()

"""Payments with 1 and 8 writers against a bare insert transaction (PostgreSQL). The campaign
page at 10,000 to 1,000,000 pledges is `bench/public_pages.py` (gunicorn and wrk).

    .venv/bin/python bench/campaign_speed.py [--payments 40]

Creates (drops first) the database `fundmgr_bench_campaign` (or BENCH_DATABASE_URL) and migrates it.

Payments: each writer is a process of its own (forked after Django is set up, its own database
connection), all started at a barrier; each records `--payments` payments through
`payment_record` (pledge lock, payment, status, running totals, journal entry in the hash chain,
receipt number), every one on its own donor's pledge into the same fund and unit. Baseline in
the same run, with the same processes and barrier: a bare transaction inserting one row. Each
writer's first transaction is a warm-up, not measured. After-commit jobs (receipt PDF and e-mail)
are counted, not sent (no broker here). Then what limits the ratio: the CPU per transaction spent
in the writer (Python, `time.process_time`) and in its PostgreSQL backend (`/proc/<pid>/stat`,
same machine; in clock ticks of 10 ms, so a bare insert's figure is rough).
"""

import argparse
import datetime
import multiprocessing
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import backend_cpu, django_on_bench_database  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_campaign"
SLUG = "tet-khuyen-hoc-bench"


def _writer(kind, pledge_ids, start, results):
    from django.db import connection, transaction

    from donations.models import Pledge
    from donations.services import payment_record

    connection.close()  # the forked copy of the parent's connection is not ours to use
    pledges = list(Pledge.objects.filter(pk__in=pledge_ids).select_related("donor", "campaign__unit").order_by("pk"))
    if kind == "bare":
        pledges = [None] * len(pledge_ids)

    def write(index, pledge):
        if kind == "bare":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_bare (amount, note) VALUES (%s, %s)", [100_000 + index, "x" * 60])
        else:
            payment_record(
                donor=pledge.donor, pledge=pledge, amount=100_000 + index, method="cash",
                received_on=datetime.date.today(), unit=pledge.campaign.unit,
            )

    write(0, pledges[0])  # warm-up, not measured: the process's first queries compile and cache
    backend_before = backend_cpu(connection)
    start.wait()
    started, cpu_started = time.perf_counter(), time.process_time()
    for index, pledge in enumerate(pledges[1:], 1):
        write(index, pledge)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    backend_after = backend_cpu(connection)
    backend = None if backend_before is None or backend_after is None else backend_after - backend_before
    results.put((elapsed, cpu, backend))
    connection.close()


def _run_writers(kind, pledge_ids, writers):
    from django.db import connections

    per_writer = [pledge_ids[offset::writers] for offset in range(writers)]
    timed = len(pledge_ids) - writers  # each writer's first is its warm-up
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(writers + 1), context.Queue()
    processes = [context.Process(target=_writer, args=(kind, part, start, results)) for part in per_writer]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    measured = [results.get(timeout=600) for _ in processes]
    wall = time.perf_counter() - began
    for process in processes:
        process.join()
    assert all(process.exitcode == 0 for process in processes)
    python_ms = sum(cpu for _elapsed, cpu, _backend in measured) * 1000 / timed
    backends = [backend for _elapsed, _cpu, backend in measured]
    backend_ms = None if None in backends else sum(backends) * 1000 / timed
    return timed / wall, python_ms, backend_ms


def _setup(options):
    from django.contrib.auth import get_user_model
    from django.db import connection

    from campaigns.models import Campaign
    from donations.models import Pledge
    from donations.services import pledge_create
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    general = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    dreams = Fund.objects.create(code="QHB-NCUM", name="Quỹ học bổng \"Nâng cánh ước mơ\"", unit=unit)
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        name="Tết khuyến học Xuân Bính Ngọ 2026", slug=SLUG, unit=unit, lunar_year=2026, reference_prefix="TKH26",
        starts_on=today - datetime.timedelta(days=60), ends_on=today + datetime.timedelta(days=30),
        goal=6_000_000_000, default_fund=general, status=Campaign.Status.OPEN, bank_bin="970436",
        bank_name="Vietcombank", bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.set([general, dreams])
    get_user_model().objects.create_superuser("bench", password="x" * 16)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, amount bigint, note text)")
    payers = []
    for index in range((options.payments + 1) * 9):  # one pledge per payment: 1 writer, then 8
        pledge, _ = pledge_create(
            campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
            email=f"d{index}@example.vn", amount=50_000_000, fund=general, list_on_honor_roll=True,
            channel=Pledge.Channel.ADMIN,
        )
        payers.append(pledge.pk)
    return campaign, payers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=40, help="payments per writer")
    parser.add_argument("--keep", action="store_true", help="reuse the database (nothing left to measure)")
    options = parser.parse_args()

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection

    from fundmgr.core import outbox

    if fresh:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        queued = []
        outbox.enqueue_many = lambda jobs: queued.extend(jobs) or len(jobs)
        campaign, payers = _setup(options)
        version = connection.cursor().connection.info.server_version // 10000
        print(f"PostgreSQL {version}; {options.payments} payments per writer, each writer a process")

        used, cpu = 0, []
        for writers in (1, 8):
            count = (options.payments + 1) * writers  # one more each: the warm-up
            bare, bare_python, bare_backend = _run_writers("bare", list(range(count)), writers)
            pay, pay_python, pay_backend = _run_writers("payment", payers[used:used + count], writers)
            used += count
            cpu.append((writers, bare_python, bare_backend, pay_python, pay_backend))
            print(f"  {writers} writer(s): bare insert transaction {bare:8,.0f}/s   payment_record {pay:6,.1f}/s"
                  f"   ratio {pay / bare:.3f}")
        # What limits the ratio: the CPU each transaction costs, in the writer (Python) and in its
        # PostgreSQL backend, on a machine whose cores both sides share.
        print("  CPU per transaction (ms): writer's Python + its PostgreSQL backend")
        for writers, bare_python, bare_backend, pay_python, pay_backend in cpu:
            print(f"  {writers} writer(s): bare insert {bare_python:5.2f} + {_ms(bare_backend)}"
                  f"   payment_record {pay_python:5.2f} + {_ms(pay_backend)}")
        print(f"  ({len(queued):,} after-commit jobs queued, not sent)")


def _ms(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


if __name__ == "__main__":
    main()

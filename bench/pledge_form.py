"""How fast is a donor's pledge (form page + submission) against a bare Django view?

    .venv/bin/python bench/pledge_form.py [--pledges 300] [--database-url URL]

Creates a fresh database (SQLite file `var/bench-pledge.sqlite3` by default, the embedded mode;
or PostgreSQL with `--database-url postgres://…/fundmgr_bench_pledge`, dropped and created),
migrates it and opens a campaign. Then, through Django's full request stack (middleware, CSRF
token, sessions, templates; Django's test client, no network):
- baseline: two GETs of a bare view that returns a short text (what any request costs);
- the real thing: GET `/c/<slug>/pledge/` (renders the form with its idempotency key and signed
  timestamp) and POST it filled in (validation, donor find-or-create, reference code, pledge and
  installments, audit row, redirect), once per donor, each a different donor.
The confirmation e-mail runs after commit on the worker in production: it is counted, not run.
Prints pledges per second and the ratio against the baseline. Not part of the test suite.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_view(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=300)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-pledge.sqlite3'}")
    options = parser.parse_args()
    prepare_database(options.database_url)
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import path

    import fundmgr.urls

    queued = []
    # After-commit work (the confirmation e-mail) belongs to the worker: count it, do not run it.
    transaction.on_commit = lambda callback, using=None, robust=False: queued.append(callback)
    setup_test_environment()
    fundmgr.urls.urlpatterns.insert(0, path("bench-bare/", bare_view))
    call_command("migrate", verbosity=0)
    slug = open_campaign()
    vendor = connection.vendor + (f" {connection.pg_version // 10000}" if connection.vendor == "postgresql" else "")

    with override_settings(
        PLEDGE_FORM_MIN_SECONDS=0, PLEDGE_RATE_LIMIT_PER_IP="1000000/m", PLEDGE_RATE_LIMIT_PER_EMAIL="1000000/m",
        ALLOWED_HOSTS=["testserver"], DEBUG=False,
    ):
        client = Client()
        started = time.perf_counter()
        for _ in range(options.pledges):
            assert client.get("/bench-bare/").status_code == 200
            assert client.get("/bench-bare/").status_code == 200
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        for number in range(options.pledges):
            page = client.get(f"/c/{slug}/pledge/")
            hidden = dict(re.findall(r'name="(idempotency_key|started)" value="([^"]*)"', page.content.decode()))
            response = client.post(f"/c/{slug}/pledge/", {
                "donor_name": f"Nguyễn Văn Bình {number}", "donor_kind": "individual",
                "email": f"binh{number}@example.vn", "phone": f"09{number:08d}", "tax_code": "",
                "address": "Phường Hạc Thành, Thanh Hóa", "amount": "5 triệu", "fund": page.context["form"].fields["fund"].initial,
                "installments": "1", "list_on_honor_roll": "on", "message": "Chúc các em học giỏi",
                "website": "", **hidden,
            })
            assert response.status_code == 303, (response.status_code, response.content[:500])
        pledging = time.perf_counter() - started

    from donations.models import Pledge

    assert Pledge.objects.count() == options.pledges
    print(f"{options.pledges} donors, each: GET the form, POST it ({vendor}, DEBUG off, full middleware)")
    print(f"baseline: 2 GETs of a bare view:   {baseline:6.2f} s   {options.pledges / baseline:7.1f} pairs/s")
    print(f"pledge: GET form + POST:            {pledging:6.2f} s   {options.pledges / pledging:7.1f} pledges/s"
          f"   ({len(queued)} e-mails queued)")
    print(f"ratio pledge / baseline:            {pledging / baseline:6.1f}")


def prepare_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        database.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def open_campaign() -> str:
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Tết khuyến học Xuân Bính Ngọ 2026", slug="tet-khuyen-hoc-2026", unit=unit, lunar_year=2026,
        reference_prefix="TKH26", starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=60), goal=6_000_000_000, default_fund=fund,
        status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0501000123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.add(fund)
    return campaign.slug


if __name__ == "__main__":
    main()

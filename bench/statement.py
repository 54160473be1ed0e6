"""How fast is the public statement of a campaign with 1,000,000 payments, against a bare view
returning the same bytes? (PostgreSQL)

    .venv/bin/python bench/statement.py [--payments 1000000] [--requests 200] [--keep]

Creates (drops first) the database `fundmgr_bench_statement` (or BENCH_DATABASE_URL), migrates
it, and loads, with COPY, a campaign of `--pledges` donors and pledges (70 % listed on the honor
roll, 8 % anonymous) and `--payments` payments over 90 days, each with what the real path leaves:
its journal entry (bank debit, donation income credit, the payment as source, hashed in the
chain with the same `entry_hash` posting uses) and its receipt. The load runs with
`session_replication_role = replica` (triggers off, as a restore does).

Then, through Django's full request stack (test client, DEBUG off, no network), in the same run:
- the first GET of `/c/<slug>/statement/`: it sums the payments and reads the fund statement once
  (the summary's cache is empty; every later request finds it under the chain head);
- median of `--requests` GETs of a bare view that returns the statement page's bytes;
- median of `--requests` GETs of the statement's page 1, and of a page in the middle (a cursor).
Prints the medians and the ratios. The cache is the local-memory one (REDIS_URL is unset); with
Redis, add one round trip. Not part of the test suite.
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import django_on_bench_database  # noqa: E402  (bench/, the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fundmgr_bench_statement"
SLUG = "tet-khuyen-hoc-bench"
DAYS = 90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    options = parser.parse_args()

    fresh = django_on_bench_database(DEFAULT_URL, keep=options.keep)
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import path

    import fundmgr.urls

    if fresh:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        load(payments=options.payments, pledges=options.pledges)
        print(f"loaded {options.payments:,} payments (entries, lines, receipts) in {time.perf_counter() - started:.1f} s")

    from donations.models import Payment

    count = Payment.objects.count()
    page_bytes = {}
    fundmgr.urls.urlpatterns.insert(0, path("bench-bare/", lambda request: HttpResponse(page_bytes["page"])))
    setup_test_environment()
    url = f"/c/{SLUG}/statement/"
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        client = Client()
        started = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.status_code
        page_bytes["page"] = first.content
        middle = Payment.objects.order_by("received_on", "pk").values_list("received_on", "pk")[count // 2]
        middle_url = f"{url}?after={middle[0].isoformat()}.{middle[1]}"
        assert client.get(middle_url).status_code == 200

        def median(target: str) -> float:
            times = []
            for _ in range(options.requests):
                started = time.perf_counter()
                response = client.get(target)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
            return statistics.median(times)

        bare = median("/bench-bare/")
        page_one = median(url)
        page_middle = median(middle_url)
    print(f"{count:,} payments of one campaign (PostgreSQL {connection.pg_version // 10000}, DEBUG off, full middleware)")
    print(f"first request (computes and caches the sums): {cold * 1000:8.1f} ms")
    print(f"bare view, same {len(page_bytes['page']):,} bytes, median:      {bare * 1000:8.2f} ms")
    print(f"statement page 1, median:                 {page_one * 1000:8.2f} ms   ratio {page_one / bare:6.1f}")
    print(f"statement page in the middle, median:     {page_middle * 1000:8.2f} ms   ratio {page_middle / bare:6.1f}")


def copy_rows(cursor, model, columns: list[str], rows) -> None:
    table = model._meta.db_table
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(*, payments: int, pledges: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import Campaign
    from donations.models import Donor, Payment, Pledge
    from fundmgr.ledger import accounts
    from fundmgr.ledger.hashing import GENESIS_HASH, entry_hash, source_label
    from fundmgr.ledger.models import Account, Fund, JournalEntry, JournalLine, LedgerChainHead
    from fundmgr.orgs.models import OrgUnit
    from receipts.models import Receipt

    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=DAYS - 1)
    campaign = Campaign.objects.create(
        name="Tết khuyến học (bench)", slug=SLUG, unit=unit, lunar_year=2026, reference_prefix="TKHB",
        starts_on=first_day, ends_on=today + datetime.timedelta(days=30), goal=6_000_000_000_000, default_fund=fund,
        status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0501000123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.add(fund)
    bank, income = (Account.objects.get(code=code).pk for code in (accounts.BANK, accounts.DONATION_INCOME))
    payment_type = ContentType.objects.get_for_model(Payment).pk
    now = timezone.now()

    def amount_of(number: int) -> int:
        return 100_000 + number % 500 * 10_000

    def day_of(number: int) -> datetime.date:
        return first_day + datetime.timedelta(days=(number - 1) * DAYS // payments)

    def pledge_of(number: int) -> int:
        return number % pledges + 1

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(cursor, Donor, ["id", "kind", "name", "name_normalized", "email", "phone", "tax_code", "address",
                                  "unit_id", "honor_roll_consent", "email_consent", "created_at"], (
            (n, "individual", f"Nhà hảo tâm số {n}", f"nha hao tam so {n}", "", "", "", "", unit.pk, n % 10 < 7,
             False, now) for n in range(1, pledges + 1)
        ))
        copy_rows(cursor, Pledge, ["id", "reference", "donor_id", "campaign_id", "fund_id", "amount", "channel",
                                   "status", "anonymous", "list_on_honor_roll", "message", "contact_name",
                                   "contact_email", "contact_phone", "contact_tax_code", "contact_address",
                                   "closed_reason", "created_at", "confirmed_at"], (
            (n, f"TKHB-{n:06d}", n, campaign.pk, fund.pk, 1_000_000_000, "admin", "partially_paid", n % 100 < 8,
             n % 10 < 7, "", "", "", "", "", "", "", now, now) for n in range(1, pledges + 1)
        ))
        previous, hashes = GENESIS_HASH, []

        def entries():
            nonlocal previous
            for n in range(1, payments + 1):
                memo = f"Thu ủng hộ TKHB-{pledge_of(n):06d}"
                day, amount = day_of(n), amount_of(n)
                digest = entry_hash(
                    previous_hash=previous, unit_code=unit.code, date_iso=day.isoformat(), memo=memo,
                    source=source_label("donations", "payment", str(n)), reverses_hash="", reversal_reason="",
                    lines=[(accounts.BANK, fund.code, amount, 0), (accounts.DONATION_INCOME, fund.code, 0, amount)],
                )
                yield (n, unit.pk, day, memo, payment_type, str(n), "", now, previous, digest)
                previous = digest
            hashes.append(previous)

        copy_rows(cursor, JournalEntry, ["id", "unit_id", "date", "memo", "source_type_id", "source_id",
                                         "reversal_reason", "created_at", "previous_hash", "hash"], entries())
        copy_rows(cursor, JournalLine, ["id", "entry_id", "account_id", "fund_id", "debit", "credit"], (
            row for n in range(1, payments + 1)
            for row in ((2 * n - 1, n, bank, fund.pk, amount_of(n), 0), (2 * n, n, income, fund.pk, 0, amount_of(n)))
        ))
        copy_rows(cursor, Payment, ["id", "donor_id", "pledge_id", "fund_id", "unit_id", "amount", "method",
                                    "in_kind_description", "received_on", "bank_reference", "overpayment_reason",
                                    "journal_entry_id", "recorded_at", "void_reason"], (
            (n, pledge_of(n), pledge_of(n), fund.pk, unit.pk, amount_of(n), "bank_transfer", "", day_of(n),
             f"FT{n:010d}", "", n, now, "") for n in range(1, payments + 1)
        ))
        copy_rows(cursor, Receipt, ["id", "unit_id", "year", "sequence", "number", "payment_id", "receipt_date",
                                    "issued_at", "verification_code", "unit_name", "unit_address", "payer_name",
                                    "payer_address", "amount", "reason", "fund_name", "payment_method",
                                    "debit_account", "credit_account", "attached_documents", "pdf", "state",
                                    "void_reason"], (
            (n, unit.pk, day_of(n).year, n, f"PT-{day_of(n).year}-{n:07d}", n, day_of(n), now, f"V{n:015d}",
             unit.name, "", f"Nhà hảo tâm số {pledge_of(n)}", "", amount_of(n), "Ủng hộ", fund.name,
             "bank_transfer", accounts.BANK, accounts.DONATION_INCOME, "", "", "issued", "")
            for n in range(1, payments + 1)
        ))
        for model in (Donor, Pledge, JournalEntry, JournalLine, Payment, Receipt):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        LedgerChainHead.objects.filter(pk=LedgerChainHead.SINGLETON_PK).update(
            last_entry_id=payments, last_hash=hashes[-1], entry_count=payments
        )
    with connection.cursor() as cursor:
        for model in (Donor, Pledge, JournalEntry, JournalLine, Payment, Receipt):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


if __name__ == "__main__":
    main()

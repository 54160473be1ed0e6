"""The benchmarks' data: a Tết campaign of `pledges` donors and `payments` payments, loaded with
PostgreSQL `COPY` in minutes, each payment exactly as `payment_record` leaves it.

    from data import SLUG, load
    load(payments=1_000_000, pledges=10_000)

Each payment has its journal entry (bank debit, donation income credit, the payment as source,
hashed in the one chain with the same `entry_hash` posting uses, so `verify_ledger` passes) and
its receipt with a gap-free number. Donors get Vietnamese names (family, middle and given names
in the proportions of the population), amounts are what people give at Tết (round figures from
100.000 ₫ to 50.000.000 ₫, most under 2 million), 70 % of the donors are on the honor roll and
8 % of the pledges are anonymous. The load runs with `session_replication_role = replica`
(triggers off, as a restore does), then ANALYZE, then the campaign's running totals are rebuilt.
Deterministic: the same sizes give the same rows.
"""

import datetime
import random
import unicodedata

SLUG = "tet-khuyen-hoc-bench"
PREFIX = "TKHB"
DAYS = 90

# Family names by their rough share of the population (Nguyễn about 38 %).
FAMILY = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
          ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1), ("Lý", 1)]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thu", "Xuân", "Hoài", "Gia"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoà", "Hương", "Hùng", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Nhung", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang",
         "Trung", "Tuấn", "Vân", "Yến"]
BUSINESSES = ["Công ty TNHH Thương mại Hồng Phát", "Ngân hàng TMCP Ngoại thương – CN Thanh Hóa",
              "Công ty CP Xi măng Nghi Sơn", "Hợp tác xã Nông nghiệp Thiệu Đô", "Doanh nghiệp tư nhân Minh Khai"]
# Amounts a donor gives at Tết, with their weights: mostly hundreds of thousands, a few millions.
AMOUNTS = [(100_000, 14), (200_000, 20), (300_000, 8), (500_000, 22), (1_000_000, 16), (2_000_000, 8),
           (3_000_000, 3), (5_000_000, 5), (10_000_000, 3), (20_000_000, 0.6), (50_000_000, 0.4)]


def donor_name(rng: random.Random, number: int) -> str:
    if number % 50 == 0:
        return f"{BUSINESSES[number // 50 % len(BUSINESSES)]} ({number})"
    family = rng.choices([name for name, _ in FAMILY], [weight for _, weight in FAMILY])[0]
    return f"{family} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def folded(text: str) -> str:
    """What `name_normalized` holds: lower case, no diacritics (đ → d)."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(char for char in text if not unicodedata.combining(char))


def copy_rows(cursor, model, columns: list[str], rows) -> None:
    table = model._meta.db_table
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(*, payments: int, pledges: int, seed: int = 2026):
    """Load the campaign; returns it. The database must be migrated and hold no pledge yet."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import Campaign
    from donations.models import Donor, Payment, Pledge
    from fundmgr.ledger import accounts
    from fundmgr.ledger.hashing import GENESIS_HASH, entry_hash, source_label
    from fundmgr.ledger.models import Account, Fund, JournalEntry, JournalLine, LedgerChainHead
    from fundmgr.orgs.models import OrgUnit
    from receipts.models import Receipt, ReceiptCounter
    from receipts.numbering import number_format

    rng = random.Random(seed)
    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=DAYS - 1)
    campaign = Campaign.objects.create(
        name="Tết khuyến học (bench)", slug=SLUG, unit=unit, lunar_year=2026, reference_prefix=PREFIX,
        starts_on=first_day, ends_on=today + datetime.timedelta(days=30), goal=6_000_000_000_000, default_fund=fund,
        status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0501000123456", bank_account_name="HOI KHUYEN HOC TINH THANH HOA",
    )
    campaign.funds.add(fund)
    bank, income = (Account.objects.get(code=code).pk for code in (accounts.BANK, accounts.DONATION_INCOME))
    payment_type = ContentType.objects.get_for_model(Payment).pk
    now = timezone.now()

    names = [donor_name(rng, number) for number in range(1, pledges + 1)]
    amount_values, amount_weights = zip(*AMOUNTS, strict=True)
    amounts = rng.choices(amount_values, amount_weights, k=payments)

    def amount_of(number: int) -> int:
        return amounts[number - 1]

    def day_of(number: int) -> datetime.date:
        # More gifts towards Tết: the square root spreads them late in the 90 days.
        return first_day + datetime.timedelta(days=int(DAYS * ((number - 1) / payments) ** 0.5))

    def pledge_of(number: int) -> int:
        return number % pledges + 1

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(cursor, Donor, ["id", "kind", "name", "name_normalized", "email", "phone", "tax_code", "address",
                                  "unit_id", "honor_roll_consent", "email_consent", "created_at"], (
            (n, "business" if n % 50 == 0 else "individual", names[n - 1], folded(names[n - 1]), "",
             f"09{n:08d}", "", "", unit.pk, n % 10 < 7, False, now) for n in range(1, pledges + 1)
        ))
        copy_rows(cursor, Pledge, ["id", "reference", "donor_id", "campaign_id", "fund_id", "amount", "channel",
                                   "status", "anonymous", "list_on_honor_roll", "message", "contact_name",
                                   "contact_email", "contact_phone", "contact_tax_code", "contact_address",
                                   "closed_reason", "created_at", "confirmed_at"], (
            (n, f"{PREFIX}-{n:06d}", n, campaign.pk, fund.pk, 1_000_000_000, "admin", "partially_paid", n % 100 < 8,
             n % 10 < 7, "", "", "", "", "", "", "", now, now) for n in range(1, pledges + 1)
        ))
        previous, hashes = GENESIS_HASH, []

        def entries():
            nonlocal previous
            for n in range(1, payments + 1):
                memo = f"Thu ủng hộ {PREFIX}-{pledge_of(n):06d}"
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
        # Receipt numbers run gap-free per unit and year, in the order the payments arrived.
        sequences: dict[int, int] = {}

        def receipts():
            for n in range(1, payments + 1):
                day = day_of(n)
                sequence = sequences[day.year] = sequences.get(day.year, 0) + 1
                yield (n, unit.pk, day.year, sequence, number_format(year=day.year, sequence=sequence), n, day, now, f"V{n:015d}",
                       unit.name, "", names[pledge_of(n) - 1], "", amount_of(n), "Ủng hộ Tết khuyến học", fund.name,
                       "bank_transfer", accounts.BANK, accounts.DONATION_INCOME, "", "", "issued", "")

        copy_rows(cursor, Receipt, ["id", "unit_id", "year", "sequence", "number", "payment_id", "receipt_date",
                                    "issued_at", "verification_code", "unit_name", "unit_address", "payer_name",
                                    "payer_address", "amount", "reason", "fund_name", "payment_method",
                                    "debit_account", "credit_account", "attached_documents", "pdf", "state",
                                    "void_reason"], receipts())
        for model in (Donor, Pledge, JournalEntry, JournalLine, Payment, Receipt):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        ReceiptCounter.objects.bulk_create(
            ReceiptCounter(unit=unit, year=year, last_number=last) for year, last in sequences.items()
        )
        LedgerChainHead.objects.filter(pk=LedgerChainHead.SINGLETON_PK).update(
            last_entry_id=payments, last_hash=hashes[-1], entry_count=payments
        )
    with connection.cursor() as cursor:
        for model in (Donor, Pledge, JournalEntry, JournalLine, Payment, Receipt):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    # COPY went around the services, so the campaign's running totals are summed once, as
    # `manage.py campaign_tallies --rebuild` does after a restore.
    from donations.services.tallies import tallies_rebuild

    tallies_rebuild(campaign_ids=[campaign.pk])
    return campaign

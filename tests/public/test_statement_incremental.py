"""The public statement's sums are updated from the previous summary, not summed again over the
whole history (issue #17, "cost that does not grow with history"): `donations.statement`
`_summary_compute` adds the entries posted since the entry id its previous summary is complete
through.

- Seeded random histories through the real services (payments one by one, bank-statement imports,
  receipts voided, money paid out of the funds and backdated, fund transfers, a payment earlier
  than every other one): after each step, the summary updated from the previous step's cached one
  equals a summary computed in full (money in by day, funds, money out by group), and its money in
  by day equals the definition over Payment rows that the entries replaced (not voided, by day
  received); for a campaign and a unit's year.
- After one new payment, the update runs the same statements at 10 and at 300 earlier payments,
  and reads only the entries after the previous summary's.
"""

import dataclasses
import datetime
import random

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations import statement
from donations.models import Payment
from donations.services import PledgePayment, PledgePaymentBatch, payment_record, receipt_void
from donations.services.bank_statement import statement_import
from fundmgr.ledger import accounts
from fundmgr.ledger.models import LedgerChainHead
from fundmgr.ledger.services import InsufficientFunds, Line, entry_post, fund_transfer
from tests.campaigns import factories

pytestmark = pytest.mark.django_db


def days_by_payments(scope) -> dict:
    """Money in by day as the statement defined it before it read the payments' entries: the
    payments of the scope not voided, per day received."""
    return {
        day: (total, count)
        for day, total, count in Payment.objects.not_voided().filter(scope.payments).order_by()
        .values_list("received_on").annotate(total=Sum("amount"), count=Count("pk")).order_by("received_on")
    }


class Ranges:
    """The entry ranges the statement's sums read, by spying on the two functions that take one."""

    def __init__(self, monkeypatch):
        self.days, self.funds, self.money_out = [], [], []
        money_in_by_day, fund_balances = statement.money_in_by_day, statement.fund_balances
        money_out_documents = statement.money_out_documents

        def days_spy(scope, *, entry_ids):
            self.days.append(entry_ids)
            return money_in_by_day(scope, entry_ids=entry_ids)

        def funds_spy(scope, *, date_from, entry_ids=None):
            self.funds.append(entry_ids)
            return fund_balances(scope, date_from=date_from, entry_ids=entry_ids)

        def money_out_spy(**kwargs):
            self.money_out.append(kwargs["entry_ids"])
            return money_out_documents(**kwargs)

        monkeypatch.setattr(statement, "money_in_by_day", days_spy)
        monkeypatch.setattr(statement, "money_out_documents", money_out_spy)
        monkeypatch.setattr(statement, "fund_balances", funds_spy)

    def clear(self):
        self.days.clear()
        self.funds.clear()
        self.money_out.clear()


def head() -> int:
    return LedgerChainHead.objects.values_list("last_entry_id", flat=True).first() or 0


class History:
    """A campaign's (and its unit's) books, moved one random step at a time through the services."""

    def __init__(self, seed, campaign, unit, funds, treasurer):
        self.random = random.Random(seed)
        self.campaign, self.unit, self.funds, self.treasurer = campaign, unit, funds, treasurer
        self.today = timezone.localdate()
        self.pledges = [
            factories.pledge_make(campaign, amount=900_000_000, name=f"Nhà hảo tâm {seed}-{n}",
                                  fund=funds[n % 2], honor_roll=bool(n % 2))
            for n in range(4)
        ]
        self.references = 0
        self.steps = []

    def day(self) -> datetime.date:
        # Inside the campaign's period mostly, and this year (the unit's statement is of this year).
        earliest = max(self.campaign.starts_on, self.today.replace(month=1, day=1))
        return earliest + datetime.timedelta(days=self.random.randrange((self.today - earliest).days + 1))

    def reference(self) -> str:
        self.references += 1
        return f"FT26{self.random.randrange(10**6):06d}R{self.references:04d}"

    def step(self) -> None:
        kind = self.random.choice(["pay", "pay", "pay", "import_", "void", "void", "spend", "transfer"])
        getattr(self, kind)()
        self.steps.append(kind.rstrip("_"))

    def pay(self):
        pledge = self.random.choice(self.pledges)
        method = self.random.choice([Payment.Method.BANK_TRANSFER, Payment.Method.CASH])
        payment_record(
            donor=pledge.donor, pledge=pledge, amount=self.random.randrange(1, 500) * 10_000, method=method,
            received_on=self.day(), unit=self.campaign.unit,
            bank_reference=self.reference() if method == Payment.Method.BANK_TRANSFER else None,
        )

    def import_(self):
        lines = [
            (self.day().strftime("%d/%m/%Y"), f"{self.random.randrange(1, 90) * 100}.000",
             f"ung ho {pledge.reference}", self.reference(), "")
            for pledge in self.random.sample(self.pledges, self.random.randint(1, 3))
        ]
        header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        content = (header + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in lines)).encode()
        imported = statement_import(unit=self.unit, file_name=f"sao-ke-{self.references}.csv", content=content,
                                    created_by=self.treasurer)
        assert imported.lines_matched == len(lines)

    def void(self):
        payments = list(Payment.objects.not_voided().filter(pledge__campaign=self.campaign).order_by("pk"))
        if not payments:
            return self.pay()
        payment = self.random.choice(payments)
        try:
            receipt_void(receipt=payment.receipt, reason="Ghi nhầm số tiền", voided_by=self.treasurer)
        except InsufficientFunds:  # the fund already paid that money out
            self.pay()

    def spend(self):
        """Money paid out of a fund, at times dated back (the opening balance moves). Its document
        is one of a few (money out counts distinct documents per group): a payment of the campaign
        stands in for it, a type with a source grouper (its label: the campaign's name) that these
        fixtures have at hand; the scholarships' disbursements need a program, students, awards."""
        fund = self.random.choice(self.funds)
        back = self.random.choice([0, 0, 3, 40])
        amount = self.random.randrange(1, 20) * 100_000
        documents = list(Payment.objects.filter(pledge__campaign=self.campaign).order_by("pk")[:3])
        try:
            entry_post(unit=self.unit, date=self.today - datetime.timedelta(days=back), memo="Chi học bổng", lines=[
                Line(account=accounts.SCHOLARSHIP_EXPENSE, fund=fund, debit=amount, credit=0),
                Line(account=accounts.BANK, fund=fund, debit=0, credit=amount),
            ], source=self.random.choice([None, *documents]))
        except InsufficientFunds:
            self.pay()

    def transfer(self):
        source, target = self.random.sample(self.funds, 2)
        try:
            fund_transfer(from_fund=source, to_fund=target, amount=self.random.randrange(1, 10) * 50_000,
                          date=self.day(), memo="Điều chuyển quỹ", unit=self.unit, created_by=self.treasurer)
        except InsufficientFunds:
            self.pay()

    def early_payment(self):
        """A pledge paid before the campaign's first day: the period opens earlier."""
        pledge = self.pledges[0]
        payment_record(
            donor=pledge.donor, pledge=pledge, amount=123_000, method=Payment.Method.CASH,
            received_on=max(self.campaign.starts_on - datetime.timedelta(days=2), self.today.replace(month=1, day=1)),
            unit=self.campaign.unit,
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_updated_step_by_step_equals_the_summary_computed_in_full(
    seed, campaign, unit, funds, treasurer, monkeypatch
):
    cache.clear()
    ranges = Ranges(monkeypatch)
    history = History(seed, campaign, unit, funds, treasurer)
    history.pay()
    steps = 24
    incremental = 0
    for number in range(steps + 1):
        if number == steps // 2:
            history.early_payment()
        elif number:
            history.step()
        today = timezone.localdate()
        for scope in (statement.campaign_scope(campaign, today=today), statement.unit_year_scope(unit, today.year)):
            ranges.clear()
            # Through the cache, as a page asks: the scope's latest summary is the previous step's.
            updated = statement.statement_summary(scope)
            through = head()
            assert updated.through_entry_id == through
            if ranges.funds[0][0] > 0:
                # Only the entries since the previous summary were read.
                incremental += 1
                assert ranges.days == ranges.funds == ranges.money_out == [(ranges.funds[0][0], through)]
            else:
                # In full, over (0, through]: the first time, or the period's first day moved.
                assert ranges.funds == ranges.money_out == [(0, through)] and ranges.days[-1] == (0, through)
            full = statement._summary_compute(scope)
            assert ranges.days[-1] == (0, through)
            assert updated == full, (history.steps, scope.key)
            assert full.days == days_by_payments(scope), (history.steps, scope.key)
            assert full.received == sum(
                Payment.objects.not_voided().filter(scope.payments).values_list("amount", flat=True)
            )
    # Two scopes a step; the first step and the early payment compute in full.
    assert incremental >= 2 * (steps - 2)
    assert updated.money_out and updated.money_out_documents  # money out was grouped, and added to
    assert {"pay", "import", "void", "spend", "transfer"} <= set(history.steps)


def test_a_void_of_the_only_payment_of_a_day_takes_the_day_off(campaign, unit, funds, treasurer):
    cache.clear()
    history = History(7, campaign, unit, funds, treasurer)
    pledge = history.pledges[0]
    lone_day = campaign.starts_on + datetime.timedelta(days=1)
    lone = payment_record(donor=pledge.donor, pledge=pledge, amount=450_000, method=Payment.Method.CASH,
                          received_on=lone_day, unit=campaign.unit)
    payment_record(donor=pledge.donor, pledge=pledge, amount=50_000, method=Payment.Method.CASH,
                   received_on=timezone.localdate(), unit=campaign.unit)
    scope = statement.campaign_scope(campaign, today=timezone.localdate())
    before = statement.statement_summary(scope)
    assert before.days[lone_day] == (450_000, 1) and before.received == 500_000
    receipt_void(receipt=lone.receipt, reason="Ghi nhầm", voided_by=treasurer)
    after = statement.statement_summary(scope)
    assert lone_day not in after.days and after.received == 50_000 and after.payment_count == 1
    assert after == statement._summary_compute(scope)


def _one_new_payment_queries(campaign, earlier: int, monkeypatch) -> tuple[list[str], tuple]:
    pledge = factories.pledge_make(campaign, amount=9_000_000_000, name="Công ty Bình Minh")
    today = timezone.localdate()
    with transaction.atomic():
        batch = PledgePaymentBatch(pledge_ids=[pledge.pk], unit=campaign.unit)
        for number in range(earlier):
            batch.add(PledgePayment(pledge.pk, 1_000 + number, Payment.Method.CASH, today - datetime.timedelta(days=number % 25)))
        assert len(batch.write()) == earlier
    scope = statement.campaign_scope(campaign, today=today)
    assert statement.statement_summary(scope).payment_count == earlier  # computed in full, cached
    payment_record(donor=pledge.donor, pledge=pledge, amount=777_000, method=Payment.Method.CASH, received_on=today,
                   unit=campaign.unit)
    ranges = Ranges(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        summary = statement.statement_summary(scope)
    monkeypatch.undo()
    assert summary.payment_count == earlier + 1 and summary.days[today][0] >= 777_000
    assert summary == statement._summary_compute(scope)
    return [query["sql"] for query in queries], ranges.days[0]


@pytest.mark.parametrize("earlier", [10, 300])
def test_one_new_payment_costs_the_same_statements_whatever_the_history(campaign, earlier, monkeypatch):
    cache.clear()
    queries, (after, through) = _one_new_payment_queries(campaign, earlier, monkeypatch)
    # Only the new payment's entry is read: the range starts after every earlier payment's.
    assert through == head() and after == through - 1
    # 1. the books' version (the scope carries none here), 2. the chain head's last entry, in the
    # snapshot, 3. the document types that have a grouper, 4. the hash of the previous summary's
    # last entry, 5. money in by day of the new entries, 6. the funds' totals of the new entries,
    # 7. the funds' codes and names, 8. money out of the new entries (none here: no label or unit
    # to read). PostgreSQL opens the snapshot with one more statement (SET TRANSACTION) outside a
    # test's transaction only.
    assert len(queries) == 8, "\n".join(queries)


def test_a_summary_of_another_history_is_not_added_to(campaign, monkeypatch):
    """A previous summary whose last entry has another hash in the ledger (a database restored,
    then posted to again under the same entry ids) is not added to: the sums are computed in full."""
    cache.clear()
    pledge = factories.pledge_make(campaign, amount=9_000_000_000, name="Công ty Bình Minh")
    payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
                   received_on=timezone.localdate(), unit=campaign.unit)
    scope = statement.campaign_scope(campaign, today=timezone.localdate())
    previous = statement._summary_compute(scope)
    payment_record(donor=pledge.donor, pledge=pledge, amount=2_000_000, method=Payment.Method.CASH,
                   received_on=timezone.localdate(), unit=campaign.unit)
    ranges = Ranges(monkeypatch)
    other = dataclasses.replace(previous, received=999, through_hash="0" * 64)
    assert statement._summary_compute(scope, previous=other).received == 3_000_000
    assert ranges.funds == [(0, head())]
    ranges.clear()
    assert statement._summary_compute(scope, previous=previous).received == 3_000_000
    assert ranges.funds == [(previous.through_entry_id, head())]


def test_a_new_day_adds_to_the_day_befores_summary(campaign, monkeypatch):
    """A campaign's period ends today: at midnight it gains a day, and the new day's first summary
    adds the entries since to the day before's instead of summing the whole history again."""
    cache.clear()
    pledge = factories.pledge_make(campaign, amount=9_000_000_000, name="Công ty Bình Minh")
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    payment_record(donor=pledge.donor, pledge=pledge, amount=1_000_000, method=Payment.Method.CASH,
                   received_on=yesterday, unit=campaign.unit)
    before = statement.statement_summary(statement.campaign_scope(campaign, today=yesterday))
    assert before.date_to == yesterday and before.received == 1_000_000
    payment_record(donor=pledge.donor, pledge=pledge, amount=2_000_000, method=Payment.Method.CASH,
                   received_on=today, unit=campaign.unit)
    ranges = Ranges(monkeypatch)
    scope = statement.campaign_scope(campaign, today=today)
    after = statement.statement_summary(scope)
    assert ranges.funds == [(before.through_entry_id, head())]
    assert after.received == 3_000_000 and after.date_to == today
    assert after == statement._summary_compute(scope)


def test_an_entry_dated_in_the_days_gained_makes_the_new_day_sum_in_full(campaign, monkeypatch):
    """The day before's summary leaves out an entry it covers but dated after its last day (here a
    payment received today, recorded before that summary was made): the new day's summary must
    count it, so it sums in full rather than add to that summary."""
    cache.clear()
    pledge = factories.pledge_make(campaign, amount=9_000_000_000, name="Công ty Bình Minh")
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    for amount, day in ((1_000_000, yesterday), (2_000_000, today)):
        payment_record(donor=pledge.donor, pledge=pledge, amount=amount, method=Payment.Method.CASH,
                       received_on=day, unit=campaign.unit)
    before = statement.statement_summary(statement.campaign_scope(campaign, today=yesterday))
    assert before.received == 1_000_000 and before.through_entry_id == head()
    ranges = Ranges(monkeypatch)
    scope = statement.campaign_scope(campaign, today=today)
    after = statement.statement_summary(scope)
    assert ranges.funds == [(0, head())]
    assert after.received == 3_000_000 and after.days[today] == (2_000_000, 1)
    assert after == statement._summary_compute(scope)

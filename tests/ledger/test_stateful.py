"""Hypothesis drives the posting API at random and checks the ledger after every step.

Rules: donations, spends, transfers, endowment principal and interest, reversals (including
refused ones), and a tamper rule that edits one posted entry with raw SQL, expects
`ledger_chain_check` to name exactly that entry, and puts the row back. A simple model (a dict
of balances per fund) predicts every outcome. After every step: each fund's balance and
available amount match the model, every entry balances per fund in the database, and the whole
chain verifies.

Each example runs inside a savepoint that its teardown rolls back, so examples start from the
same three empty funds.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from fundmgr.ledger.selectors import fund_balances, funds_available, ledger_chain_check
from fundmgr.ledger.services import (
    InsufficientFunds,
    Line,
    endowment_principal_record,
    entry_post,
    entry_reverse,
    fund_transfer,
    interest_record,
)

from .helpers import tamper

DAY = datetime.date(2025, 6, 1)
amounts = st.integers(min_value=1, max_value=5_000_000)


class LedgerMachine(RuleBasedStateMachine):
    unit = None
    funds: list = []  # [general, dreams, endowment], set by the test

    entries = Bundle("entries")

    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.assets = {fund.pk: 0 for fund in self.funds}
        self.principal = {fund.pk: 0 for fund in self.funds}
        # entry pk -> {fund pk: (asset change, principal change)}; reversed and reversal entries
        self.effects: dict[int, dict[int, tuple[int, int]]] = {}
        self.reversed: set[int] = set()
        self.reversals: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- the model ---------------------------------------------------------------------------
    def available(self, fund_pk: int) -> int:
        return self.assets[fund_pk] - self.principal[fund_pk]

    def apply(self, entry, effect: dict[int, tuple[int, int]]):
        for fund_pk, (asset, principal) in effect.items():
            self.assets[fund_pk] += asset
            self.principal[fund_pk] += principal
        self.effects[entry.pk] = effect
        return entry

    # --- rules -------------------------------------------------------------------------------
    @rule(target=entries, fund_index=st.integers(0, 2), amount=amounts)
    def donate(self, fund_index, amount):
        fund = self.funds[fund_index]
        entry = entry_post(
            unit=self.unit, date=DAY, memo="Ủng hộ",
            lines=[Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount)],
        )
        return self.apply(entry, {fund.pk: (amount, 0)})

    @rule(target=entries, amount=amounts)
    def endowment_grows(self, amount):
        endowment = self.funds[2]
        principal = endowment_principal_record(fund=endowment, amount=amount, date=DAY, memo="Vốn gốc", unit=self.unit)
        self.apply(principal, {endowment.pk: (amount, amount)})
        interest = interest_record(fund=endowment, amount=amount // 10 + 1, date=DAY, memo="Lãi", unit=self.unit)
        return self.apply(interest, {endowment.pk: (amount // 10 + 1, 0)})

    @rule(target=entries, first=st.integers(0, 2), second=st.integers(0, 2), amounts_=st.tuples(amounts, amounts))
    def pay_scholarships(self, first, second, amounts_):
        """One entry paying from one or two funds; refused as a whole when either fund is short."""
        pay = {}
        for index, amount in zip((first, second), amounts_, strict=True):
            pay[self.funds[index].pk] = pay.get(self.funds[index].pk, 0) + amount
        lines = []
        for fund in self.funds:
            if fund.pk in pay:
                lines += [
                    Line(accounts.SCHOLARSHIP_EXPENSE, fund, debit=pay[fund.pk]),
                    Line(accounts.BANK, fund, credit=pay[fund.pk]),
                ]
        short = any(amount > self.available(fund_pk) for fund_pk, amount in pay.items())
        try:
            entry = entry_post(unit=self.unit, date=DAY, memo="Chi học bổng", lines=lines)
        except InsufficientFunds:
            assert short
            return None
        assert not short
        return self.apply(entry, {fund_pk: (-amount, 0) for fund_pk, amount in pay.items()})

    @rule(target=entries, source=st.integers(0, 2), destination=st.integers(0, 2), amount=amounts)
    def transfer(self, source, destination, amount):
        from_fund, to_fund = self.funds[source], self.funds[destination]
        if from_fund == to_fund:
            return None
        try:
            entry = fund_transfer(
                from_fund=from_fund, to_fund=to_fund, amount=amount, date=DAY, memo="Điều chuyển", unit=self.unit
            )
        except InsufficientFunds:
            assert amount > self.available(from_fund.pk)
            return None
        assert amount <= self.available(from_fund.pk)
        return self.apply(entry, {from_fund.pk: (-amount, 0), to_fund.pk: (amount, 0)})

    @rule(target=entries, entry=entries)
    def reverse(self, entry):
        if entry is None:
            return None
        effect = {fund_pk: (-asset, -principal) for fund_pk, (asset, principal) in self.effects[entry.pk].items()}
        if entry.pk in self.reversed or entry.pk in self.reversals:
            with pytest.raises(ValidationError) as refusal:
                entry_reverse(entry=entry, reason="Thử đảo lại")
            assert refusal.value.code in {"already_reversed", "reversal_of_reversal"}
            return None
        short = any(
            asset - principal < 0 and self.available(fund_pk) < principal - asset
            for fund_pk, (asset, principal) in effect.items()
        )
        try:
            reversal = entry_reverse(entry=entry, reason="Ghi sai")
        except InsufficientFunds:
            assert short
            return None
        assert not short
        self.reversed.add(entry.pk)
        self.reversals.add(reversal.pk)
        return self.apply(reversal, effect)

    @precondition(lambda self: self.effects)
    @rule(choice=st.integers(min_value=0), kind=st.sampled_from(["line amount", "memo", "hash"]))
    def tamper_and_detect(self, choice, kind):
        entry_pks = sorted(self.effects)
        victim = entry_pks[choice % len(entry_pks)]
        line_pk, debit = JournalLine.objects.filter(entry_id=victim).order_by("pk").values_list("pk", "debit")[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT memo, hash FROM ledger_journalentry WHERE id = %s", [victim])
            memo, digest = cursor.fetchone()
        edit, restore = {
            "line amount": (
                ("UPDATE ledger_journalline SET debit = debit + %s, credit = credit + %s WHERE id = %s",
                 [int(bool(debit)), int(not debit), line_pk]),
                ("UPDATE ledger_journalline SET debit = debit - %s, credit = credit - %s WHERE id = %s",
                 [int(bool(debit)), int(not debit), line_pk]),
            ),
            "memo": (
                ("UPDATE ledger_journalentry SET memo = memo || '.' WHERE id = %s", [victim]),
                ("UPDATE ledger_journalentry SET memo = %s WHERE id = %s", [memo, victim]),
            ),
            "hash": (
                ("UPDATE ledger_journalentry SET hash = %s WHERE id = %s", ["0" * 63 + "1", victim]),
                ("UPDATE ledger_journalentry SET hash = %s WHERE id = %s", [digest, victim]),
            ),
        }[kind]
        tamper(*edit)
        found = ledger_chain_check(batch_size=3)
        assert not found.ok
        assert found.first_broken_entry_id == victim, found.message
        tamper(*restore)

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model(self):
        balances = fund_balances()
        assert {fund.pk: balances.get(fund.pk, 0) for fund in self.funds} == self.assets
        assert funds_available(self.funds) == {fund.pk: self.available(fund.pk) for fund in self.funds}

    @invariant()
    def every_entry_balances_per_fund(self):
        unbalanced = (
            JournalLine.objects.values("entry_id", "fund_id")
            .annotate(difference=Sum(F("debit") - F("credit")))
            .exclude(difference=0)
        )
        assert not unbalanced.exists()

    @invariant()
    def the_chain_verifies(self):
        check = ledger_chain_check(batch_size=3)
        assert check.ok, check.message
        assert check.entries_checked == len(self.effects)


@pytest.mark.django_db
def test_random_postings_keep_the_ledger_whole(province, make_fund):
    LedgerMachine.unit = province
    LedgerMachine.funds = [
        make_fund("QKH-TH"),
        make_fund("QHB-NCUM"),
        make_fund("QKT-LAMSON", is_endowment=True),
    ]
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

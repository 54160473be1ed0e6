"""The demo: the whole `seed_demo` (its session run, `demo_seeded`), then again; the second run adds nothing."""

import pytest
from django.core.management import call_command

from donations import demo
from donations.models import BankStatementLine, Donor, Payment, Pledge
from fundmgr.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def counts():
    return (Donor.objects.count(), Pledge.objects.count(), Payment.objects.count(), JournalEntry.objects.count(),
            BankStatementLine.objects.count())


def test_seed_demo_is_idempotent_and_fills_the_campaign(demo_seeded):
    first = counts()
    assert first[1] == demo.INDIVIDUALS + demo.BUSINESSES + demo.AGENCIES + demo.ORGANISATIONS
    assert first[2] > 150
    assert set(Donor.objects.values_list("kind", flat=True)) == {"individual", "business", "agency", "organisation"}
    assert Pledge.objects.filter(status="written_off").exists() and Pledge.objects.filter(status="cancelled").exists()
    assert BankStatementLine.objects.filter(status="unmatched").count() >= 4
    call_command("seed_demo")
    assert counts() == first


def test_donations_demo_skips_without_the_campaign():
    assert demo.seed_demo() == "skipped: the campaign tet-khuyen-hoc-2026 is not seeded (the campaigns demo creates it)"

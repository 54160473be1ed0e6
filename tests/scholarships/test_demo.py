"""The students and the scholarship program of `seed_demo`: through the services (the session's run,
`demo_seeded`), then again, and the second run adds nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from fundmgr.ledger.services import ledger_verify
from scholarships.models import Award, Disbursement, Nomination, ScholarshipProgram, Student

pytestmark = pytest.mark.django_db


def counts():
    return (
        Student.objects.count(), ScholarshipProgram.objects.count(), Nomination.objects.count(),
        dict(Award.objects.order_by().values_list("status").annotate(count=Count("pk"))),
        Disbursement.objects.count(),
    )


def test_the_demo_takes_a_program_from_nominations_to_paid_awards(demo_seeded):
    first = counts()

    assert first[:3] == (60, 1, 60)
    assert first[3] == {"proposed": 15, "approved": 18, "paid": 2}  # 70.000.000 ₫ of budget: 35 awards
    assert list(Disbursement.objects.order_by("pk").values_list("number", flat=True)) == [
        "PC-2026-000001", "PC-2026-000002",
    ]
    assert ledger_verify().ok
    call_command("seed_demo")
    assert counts() == first

"""Fixtures of the scholarship API tests, imported explicitly by each `test_api_scholarships_*.py`
(`from tests.api.conftest_scholarships import *`), so they never clash with another conftest.

The scene is the one of `tests/scholarships/conftest.py` (a province with communes A and B, one
user per role, a province program with two funds and six nominated students), plus what the API
tests need on top: people of commune A's committee and treasury, commune B's own program (another
unit's records), and helpers that grow a list and count the queries of one page.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.ledger.services import Line, entry_post
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from scholarships.models import Award
from scholarships.services import awards
from tests.scholarships.conftest import (  # fixtures, re-exported by __all__
    DAY,
    RUBRIC,
    _fast_password_hashing,
    funds,
    make_student,
    people,
    program,
    six,
    student_a,
    student_b,
    units,
)

__all__ = [
    "DAY", "RUBRIC", "_fast_password_hashing", "funds", "make_student", "people", "program", "six", "student_a",
    "student_b", "units", "local_people", "program_b", "grow_paid_awards", "page_queries", "nominate",
]


@pytest.fixture
def local_people(units):
    """Commune A's committee member and treasurer: their unit is below the province's program."""
    User = get_user_model()
    made = {}
    for username, role in (("hoidong_a", Membership.Role.COMMITTEE), ("thuquy_a", Membership.Role.TREASURER)):
        made[username] = User.objects.create_user(username=username, password="mật-khẩu-thử-1")
        membership_grant(user=made[username], unit=units.commune_a, role=role)
    return made


def _fund_with(unit, code: str, amount: int) -> Fund:
    fund = Fund.objects.create(code=code, name=f"Quỹ {code}", unit=unit)
    entry_post(unit=unit, date=DAY, memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, fund, debit=amount), Line(accounts.DONATION_INCOME, fund, credit=amount),
    ])
    return fund


@pytest.fixture
def program_b(units, funds):
    """Commune B's own program, paid from its own fund, with one nominated child of commune B."""
    fund = _fund_with(units.commune_b, "QKH-B", 10_000_000)
    program = awards.program_create(
        unit=units.commune_b, code="hb-b-2026", name="Học bổng phường Hạc Thành", school_year="2026-2027",
        award_amount=1_000_000, rubric=RUBRIC, funds={fund: 10_000_000},
    )
    child = make_student(units.commune_b, full_name="Đinh Văn Bảo", national_id="038313999001", average_score="9.7")
    awards.nomination_create(program=program, student=child)
    return program


def nominate(program, unit, count: int, *, start: int = 0) -> list:
    """`count` more children of `unit` nominated for `program` (ids from `start`)."""
    nominations = []
    for number in range(start, start + count):
        child = make_student(unit, full_name=f"Học sinh {number}", national_id=f"0383140{number:05d}", average_score="9.2")
        nominations.append(awards.nomination_create(program=program, student=child))
    return nominations


def grow_paid_awards(units, count: int, *, start: int = 0) -> None:
    """`count` paid awards of a large province program (made through the services)."""
    fund = Fund.objects.filter(code="QLN").first() or _fund_with(units.province, "QLN", 500_000_000)
    program = awards.ScholarshipProgram.objects.filter(code="LN-2026").first() or awards.program_create(
        unit=units.province, code="ln-2026", name="Học bổng lớn", school_year="2026-2027", award_amount=1_000_000,
        rubric=RUBRIC, funds={fund: 500_000_000},
    )
    nominate(program, units.school_a, count, start=start)
    awards.allocation_run(program=program)
    for award in Award.objects.filter(program=program, status=Award.Status.PROPOSED).order_by("pk"):
        awards.award_approve(award=award)
        awards.award_disburse(
            award=award, method="cash", paid_on=datetime.date(2026, 11, 20), recipient_name="Lò Văn Sáng",
        )


def page_queries(client, url: str, rows: int, **params) -> int:
    """The number of queries one page of `url` costs, once it shows `rows` rows."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"limit": 200, **params})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == rows
    return len(captured.captured_queries)

"""Every endpoint under /api/v1/, found from the URL conf, and the rows behind each.

`api_routes()` walks `fundmgr.api.urls`: each route of a viewset with its HTTP methods and the
actions they run. The harnesses (permission matrix, query counts, the schema tests) iterate it,
so an endpoint added to any app's `api/urls.py` is tested without anyone listing it.

`ROW_MAKERS` says how to put rows behind an endpoint, by the route's basename: a function
`(world, unit, count) -> [url kwargs of each row]` that makes `count` rows in `unit` through the
services. A new resource adds its maker here; until it does, `test_every_endpoint_is_covered`
fails and names it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver
from django.utils import timezone

from fundmgr.api import urls as api_urls

ROOT_NAME = "api-root"


@dataclass(frozen=True)
class Route:
    name: str  # "api:pledge-list"
    basename: str  # "pledge"
    kind: str  # "list" or "detail" (or the suffix of an extra action's route)
    kwargs: tuple[str, ...]  # the URL's keyword arguments
    view: type  # the viewset class
    actions: dict  # {"get": "list", "post": "create"}

    @property
    def is_list(self) -> bool:
        return self.kind == "list" and not self.kwargs


def _walk(patterns, namespace="api"):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name != ROOT_NAME:
            yield pattern


def api_routes() -> list[Route]:
    routes = []
    for pattern in _walk(api_urls.urlpatterns):
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if actions is None:
            # A plain APIView: its methods are its actions.
            actions = {method: method for method in ("get", "post", "put", "patch", "delete") if hasattr(view, method)}
        basename, _dash, kind = pattern.name.rpartition("-")
        kwargs = tuple(pattern.pattern.regex.groupindex)
        routes.append(Route(f"api:{pattern.name}", basename, kind, kwargs, view, dict(actions)))
    return sorted(routes, key=lambda route: route.name)


# --- rows behind each endpoint ------------------------------------------------------------------

RUBRIC = [{"code": "gpa", "label": "Điểm", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
           "bands": [{"at_least": "5", "points": 50}]}]


def world_make(units) -> SimpleNamespace:
    """Per unit: a fund with money in it and an open campaign (what pledges, payments and programs need)."""
    from campaigns.models import Campaign
    from fundmgr.ledger import accounts
    from fundmgr.ledger.models import Fund, LedgerChainHead
    from fundmgr.ledger.services import Line, entry_post

    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    today = timezone.localdate()
    world = SimpleNamespace(units=units, funds={}, campaigns={}, serial=0)
    for unit in (units.commune_a, units.commune_b):
        fund = Fund.objects.create(code=f"Q-{unit.code}", name=f"Quỹ {unit.name}", unit=unit)
        entry_post(unit=unit, date=today, memo="Thu ủng hộ", lines=[
            Line(accounts.BANK, fund, debit=10**9), Line(accounts.DONATION_INCOME, fund, credit=10**9),
        ])
        campaign = Campaign.objects.create(
            name=f"Tết khuyến học {unit.code}", slug=f"tet-{unit.code.lower()}", unit=unit, lunar_year=2026,
            reference_prefix=f"T{unit.code.replace('-', '')}", starts_on=today - datetime.timedelta(days=5),
            ends_on=today + datetime.timedelta(days=30), goal=10**10, default_fund=fund, status=Campaign.Status.OPEN,
            bank_bin="970436", bank_name="Vietcombank", bank_account_number="0011004123456",
            bank_account_name="HOI KHUYEN HOC",
        )
        campaign.funds.set([fund])
        world.funds[unit.pk], world.campaigns[unit.pk] = fund, campaign
    return world


def _next(world) -> int:
    world.serial += 1
    return world.serial


def _pledges(world, unit, count):
    from donations.models import Pledge
    from donations.services import pledge_create

    pledges = []
    for _index in range(count):
        number = _next(world)
        pledge, _created = pledge_create(
            campaign=world.campaigns[unit.pk], donor_name=f"Nhà hảo tâm {number}", donor_kind="individual",
            phone=f"09{number:08d}", amount=1_000_000, installments=2, channel=Pledge.Channel.ADMIN,
        )
        pledges.append(pledge)
    return pledges


def make_pledges(world, unit, count):
    return [{"reference": pledge.reference} for pledge in _pledges(world, unit, count)]


def make_donors(world, unit, count):
    from donations.models import Donor

    # A pledge's donor belongs to its campaign's unit.
    pledges = _pledges(world, unit, count)
    Donor.objects.filter(pk__in=[p.donor_id for p in pledges]).update(unit=unit)
    return [{"pk": pledge.donor_id} for pledge in pledges]


def make_payments(world, unit, count):
    from donations.services import payment_record

    payments = []
    for pledge in _pledges(world, unit, count):
        payment = payment_record(donor=pledge.donor, pledge=pledge, amount=100_000, method="cash",
                                 received_on=timezone.localdate(), unit=unit)
        payments.append({"pk": payment.pk})
    return payments


def _students(world, unit, count):
    from scholarships.services import student_create

    return [
        student_create(
            unit=unit, full_name=f"Học sinh {_next(world)}", date_of_birth=datetime.date(2013, 5, 9), gender="female",
            school_name="Trường THCS", school_level="lower_secondary", grade=7, average_score="9.0",
            academic_rank="very_good", poor_household=True,
        )
        for _index in range(count)
    ]


def make_students(world, unit, count):
    return [{"pk": student.pk} for student in _students(world, unit, count)]


def _programs(world, unit, count, budget=1_000_000):
    from scholarships.services import awards

    return [
        awards.program_create(
            unit=unit, code=f"hb-{_next(world)}", name="Học bổng", school_year="2026-2027", award_amount=1_000_000,
            rubric=RUBRIC, funds={world.funds[unit.pk]: budget},
        )
        for _index in range(count)
    ]


def make_programs(world, unit, count):
    return [{"pk": program.pk} for program in _programs(world, unit, count)]


def make_awards(world, unit, count):
    from scholarships.services import awards

    (program,) = _programs(world, unit, 1, budget=count * 1_000_000)
    for student in _students(world, unit, count):
        awards.nomination_create(program=program, student=student)
    awards.allocation_run(program=program)
    return [{"pk": award.pk} for award in program.awards.order_by("pk")]


def make_nominations(world, unit, count):
    from scholarships.services import awards

    (program,) = _programs(world, unit, 1)
    return [
        {"pk": awards.nomination_create(program=program, student=student).pk}
        for student in _students(world, unit, count)
    ]


def make_allocation_runs(world, unit, count):
    from scholarships.services import awards

    (program,) = _programs(world, unit, 1)
    return [{"pk": awards.allocation_run(program=program).pk} for _index in range(count)]


def make_disbursements(world, unit, count):
    from scholarships.models import Award
    from scholarships.services import awards

    rows = []
    for row in make_awards(world, unit, count):
        award = awards.award_approve(award=Award.objects.get(pk=row["pk"]))
        disbursement = awards.award_disburse(
            award=award, method="cash", paid_on=datetime.date.today(), recipient_name="Người giám hộ",
        )
        rows.append({"pk": disbursement.pk})
    return rows


def make_campaigns(world, unit, count):
    from campaigns.models import Campaign

    model = world.campaigns[unit.pk]
    made = []
    for _index in range(count):
        number = _next(world)
        campaign = Campaign.objects.create(
            name=f"{model.name} {number}", slug=f"{model.slug}-{number}", unit=unit, lunar_year=model.lunar_year,
            reference_prefix=f"C{number}", starts_on=model.starts_on, ends_on=model.ends_on, goal=model.goal,
            default_fund=model.default_fund, status=model.status, bank_bin=model.bank_bin, bank_name=model.bank_name,
            bank_account_number=model.bank_account_number, bank_account_name=model.bank_account_name,
        )
        campaign.funds.set([model.default_fund])
        made.append({"slug": campaign.slug})
    return made


def make_funds(world, unit, count):
    from fundmgr.ledger.models import Fund

    return [
        {"code": Fund.objects.create(code=f"Q-{_next(world)}", name="Quỹ", unit=unit).code} for _index in range(count)
    ]


def make_journal_entries(world, unit, count):
    from fundmgr.ledger import accounts
    from fundmgr.ledger.services import Line, entry_post

    fund = world.funds[unit.pk]
    return [
        {"pk": entry_post(unit=unit, date=timezone.localdate(), memo="Thu ủng hộ", lines=[
            Line(accounts.BANK, fund, debit=1_000), Line(accounts.DONATION_INCOME, fund, credit=1_000),
        ]).pk}
        for _index in range(count)
    ]


def make_transfers(world, unit, count):
    return [{}] * count  # a POST-only route: nothing to name


def make_receipts(world, unit, count):
    from donations.models import Payment

    return [{"pk": Payment.objects.get(pk=row["pk"]).receipt.pk} for row in make_payments(world, unit, count)]


def _statements(world, unit, count):
    from donations.services.bank_statement import statement_import

    day = timezone.localdate()
    return [
        statement_import(unit=unit, file_name=f"sao-ke-{_next(world)}.csv", content=(
            "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
            f"{day:%d/%m/%Y},100000,chuyen tien {world.serial},FT-{unit.code}-{world.serial},\n"
        ).encode())
        for _index in range(count)
    ]


def make_bank_statements(world, unit, count):
    return [{"pk": statement.pk} for statement in _statements(world, unit, count)]


def make_bank_statement_lines(world, unit, count):
    return [{"pk": statement.lines.order_by("pk").first().pk} for statement in _statements(world, unit, count)]


def make_report_runs(world, unit, count):
    from fundmgr.reports.models import ReportRun

    return [
        {"pk": ReportRun.objects.create(kind="general_journal", domain="ledger", unit=unit).pk, "domain": "ledger"}
        for _index in range(count)
    ]


ROW_MAKERS = {
    "donor": make_donors,
    "pledge": make_pledges,
    "payment": make_payments,
    "student": make_students,
    "scholarship-program": make_programs,
    "award": make_awards,
    "nomination": make_nominations,
    "allocation-run": make_allocation_runs,
    "disbursement": make_disbursements,
    "campaign": make_campaigns,
    "fund": make_funds,
    "journal-entry": make_journal_entries,
    "transfer": make_transfers,
    "receipt": make_receipts,
    "bank-statement": make_bank_statements,
    "bank-statement-line": make_bank_statement_lines,
    "report-run": make_report_runs,
}

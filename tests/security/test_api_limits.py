"""Absurd sizes against the API and the public pages: page sizes, nesting depth, body size.

Every list endpoint under /api/v1/ is found from the URL resolver (as `test_hostile_inputs`
finds them) and gets at least one row first: a list that is empty never runs its page query,
so an overflowing LIMIT would go unnoticed.
"""

import datetime
import io
import json
import sys
from wsgiref.handlers import SimpleHandler

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import resolve, reverse
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Donor, Payment, Pledge
from donations.services import payment_record, pledge_create
from donations.services.bank_statement import statement_import
from fundmgr.api.pagination import ApiCursorPagination
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund, LedgerChainHead
from fundmgr.ledger.services import Line, entry_post
from fundmgr.reports.models import ReportRun
from scholarships.models import Award, Student
from scholarships.services import awards, student_create
from tests.security.test_hostile_inputs import api_endpoints

pytestmark = pytest.mark.django_db

HUGE = "10000000000000000000"  # 10**19: past a signed 64-bit integer


def _view(name: str):
    return resolve(reverse(name)).func


def _lists(name: str) -> bool:
    # A router names the create-only route of a resource "-list" too (POST /transfers/): no list there.
    return "get" in (getattr(_view(name), "actions", None) or {"get": None})


def _by_cursor(name: str) -> bool:
    view_class = getattr(_view(name), "cls", None)
    return view_class is not None and issubclass(view_class.pagination_class or object, ApiCursorPagination)


LIST_ENDPOINTS = sorted({
    name for _route, name, keywords in api_endpoints() if name.endswith("-list") and not keywords and _lists(name)
})
OFFSET_ENDPOINTS = [name for name in LIST_ENDPOINTS if not _by_cursor(name)]
RUBRIC = [{"code": "gpa", "label": "Điểm", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
           "bands": [{"at_least": "5", "points": 50}]}]


@pytest.fixture
def rows(units, make_user):
    """One row at least behind every list endpoint, and a superuser to read them."""
    accounts.chart_install()
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)
    today = timezone.localdate()
    fund = Fund.objects.create(code="QKH", name="Quỹ Khuyến học", unit=units.province)
    entry_post(unit=units.province, date=today, memo="Thu ủng hộ", lines=[
        Line(accounts.BANK, fund, debit=10_000_000), Line(accounts.DONATION_INCOME, fund, credit=10_000_000),
    ])
    campaign = Campaign.objects.create(
        name="Tết khuyến học", slug="tet", unit=units.province, lunar_year=2026, reference_prefix="TKH",
        starts_on=today - datetime.timedelta(days=5), ends_on=today + datetime.timedelta(days=30), goal=10**9,
        default_fund=fund, status=Campaign.Status.OPEN, bank_bin="970436", bank_name="Vietcombank",
        bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC",
    )
    campaign.funds.set([fund])
    for number in range(2):
        pledge, _created = pledge_create(
            campaign=campaign, donor_name=f"Nhà hảo tâm {number}", donor_kind="individual",
            phone=f"09120000{number:02d}", amount=1_000_000, channel=Pledge.Channel.ADMIN,
        )
        payment_record(donor=pledge.donor, pledge=pledge, amount=500_000, method="cash", received_on=today,
                       unit=units.province)
    program = awards.program_create(
        unit=units.province, code="hb-2026", name="Học bổng", school_year="2026-2027", award_amount=1_000_000,
        rubric=RUBRIC, funds={fund: 2_000_000},
    )
    for number in range(2):
        student = student_create(
            unit=units.commune_a, full_name=f"Học sinh {number}", date_of_birth=datetime.date(2013, 5, 9),
            gender="female", school_name="Trường THCS", school_level="lower_secondary", grade=7,
            average_score="9.0", academic_rank="very_good", poor_household=True,
        )
        awards.nomination_create(program=program, student=student)
    awards.allocation_run(program=program)
    paid = Award.objects.order_by("pk").first()
    awards.award_approve(award=paid)
    awards.award_disburse(award=paid, method="cash", paid_on=today, recipient_name="Lò Văn Sáng")
    statement_import(unit=units.province, file_name="sao-ke.csv", content=(
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f"{today:%d/%m/%Y},100000,chuyen tien,FT-LIMITS,\n"
    ).encode())
    ReportRun.objects.create(kind="general_journal", domain="ledger", unit=units.province)
    assert Donor.objects.count() == Payment.objects.count() == Student.objects.count() == Award.objects.count() == 2
    return make_user("root", superuser=True)


def test_every_list_endpoint_is_found():
    assert {"api:donor-list", "api:pledge-list", "api:payment-list", "api:student-list",
            "api:scholarship-program-list", "api:nomination-list", "api:allocation-run-list", "api:award-list",
            "api:disbursement-list", "api:journal-entry-list", "api:receipt-list"} <= set(LIST_ENDPOINTS)
    assert "api:transfer-list" not in LIST_ENDPOINTS  # POST only
    assert {"api:journal-entry-list", "api:receipt-list", "api:payment-list"}.isdisjoint(OFFSET_ENDPOINTS)


def _rows(data) -> int:
    """Rows behind the list: its count, or, for a cursor page (no count), the rows of this page."""
    return data["count"] if "count" in data else len(data["results"])


@pytest.mark.parametrize("name", LIST_ENDPOINTS)
@pytest.mark.parametrize("limit", [HUGE, "9" * 5000, "201"], ids=["10e19", "5000-digits", "201"])
def test_an_absurd_limit_gets_a_capped_page_not_a_500(client, rows, name, limit):
    client.force_login(rows)
    url = reverse(name)

    response = client.get(url, {"limit": limit}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200, response.content[:300]
    data = response.json()
    assert _rows(data) >= 1
    assert len(data["results"]) == min(_rows(data), 200)


@pytest.mark.parametrize("name", LIST_ENDPOINTS)
@pytest.mark.parametrize("params, message", [
    ({"offset": HUGE + "0"}, "Tham số offset phải là một số nguyên từ 0 đến"),
    ({"offset": "-1"}, "Tham số offset phải là một số nguyên từ 0 đến"),
    ({"offset": "abc"}, "Tham số offset phải là một số nguyên từ 0 đến"),
    ({"limit": "-1"}, "Tham số limit phải là một số nguyên dương"),
    ({"limit": "0"}, "Tham số limit phải là một số nguyên dương"),
    ({"limit": "1e9"}, "Tham số limit phải là một số nguyên dương"),
    ({"limit": "١٠"}, "Tham số limit phải là một số nguyên dương"),  # Arabic-Indic digits: int() would take them
], ids=["offset-huge", "offset-negative", "offset-text", "limit-negative", "limit-zero", "limit-exponent",
        "limit-arabic-digits"])
def test_a_malformed_limit_or_offset_is_a_400_with_a_message(client, rows, name, params, message):
    if "offset" in params and _by_cursor(name):
        pytest.skip("a cursor page has no offset")
    client.force_login(rows)

    response = client.get(reverse(name), params, HTTP_ACCEPT="application/json")

    assert response.status_code == 400, response.content[:300]
    (field,) = params
    assert response.json()["errors"][field][0].startswith(message)


@pytest.mark.parametrize("name", LIST_ENDPOINTS)
def test_an_offset_past_the_end_and_an_unknown_page_size_are_harmless(client, rows, name):
    client.force_login(rows)
    past_the_end = client.get(reverse(name), {"offset": "999999999"}, HTTP_ACCEPT="application/json")
    page_size = client.get(reverse(name), {"page_size": HUGE}, HTTP_ACCEPT="application/json")
    if _by_cursor(name):
        assert past_the_end.status_code == 200 and len(past_the_end.json()["results"]) >= 1  # offset: not a cursor's
    else:
        assert (past_the_end.status_code, past_the_end.json()["results"]) == (200, [])
    # A parameter the list does not know is refused and named, not silently ignored.
    assert page_size.status_code == 400 and list(page_size.json()["errors"]) == ["page_size"]


def test_the_page_size_is_capped_with_a_link_to_the_next_page(client, rows, monkeypatch):
    monkeypatch.setattr("fundmgr.api.pagination.ApiPagination.max_limit", 1)
    client.force_login(rows)
    data = client.get("/api/v1/donors/", {"limit": "50"}).json()
    assert (data["count"], len(data["results"])) == (2, 1)
    assert "limit=1" in data["next"] and "offset=1" in data["next"]


def test_one_pagination_class_for_the_whole_api():
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == "fundmgr.api.pagination.ApiPagination"


# --- JSON nested deep -------------------------------------------------------------------------

POST_ENDPOINTS = [
    (name, keywords) for _route, name, keywords in api_endpoints() if name.endswith("-list") and not keywords
]


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("shape", ["array", "object"])
@pytest.mark.parametrize("name", [name for name, _keywords in POST_ENDPOINTS])
def test_json_nested_deep_is_a_400_with_a_message(client, rows, name, depth, shape):
    client.force_login(rows)
    body = "[" * depth + "]" * depth if shape == "array" else '{"a":' * depth + "1" + "}" * depth
    counts = (Pledge.objects.count(), Payment.objects.count(), Student.objects.count())

    response = client.post(reverse(name), body, content_type="application/json", HTTP_ACCEPT="application/json")

    # 415: an endpoint that reads no JSON at all (a file upload) never parses it.
    assert response.status_code in (400, 405, 415), (name, response.status_code)
    if response.status_code == 400:
        assert response.json() == {"code": "parse_error", "message": "Dữ liệu JSON lồng nhau quá sâu (tối đa 32 cấp).",
                                   "errors": {}}
    assert (Pledge.objects.count(), Payment.objects.count(), Student.objects.count()) == counts


def test_json_nested_a_little_is_read_as_usual(client, rows):
    client.force_login(rows)
    body = json.dumps({"campaign": "tet", "donor_name": "Nguyễn Văn An", "phone": "0912345678", "amount": 1_000_000,
                       "message": "x", "unused": [[[[["deep enough"]]]]]})
    response = client.post("/api/v1/pledges/", body, content_type="application/json")
    assert response.status_code == 201


# --- a body over the size limit, through the server `make run` uses ------------------------------

def wsgi_post(path: str, body: bytes, content_type: str) -> tuple[str, dict, bytes]:
    """POST through wsgiref's handler, the base of `manage.py runserver`: it enforces PEP 3333 (no
    hop-by-hop headers from the application), which Django's test client does not."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
    }
    output = io.BytesIO()
    handler = SimpleHandler(io.BytesIO(body), output, sys.stderr, environ, multithread=False)
    # As Django's test client does: the request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        handler.run(WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    head, _separator, content = output.getvalue().partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return status_line.split(" ", 1)[1], headers, content


@pytest.mark.parametrize("path, content_type", [
    ("/c/tet/pledge/", "application/x-www-form-urlencoded"),
    ("/api/v1/pledges/", "application/json"),
])
def test_a_body_over_the_limit_is_a_413_with_a_message_under_the_development_server(rows, path, content_type):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    pledges = Pledge.objects.count()

    status, headers, content = wsgi_post(path, b"x" * size, content_type)

    assert status.startswith("413"), (status, content[:200])
    text = content.decode()
    if path.startswith("/api/"):  # the API's one error format
        assert json.loads(text) == {"code": "request_too_large", "message": "Dữ liệu gửi lên quá lớn.", "errors": {}}
    else:
        assert "Dữ liệu gửi lên quá lớn" in text and "Request too large" in text
    assert Pledge.objects.count() == pledges


def test_the_refusals_speak_english_to_an_english_client(client, rows):
    client.force_login(rows)
    deep = client.post("/api/v1/pledges/", "[" * 1000 + "]" * 1000, content_type="application/json",
                       HTTP_ACCEPT_LANGUAGE="en")
    limit = client.get("/api/v1/donors/", {"limit": "-1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert deep.json()["message"] == "The JSON data is nested too deep (at most 32 levels)."
    assert limit.json()["errors"] == {"limit": ["The limit parameter must be a positive whole number (at most 200 rows a page)."]}

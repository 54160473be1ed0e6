"""Bank statements in the API: upload (multipart) through `statement_import` (a repeated
Idempotency-Key answers the first import, the same file without one adds no line), the lines, a
match by hand through `bank_line_match`; scoped, and refused for another unit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from donations.models import BankStatementImport, BankStatementLine, Payment, Pledge
from donations.services import pledge_create
from fundmgr.audit.models import AuditEvent

from .money_fixtures import *  # noqa: F403  (the fixtures, by name)
from .money_fixtures import DAY, client_for, fresh

pytestmark = pytest.mark.django_db

STATEMENTS = "/api/v1/bank-statements/"
LINES = "/api/v1/bank-statement-lines/"


def generic(*rows) -> bytes:
    header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
    return (header + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in rows)).encode()


def upload(client, content: bytes, **fields):
    headers = {name: fields.pop(name) for name in list(fields) if name.startswith("HTTP_")}
    data = {"unit": "TH", "file": SimpleUploadedFile("sao-ke.csv", content, content_type="text/csv"), **fields}
    return client.post(STATEMENTS, data, format="multipart", **headers)


def make_pledge(campaign, name, amount):
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              channel=Pledge.Channel.ADMIN)
    return pledge


def test_upload_matches_by_reference_and_queues_the_rest(api, treasurer, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = DAY.strftime("%d/%m/%Y")
    content = generic((day, "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"),
                      (day, "700.000", "chuyen tien", "FT002", "PHAM MINH"))
    response = upload(api, content, campaign=campaign.slug)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["lines_credit"], body["lines_matched"], body["lines_unmatched"], body["amount_matched"]) == (
        2, 1, 1, 5_000_000
    )
    assert (body["unit"], body["campaign"], body["created_by"], body["format"]) == ("TH", campaign.slug, "thuquy", "generic")
    payment = Payment.objects.get()
    assert (payment.pledge, payment.bank_reference, payment.recorded_by) == (pledge, "FT001", treasurer)
    lines = api.get(LINES, {"statement": body["id"]}).json()["results"]
    assert sorted((line["bank_reference"], line["status"]) for line in lines) == [("FT001", "matched"), ("FT002", "unmatched")]
    assert [line["bank_reference"] for line in api.get(LINES, {"status": "unmatched"}).json()["results"]] == ["FT002"]
    assert [line["bank_reference"] for line in api.get(LINES, {"q": "phạm minh"}).json()["results"]] == ["FT002"]
    assert [line["bank_reference"] for line in api.get(LINES, {"amount_min": 1_000_000}).json()["results"]] == ["FT001"]
    assert [s["id"] for s in api.get(STATEMENTS, {"format": "generic"}).json()["results"]] == [body["id"]]
    assert api.get(STATEMENTS, {"format": "bidv"}).json()["results"] == []
    # The same file again adds nothing.
    again = upload(api, content)
    assert again.status_code == 201 and again.json()["lines_new"] == 0
    assert (BankStatementLine.objects.count(), Payment.objects.count()) == (2, 1)


def test_a_repeated_key_answers_the_first_import_and_writes_nothing(api, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = DAY.strftime("%d/%m/%Y")
    content = generic((day, "5.000.000", f"ung ho {pledge.reference}", "FT001", "NGUYEN VAN DUC"))
    first = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert (first.status_code, first.json()["lines_matched"]) == (201, 1)
    counts = (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count())
    events = AuditEvent.objects.count()

    repeat = upload(api, content, HTTP_IDEMPOTENCY_KEY="sao-ke-1")
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    # Another file (other bytes), another campaign or another format under the same key: a 422.
    other_file = generic((day, "700.000", "chuyen tien", "FT002", "PHAM MINH"))
    for refused in (
        upload(api, other_file, HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
        upload(api, content, campaign=campaign.slug, HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
        upload(api, content, format="generic", HTTP_IDEMPOTENCY_KEY="sao-ke-1"),
    ):
        assert refused.status_code == 422, refused.json()
        assert (refused.json()["code"], list(refused.json()["errors"])) == ("idempotency_key_reused", ["idempotency_key"])
        assert set(refused.json()) == {"code", "message", "errors"}
    assert (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_the_same_file_without_a_key_is_a_second_import_with_no_new_line(api, campaign):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    content = generic((DAY.strftime("%d/%m/%Y"), "5.000.000", f"ung ho {pledge.reference}", "", "NGUYEN VAN DUC"))
    assert upload(api, content).json()["lines_matched"] == 1
    again = upload(api, content)  # no bank reference: the line's key is a hash of its content
    assert again.status_code == 201
    assert (again.json()["lines_credit"], again.json()["lines_new"], again.json()["lines_matched"]) == (1, 0, 0)
    assert (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count()) == (2, 1, 1)


def test_an_unreadable_file_is_a_400_on_the_file(api, unit):
    response = upload(api, b"not,a,statement\n")
    assert response.status_code == 400 and "file" in str(response.json())
    assert not BankStatementImport.objects.exists()


def test_match_a_waiting_line_to_a_pledge_records_its_payment(api, treasurer, campaign):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    upload(api, generic((DAY.strftime("%d/%m/%Y"), "700.000", "chuyen tien", "FT9", "ANH HUNG")))
    line = BankStatementLine.objects.get()
    assert line.status == "unmatched"
    response = api.post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference.lower()}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["pledge"], response.json()["resolved_by"]) == (
        "manual", pledge.reference, "thuquy"
    )
    payment = Payment.objects.get()
    assert (payment.pledge, payment.amount, payment.bank_reference) == (pledge, 700_000, "FT9")
    assert api.post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 400
    assert Payment.objects.count() == 1


def test_ignore_needs_a_reason(api, campaign):
    upload(api, generic((DAY.strftime("%d/%m/%Y"), "12.345", "lai tien gui", "FT-LAI", "")))
    line = BankStatementLine.objects.get()
    assert api.post(f"{LINES}{line.pk}/ignore/", {"reason": " "}, format="json").status_code == 400
    response = api.post(f"{LINES}{line.pk}/ignore/", {"reason": "Lãi tiền gửi"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def test_another_units_statements_are_invisible_and_refused(api, campaign, other_campaign, stranger, auditor):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    content = generic((DAY.strftime("%d/%m/%Y"), "700.000", "chuyen tien", "FT9", "ANH HUNG"))
    # A stranger uploads for Thanh Hóa, or for Thanh Hóa's campaign: refused, nothing written.
    assert upload(client_for(stranger), content).status_code == 403
    assert upload(client_for(stranger), content, unit="NA", campaign=campaign.slug).status_code == 403
    assert upload(client_for(auditor), content).status_code == 403
    assert upload(client_for(), content).status_code in (401, 403)
    assert not BankStatementImport.objects.exists()
    upload(api, content)
    line = BankStatementLine.objects.get()
    assert client_for(stranger).get(LINES).json()["results"] == []
    assert client_for(stranger).get(STATEMENTS).json()["count"] == 0
    assert client_for(stranger).post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 404
    assert client_for(auditor).post(f"{LINES}{line.pk}/match/", {"pledge": pledge.reference}, format="json").status_code == 403
    assert client_for(auditor).post(f"{LINES}{line.pk}/ignore/", {"reason": "x"}, format="json").status_code == 403
    line.refresh_from_db()
    assert (line.status, Payment.objects.count()) == ("unmatched", 0)


def _statement(client, start, count):
    rows = [(DAY.strftime("%d/%m/%Y"), f"{100_000 + index}", f"chuyen tien {index}", f"FT{index}", "")
            for index in range(start, start + count)]
    assert upload(client, generic(*rows)).status_code == 201


# Lines: memberships and the page (pledge and resolver joined), no count (cursor).
# Statements: memberships, the count, the page (unit, campaign, importer joined).
@pytest.mark.parametrize(("url", "queries"), [(LINES, 2), (STATEMENTS, 3)])
def test_lists_run_the_same_queries_for_5_and_50_rows(api, treasurer, unit, url, queries, django_assert_num_queries):
    if url == STATEMENTS:
        for index in range(5):
            _statement(api, index, 1)
    else:
        _statement(api, 0, 5)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        small = api.get(url, {"limit": 100}).json()["results"]
    if url == STATEMENTS:
        for index in range(5, 50):
            _statement(api, index, 1)
    else:
        _statement(api, 5, 45)
    api.force_authenticate(fresh(treasurer))
    with django_assert_num_queries(queries):
        large = api.get(url, {"limit": 100}).json()["results"]
    assert (len(small), len(large)) == (5, 50)

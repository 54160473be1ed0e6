"""Idempotency under concurrent repeats, on PostgreSQL, through the API as an integration calls it.

40 POSTs at once (30 distinct Idempotency-Keys, 10 of them sent twice), each from its own thread
with its own database connection, released together by a barrier: exactly 30 records; every
repeat answers the first record (200, or 409 if it ever had to give up waiting), none a 5xx.
For payments, pledges, bank-statement uploads (each file pays a pledge: 30 imports, each accepted
(202) and queued once, then imported by the eager task after its commit: 30 lines, 30 payments) and
vouchers (30 approved awards: 30 vouchers, 30 journal entries).
The key's unique index makes the second request wait for the first one's commit
(`fundmgr/idempotency/services.py`), so no timing decides the outcome.
"""

import random
import threading
from collections import defaultdict

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone

from donations.models import BankStatementImport, BankStatementLine, Payment, Pledge
from fundmgr.core import outbox
from fundmgr.idempotency.models import IdempotencyKey
from fundmgr.ledger.models import JournalEntry
from receipts.models import Receipt
from scholarships.models import Award, Disbursement
from scholarships.services import awards

from .conftest import token_client, token_for
from .endpoints import _pledges, make_awards, world_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DISTINCT, REPEATED = 30, 10


def fire_at_once(plain_token: str, url: str, body_of, *, body_format="json") -> list[tuple[str, int, dict]]:
    keys = [f"key-{number:02d}" for number in range(DISTINCT)]
    requests = keys + keys[:REPEATED]
    random.Random(14).shuffle(requests)
    barrier = threading.Barrier(len(requests))
    answers = []
    lock = threading.Lock()

    def send(key):
        client = token_client(plain_token)
        try:
            barrier.wait(timeout=60)
            response = client.post(url, body_of(key), format=body_format, HTTP_IDEMPOTENCY_KEY=key)
            with lock:
                answers.append((key, response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(key,)) for key in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == len(requests)
    return answers


def check_answers(answers, identity: str, *, created_status: int = 201) -> dict[str, set]:
    statuses = sorted(status for _key, status, _body in answers)
    assert all(status < 500 for status in statuses), statuses
    by_key = defaultdict(list)
    for key, status, body in answers:
        by_key[key].append((status, body.get(identity)))
    for key, replies in by_key.items():
        created = [reply for reply in replies if reply[0] == created_status]
        assert len(created) == 1, (key, replies)  # the one record of the key
        for status, value in replies:
            assert status in (200, created_status, 409), (key, replies)
            if status == 200:
                assert value == created[0][1], (key, replies)  # a repeat answers the first record
    return by_key


def test_forty_concurrent_payments_with_ten_repeated_keys_make_thirty(units, treasurer):
    world = world_make(units)
    (pledge,) = _pledges(world, units.commune_a, 1)
    Pledge.objects.filter(pk=pledge.pk).update(amount=100_000_000)
    today = timezone.localdate().isoformat()

    answers = fire_at_once(token_for(treasurer), "/api/v1/payments/", lambda key: {
        "pledge": pledge.reference, "amount": 100_000, "method": "cash", "received_on": today,
    })

    by_key = check_answers(answers, "id")
    assert len(by_key) == DISTINCT
    assert Payment.objects.count() == DISTINCT
    assert Receipt.objects.count() == DISTINCT
    assert IdempotencyKey.objects.filter(model_label="donations.payment").count() == DISTINCT
    assert {value for replies in by_key.values() for _status, value in replies} == set(Payment.objects.values_list("pk", flat=True))


def test_forty_concurrent_pledges_with_ten_repeated_keys_make_thirty(units, treasurer):
    world = world_make(units)
    campaign = world.campaigns[units.commune_a.pk]

    answers = fire_at_once(token_for(treasurer), "/api/v1/pledges/", lambda key: {
        "campaign": campaign.slug, "donor_name": f"Nhà hảo tâm {key}", "phone": f"0912{int(key[-2:]):06d}",
        "amount": 2_000_000,
    })

    by_key = check_answers(answers, "reference")
    assert Pledge.objects.filter(channel=Pledge.Channel.API).count() == DISTINCT
    assert {value for replies in by_key.values() for _status, value in replies} == set(
        Pledge.objects.values_list("reference", flat=True)
    )


def statement_file(key: str, pledge) -> SimpleUploadedFile:
    day = timezone.localdate().strftime("%d/%m/%Y")
    content = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f"{day},100000,ung ho {pledge.reference},FT-{key},NGUOI CHUYEN\n"
    ).encode()
    return SimpleUploadedFile(f"sao-ke-{key}.csv", content, content_type="text/csv")


def test_forty_concurrent_statement_uploads_with_ten_repeated_keys_make_thirty(units, treasurer, monkeypatch):
    world = world_make(units)
    (pledge,) = _pledges(world, units.commune_a, 1)
    Pledge.objects.filter(pk=pledge.pk).update(amount=100_000_000)
    queued, lock = [], threading.Lock()
    enqueue_many = outbox.enqueue_many

    def enqueue_counted(jobs):  # the eager task still runs: the import happens, once per job
        with lock:
            queued.extend(args for task, args in jobs if task.name == "donations.tasks.bank_statement_import_task")
        return enqueue_many(jobs)

    monkeypatch.setattr(outbox, "enqueue_many", enqueue_counted)

    answers = fire_at_once(token_for(treasurer), "/api/v1/bank-statements/", lambda key: {
        "unit": units.commune_a.code, "file": statement_file(key, pledge),
    }, body_format="multipart")

    by_key = check_answers(answers, "id", created_status=202)
    assert BankStatementImport.objects.count() == DISTINCT
    # One job per import: a repeat of a key queued nothing.
    assert sorted(queued) == sorted((pk,) for pk in BankStatementImport.objects.values_list("pk", flat=True))
    assert set(BankStatementImport.objects.values_list("status", flat=True)) == {"done"}
    assert {value for replies in by_key.values() for _status, value in replies} == set(
        BankStatementImport.objects.values_list("pk", flat=True)
    )
    # Each file's one line, stored and paid once: never a second payment of a line.
    assert BankStatementLine.objects.filter(status="matched").count() == DISTINCT
    assert Payment.objects.count() == DISTINCT
    assert sorted(Payment.objects.values_list("bank_reference", flat=True)) == sorted(f"FT-key-{n:02d}" for n in range(DISTINCT))


def test_forty_concurrent_vouchers_with_ten_repeated_keys_make_thirty(units, treasurer):
    world = world_make(units)
    approved = [
        awards.award_approve(award=Award.objects.get(pk=row["pk"])).pk for row in make_awards(world, units.commune_a, DISTINCT)
    ]
    award_of = {f"key-{number:02d}": pk for number, pk in enumerate(approved)}
    entries = JournalEntry.objects.count()
    today = timezone.localdate().isoformat()

    answers = fire_at_once(token_for(treasurer), "/api/v1/disbursements/", lambda key: {
        "award": award_of[key], "method": "cash", "paid_on": today, "recipient_name": "Người giám hộ",
    })

    by_key = check_answers(answers, "id")
    assert Disbursement.objects.count() == DISTINCT
    assert JournalEntry.objects.count() == entries + DISTINCT
    assert set(Award.objects.values_list("status", flat=True)) == {"paid"}
    assert {value for replies in by_key.values() for _status, value in replies} == set(
        Disbursement.objects.values_list("pk", flat=True)
    )
    # Gap-free voucher numbers, one per award.
    assert sorted(Disbursement.objects.values_list("sequence", flat=True)) == list(range(1, DISTINCT + 1))

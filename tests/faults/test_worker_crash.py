"""Nothing is lost when workers and the broker die: every payment ends with one receipt, one PDF
and one e-mail.

500 payments are recorded (each enqueues its receipt's render after commit; the render enqueues
the e-mail). Meanwhile a real `celery -A fundmgr worker` (prefork, concurrency 2) works through
them and is SIGKILLed four times (and restarted each time), and the private redis-server, which
keeps nothing on disk, is killed and restarted once: every message in it, and every message the
killed workers held, is gone. A real `celery beat` runs the requeue job every few seconds (in
production every five minutes) with a staleness threshold of 20 seconds; it finds the jobs that
stayed pending or running in the database and enqueues them again.

At the end: 500 receipts numbered 1..500, 500 PDF files, and exactly one complete e-mail per
receipt in the file mailbox. The whole test is bounded to six minutes.
"""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from donations.models import Donor, Payment
from donations.services import payment_record
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit
from receipts.models import Receipt, ReceiptDelivery
from tests.workers import beat_requeue_every, wait_until

PAYMENTS = 500
DEADLINE_SECONDS = 360
# Seconds after the first payment: kill the worker (and restart it), or restart Redis.
CHAOS = [(2.0, "worker"), (5.0, "worker"), (8.0, "redis"), (11.0, "worker"), (15.0, "worker")]


def open_jobs() -> int:
    return ReceiptDelivery.objects.exclude(status="done").count()


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_workers_and_a_restarted_broker_lose_nothing(rig, chart, publish_to):
    started = time.monotonic()
    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    donors = [
        Donor.objects.create(
            name=f"Nhà hảo tâm {index:03d}", name_normalized=f"nha hao tam {index:03d}",
            email=f"donor{index:03d}@example.vn", unit=unit,
        )
        for index in range(50)
    ]
    beat_requeue_every(2, older_than_seconds=20)
    rig.redis.start()
    publish_to(rig.redis.url)
    rig.worker.start()
    rig.beat.start()

    chaos_log: list[str] = []
    chaos_errors: list[BaseException] = []
    chaos_started = threading.Event()

    def chaos():
        try:
            chaos_started.wait(timeout=60)
            origin = time.monotonic()
            for at, target in CHAOS:
                time.sleep(max(0.0, origin + at - time.monotonic()))
                open_now = open_jobs()
                if target == "worker":
                    rig.worker.kill()
                    rig.worker.start()
                else:
                    rig.redis.restart()
                chaos_log.append(f"{at:>4.1f}s {target} killed with {open_now} jobs open")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            chaos_errors.append(error)
        finally:
            connection.close()  # this thread's own database connection

    chaos_thread = threading.Thread(target=chaos, daemon=True)
    chaos_thread.start()
    today = timezone.localdate()
    for index in range(PAYMENTS):
        payment_record(
            donor=donors[index % len(donors)], amount=100_000 + index * 1_000, method=Payment.Method.BANK_TRANSFER,
            received_on=today, unit=unit, fund=fund, bank_reference=f"FT{index:08d}",
        )
        chaos_started.set()
    chaos_thread.join(timeout=120)
    assert not chaos_thread.is_alive() and chaos_errors == []
    # Every disruption hit a worker with work in hand.
    assert len(chaos_log) == len(CHAOS) and all(" 0 jobs open" not in line for line in chaos_log), chaos_log

    remaining = DEADLINE_SECONDS - (time.monotonic() - started)
    try:
        wait_until(lambda: open_jobs() == 0, timeout=remaining, interval=1, what="every receipt job done")
    except AssertionError:
        stuck = list(ReceiptDelivery.objects.exclude(status="done").values_list("receipt__number", "channel", "status", "last_error")[:20])
        pytest.fail(f"jobs left: {stuck}\nchaos: {chaos_log}\nworker log tail:\n{rig.worker.log()[-4000:]}")
    rig.beat.kill()
    rig.worker.kill()

    receipts = list(Receipt.objects.order_by("sequence"))
    assert Payment.objects.count() == PAYMENTS
    assert [receipt.sequence for receipt in receipts] == list(range(1, PAYMENTS + 1))
    assert Payment.objects.filter(receipt__isnull=True).count() == 0
    # One PDF file per receipt, complete, where the receipt says it is.
    files = rig.pdf_files()
    assert len(files) == PAYMENTS
    assert {str(path.relative_to(rig.media_root)) for path in files} == {receipt.pdf.name for receipt in receipts}
    for path in files:
        content = path.read_bytes()
        assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF"), path
    # Exactly one e-mail per receipt.
    counts = rig.emails_by_receipt()
    assert counts == {receipt.number: 1 for receipt in receipts}, {
        number: count for number, count in counts.items() if count != 1
    }
    assert set(ReceiptDelivery.objects.values_list("status", flat=True)) == {"done"}
    # The lost messages came back through the requeue job (run by beat, executed by the worker).
    assert "re-enqueued" in rig.worker.log()
    print("chaos:", *chaos_log, f"worker starts: {rig.worker.starts}", f"total {time.monotonic() - started:.0f}s", sep="\n  ")

"""With the broker down, a payment is still recorded; when the broker is back, the receipt is
rendered and e-mailed without anyone doing anything.

The test process publishes to a port where nothing listens: `payment_record` commits, the
after-commit enqueue fails, is logged, and leaves both jobs pending. Then a redis-server starts
on that port with a worker and a beat; beat's requeue job (here every 2 seconds, jobs older than
3 seconds) finds the pending jobs and the worker does them.
"""

import logging

import pytest
from django.utils import timezone

from donations.models import Donor, Payment
from donations.services import payment_record
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import OrgUnit
from receipts.models import Receipt, ReceiptDelivery
from tests.workers import beat_requeue_every, wait_until


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_recorded_while_the_broker_is_down_is_delivered_once_it_is_back(rig, chart, publish_to, caplog):
    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    donor = Donor.objects.create(name="Trần Văn Bình", name_normalized="tran van binh", email="binh@example.vn", unit=unit)
    beat_requeue_every(2, older_than_seconds=3)
    assert not rig.redis.answers()  # nothing listens on the broker's port
    publish_to(rig.redis.url)
    caplog.set_level(logging.WARNING, logger="receipts.services")

    payment = payment_record(
        donor=donor, amount=5_000_000, method=Payment.Method.CASH, received_on=timezone.localdate(), unit=unit, fund=fund,
    )

    receipt = Receipt.objects.get(payment=payment)
    assert set(receipt.deliveries.values_list("status", flat=True)) == {"pending"}
    assert "could not enqueue receipts.tasks.receipt_render_task" in caplog.text

    # The broker comes back, with a worker and beat; nobody touches the receipt.
    rig.redis.start()
    rig.worker.start()
    rig.beat.start()
    wait_until(
        lambda: not ReceiptDelivery.objects.exclude(status="done").exists(), timeout=90, interval=0.5,
        what="the receipt's PDF and e-mail",
    )
    receipt.refresh_from_db()
    assert [str(path.relative_to(rig.media_root)) for path in rig.pdf_files()] == [receipt.pdf.name]
    assert rig.emails_by_receipt() == {receipt.number: 1}
    assert "re-enqueued" in rig.worker.log()

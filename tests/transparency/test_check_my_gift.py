""""Check my gift" (`/p/<reference>/verify/`) over the demo data: a donor sees the journal entry of
each payment received on their pledge and its proof against the latest checkpoint, and the command
printed on the page, run as is, says "included"; a payment after the checkpoint waits for the next
one, a voided payment is not shown; the confirmation page and the receipt e-mail link to it."""

import datetime
import html
import re
import shlex
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import Count, Q

from donations.models import Pledge
from donations.services import payment_record, receipt_void
from fundmgr.transparency import tree
from receipts import services as receipts_services
from receipts.models import Receipt

from .proof_helpers import SCRIPT, checkpoint_over_the_log

pytestmark = pytest.mark.django_db

SITE_URL = "https://khuyenhoc.example.vn"


@pytest.fixture
def demo(settings, demo_seeded):
    settings.SITE_URL = SITE_URL
    return checkpoint_over_the_log()


def pledge_with_payments(count: int, *statuses: str) -> Pledge:
    received = Count("payments", filter=Q(payments__voided_at__isnull=True))
    pledges = Pledge.objects.annotate(received=received).filter(received__gte=count)
    if statuses:
        pledges = pledges.filter(status__in=statuses)
    return pledges.order_by("-received", "pk").first()


def page(client, pledge, **headers):
    response = client.get(f"/p/{pledge.reference}/verify/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def printed_commands(text: str) -> list[list[str]]:
    return [shlex.split(html.unescape(command)) for command in re.findall(r'<pre class="mono command">(.*?)</pre>', text, re.S)]


def record_payment(pledge: Pledge, amount: int = 10_000):
    return payment_record(
        donor=pledge.donor, pledge=pledge, amount=amount, method="cash", received_on=datetime.date.today(),
        unit=pledge.campaign.unit, recorded_by=get_user_model().objects.get(username="treasurer"),
    )


def test_the_donor_sees_each_gift_and_a_proof_the_script_accepts(client, demo, django_assert_max_num_queries):
    pledge = pledge_with_payments(1, Pledge.Status.PARTIALLY_PAID)
    record_payment(pledge)  # a second installment, in the checkpoint too
    demo = checkpoint_over_the_log()
    payments = list(pledge.payments.not_voided().select_related("journal_entry").order_by("received_on", "pk"))
    detail = client.get(f"/p/{pledge.reference}/").content.decode()
    assert f'href="/p/{pledge.reference}/verify/"' in detail

    # Rate limit, pledge, checkpoint, payments with their entries, their leaves, the proofs' subtrees.
    with django_assert_max_num_queries(6):
        text = page(client, pledge)
    assert demo.root_hash in text and str(demo.tree_size) in text and demo.signature in text
    for payment in payments:
        leaf = tree.leaf_for_entry(payment.journal_entry_id)
        assert f'<dd class="entry-id">{payment.journal_entry_id}</dd>' in text
        assert f'<dd class="mono hash entry-hash">{payment.journal_entry.hash}</dd>' in text
        assert f'<dd class="leaf-index">{leaf.index}</dd>' in text
        for node in tree.inclusion_proof(leaf.index, demo.tree_size):
            assert f"<li>{node.hex()}</li>" in text
    commands = printed_commands(text)
    assert len(commands) == len(payments) >= 2
    for command in commands:  # as the donor runs them, with the downloaded script
        assert command[:3] == ["python3", "transparency_verify.py", "inclusion"]
        result = subprocess.run([sys.executable, str(SCRIPT), *command[2:]], capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stdout) == (0, "included\n")
    download = client.get("/transparency/transparency_verify.py")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == SCRIPT.read_bytes()
    assert 'attachment; filename="transparency_verify.py"' == download["Content-Disposition"]

    english = page(client, pledge, HTTP_ACCEPT_LANGUAGE="en")
    assert "Check your gift" in english and "How to check it yourself" in english


def test_a_gift_after_the_checkpoint_waits_and_a_voided_one_is_gone(client, demo):
    treasurer = get_user_model().objects.get(username="treasurer")
    pledge = pledge_with_payments(1, Pledge.Status.PARTIALLY_PAID)
    voided = pledge.payments.not_voided().order_by("pk").first()
    late = record_payment(pledge)
    receipt_void(receipt=voided.receipt, reason="Ghi nhầm người nộp", voided_by=treasurer)

    text = page(client, pledge)
    assert late.journal_entry.hash in text
    assert "Bút toán này được ghi sau điểm kiểm chứng mới nhất." in text
    assert voided.journal_entry.hash not in text  # nor its reversal: it is not a gift
    assert len(printed_commands(text)) == pledge.payments.not_voided().count() - 1

    newer = checkpoint_over_the_log()  # the next daily checkpoint
    text = page(client, pledge)
    assert "Bút toán này được ghi sau" not in text and newer.root_hash in text
    assert len(printed_commands(text)) == pledge.payments.not_voided().count()


def test_the_receipt_e_mail_links_to_the_check(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the receipt's PDF, attached to the e-mail
    receipt = Receipt.objects.filter(payment__pledge__isnull=False).exclude(payment__donor__email="").order_by("pk").first()
    mail.outbox.clear()
    assert receipts_services.receipt_email(receipt_id=receipt.pk)
    [message] = mail.outbox
    link = f"{SITE_URL}/p/{receipt.payment.pledge.reference}/verify/"
    assert message.body.count(link) == 2  # in Vietnamese, then in English


def test_the_page_shares_the_confirmation_page_s_limit(client, demo, settings, rate_limit_clock):
    settings.PLEDGE_DETAIL_RATE_LIMIT_PER_IP = "2/m"
    pledge = pledge_with_payments(1)
    assert client.get(f"/p/{pledge.reference}/").status_code == 200
    assert client.get(f"/p/{pledge.reference}/verify/").status_code == 200
    assert client.get(f"/p/{pledge.reference}/verify/").status_code == 429
    settings.PLEDGE_DETAIL_RATE_LIMIT_PER_IP = "100/m"
    assert client.get("/p/TKH26-XXXXX/verify/").status_code == 404

"""Reversing a payment that bounced or was made in error, as worked examples.

The scene of `ceremony.py`, with the awards approved but not paid. A reversal posts the mirror
entry, puts the award back to approved (a commitment again), keeps the voucher's number with the
stamp "ĐÃ HỦY / HOÀN"; the fund's balance and available balance are exactly what they were before
the payment, and the award is paid again with the next voucher number.
"""

import subprocess
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger.models import JournalEntry
from fundmgr.ledger.selectors import fund_balances, funds_available
from fundmgr.ledger.services import ledger_verify
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from scholarships.models import Award, Disbursement
from scholarships.services import awards, papers

from .ceremony import DAY, ceremony_scene
from .test_papers import page_png, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(units, people):
    """The fund and one approved, unpaid award (of the twenty)."""
    fund, _program, students, _paid = ceremony_scene(units, people, in_a=2, in_b=0, pay=False)
    return fund, Award.objects.get(student=students[0])


def pay(award, people, **fields):
    values = {"method": "bank_transfer", "paid_on": DAY, "recipient_name": "Lò Văn Sáng", "bank_reference": "FT26324001"}
    return awards.award_disburse(award=award, by=people["treasurer"], **{**values, **fields})


def positions(fund):
    return fund_balances()[fund.pk], funds_available([fund])[fund.pk]


def reversal_leaves_the_fund_as_before_the_payment(approved, people):
    fund, award = approved
    before = positions(fund)
    disbursement = pay(award, people)
    assert positions(fund) == (before[0] - 1_500_000, before[1])  # paid: out of the bank, no longer committed

    reversed_ = awards.disbursement_reverse(
        disbursement=disbursement, reason="Ngân hàng trả lại: sai số tài khoản", by=people["treasurer"],
    )
    assert positions(fund) == before
    award.refresh_from_db()
    assert award.status == Award.Status.APPROVED and award.disbursement is None
    assert reversed_.is_reversed and reversed_.reversed_by == people["treasurer"]
    assert reversed_.reversal_reason == "Ngân hàng trả lại: sai số tài khoản"
    reversal = reversed_.reversal_entry
    assert reversal.reverses_id == disbursement.entry_id and reversal.date == timezone.localdate()
    assert sorted((line.account.code, line.debit, line.credit) for line in reversal.lines.all()) == [
        ("112", 1_500_000, 0), ("611", 0, 1_500_000),
    ]

    # Paid again: a new voucher with the next number; the reversed one keeps its own.
    again = pay(award, people, bank_reference="FT26325002")
    assert (disbursement.number, again.number) == ("PC-2026-000001", "PC-2026-000002")
    assert Disbursement.objects.get(pk=disbursement.pk).number == "PC-2026-000001"
    award.refresh_from_db()
    assert award.status == Award.Status.PAID and award.disbursement == again
    assert positions(fund) == (before[0] - 1_500_000, before[1])


@pytest.mark.postgres
def test_a_reversal_leaves_the_balance_and_the_available_balance_as_before_on_postgres(approved, people):
    reversal_leaves_the_fund_as_before_the_payment(approved, people)


def test_a_reversal_leaves_the_balance_and_the_available_balance_as_before(approved, people):
    reversal_leaves_the_fund_as_before_the_payment(approved, people)


def test_a_second_reversal_is_refused_and_writes_nothing(approved, people):
    _fund, award = approved
    disbursement = pay(award, people)
    awards.disbursement_reverse(disbursement=disbursement, reason="Chi nhầm người", by=people["treasurer"])
    entries, events = JournalEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised:
        awards.disbursement_reverse(disbursement=disbursement, reason="Lần nữa", by=people["treasurer"])
    when = timezone.localdate().strftime("%d/%m/%Y")
    assert raised.value.messages == [f"Phiếu chi PC-2026-000001 đã được hủy / hoàn ngày {when}; không hủy lần thứ hai."]
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, events)
    assert Award.objects.get(pk=award.pk).status == Award.Status.APPROVED


def test_a_reversal_needs_a_reason_and_the_money_right_in_the_paying_unit(approved, units, people):
    _fund, award = approved
    disbursement = pay(award, people)
    with pytest.raises(ValidationError) as raised:
        awards.disbursement_reverse(disbursement=disbursement, reason="  ", by=people["treasurer"])
    assert raised.value.message_dict == {"reason": ["Cần ghi lý do hủy / hoàn phiếu chi."]}

    commune_treasurer = get_user_model().objects.create_user(username="thuquy_b", password="x")
    membership_grant(user=commune_treasurer, unit=units.commune_b, role=Membership.Role.TREASURER)
    for outsider in (commune_treasurer, people["auditor"], people["committee"]):
        with pytest.raises(PermissionDenied):
            awards.disbursement_reverse(disbursement=disbursement, reason="Chi nhầm", by=outsider)
    disbursement.refresh_from_db()
    assert not disbursement.is_reversed and Award.objects.get(pk=award.pk).status == Award.Status.PAID


def test_the_reversal_is_in_the_audit_trail(approved, people):
    _fund, award = approved
    disbursement = pay(award, people)
    awards.disbursement_reverse(disbursement=disbursement, reason="Chi nhầm người", by=people["treasurer"])
    event = AuditEvent.objects.get(
        model_label="scholarships.disbursement", object_id=str(disbursement.pk), action="transition",
    )
    assert event.actor == people["treasurer"]
    assert event.before["reversal_reason"] == "" and event.after["reversal_reason"] == "Chi nhầm người"
    assert event.after["reversal_entry_id"] == Disbursement.objects.get(pk=disbursement.pk).reversal_entry_id
    award_event = AuditEvent.objects.filter(model_label="scholarships.award", object_id=str(award.pk), action="transition")
    assert award_event.latest("pk").after == {"status": "approved"}


def test_one_standing_voucher_per_award_is_held_by_the_database(approved, people):
    _fund, award = approved
    disbursement = pay(award, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            award=award, unit=disbursement.unit, year=2026, sequence=99, number="PC-2026-000099", method="cash",
            paid_on=DAY, recipient_name="x",
        )


def test_the_voucher_of_a_reversed_payment_carries_the_stamp(approved, people, artifacts_dir):
    _fund, award = approved
    disbursement = pay(award, people)
    awards.disbursement_reverse(
        disbursement=disbursement, reason="Ngân hàng trả lại: sai số tài khoản", by=people["treasurer"],
    )
    target = artifacts_dir / "phieu-chi-da-huy.pdf"
    target.write_bytes(papers.disbursement_voucher_pdf(disbursement=disbursement, by=people["treasurer"]))
    text = pdf_text(target)
    when = timezone.localdate().strftime("%d/%m/%Y")
    assert f"PHIẾU CHI ĐÃ HỦY / HOÀN {when} – Lý do: Ngân hàng trả lại: sai số tài khoản" in text
    assert "Số: PC-2026-000001" in text and "(Viết bằng chữ): Một triệu năm trăm nghìn đồng chẵn" in text
    raw = subprocess.run(["pdftotext", "-raw", str(target), "-"], check=True, capture_output=True, text=True).stdout
    assert "ĐÃ HỦY / HOÀN\nLý do: Ngân hàng trả lại: sai số tài khoản" in raw  # the rotated stamp
    assert f"Ngày hủy / hoàn: {when}" in raw
    page_png(target, artifacts_dir / "phieu-chi-da-huy")


def test_the_admin_reverses_with_a_reason_form(client, approved, people):
    _fund, award = approved
    disbursement = pay(award, people)
    client.force_login(people["treasurer"])
    changelist = reverse("admin:scholarships_disbursement_changelist")
    page = client.post(changelist, {"action": "reverse_action", "_selected_action": [disbursement.pk]})
    assert page.status_code == 200 and "Lý do hủy / hoàn" in page.content.decode()
    assert not Disbursement.objects.get(pk=disbursement.pk).is_reversed

    response = client.post(changelist, {
        "action": "reverse_action", "_selected_action": [disbursement.pk], "apply": "1", "reason": "Chi nhầm người",
    })
    assert response.status_code == 302
    disbursement.refresh_from_db()
    assert disbursement.is_reversed and disbursement.reversal_reason == "Chi nhầm người"

    change = client.get(reverse("admin:scholarships_disbursement_change", args=[disbursement.pk])).content.decode()
    assert "Đã hủy / hoàn" in change and "Tải phiếu chi" in change
    assert reverse("admin:scholarships_disbursement_reverse", args=[disbursement.pk]) not in change  # once only


def test_the_admin_reversal_page_of_a_voucher(client, approved, people):
    _fund, award = approved
    disbursement = pay(award, people)
    url = reverse("admin:scholarships_disbursement_reverse", args=[disbursement.pk])
    client.force_login(people["auditor"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert reverse("admin:scholarships_disbursement_reverse", args=[disbursement.pk]) not in client.get(
        reverse("admin:scholarships_disbursement_change", args=[disbursement.pk])).content.decode()

    client.force_login(people["treasurer"])
    assert url in client.get(reverse("admin:scholarships_disbursement_change", args=[disbursement.pk])).content.decode()
    page = client.post(url, {"reason": ""})
    assert page.status_code == 200 and not Disbursement.objects.get(pk=disbursement.pk).is_reversed
    assert client.post(url, {"reason": "Ngân hàng trả lại"}).status_code == 302
    assert Disbursement.objects.get(pk=disbursement.pk).is_reversed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reversals_of_one_voucher_reverse_it_once(units, people):
    """Four treasurers' clicks at once: the award's row lock queues them; the first reverses, the
    others read the reversal and are refused; one reversing entry, the chain intact."""
    fund, _program, students, _paid = ceremony_scene(units, people, in_a=1, in_b=0, pay=False)
    award = Award.objects.get(student=students[0])
    before = positions(fund)
    disbursement = pay(award, people)
    outcomes, lock, start = [], threading.Lock(), threading.Barrier(4)

    def reverse_once():
        try:
            start.wait()
            try:
                awards.disbursement_reverse(disbursement=disbursement, reason="Chi nhầm người", by=people["treasurer"])
                outcome = "ok"
            except ValidationError as error:
                outcome = error.code
            except Exception as error:  # noqa: BLE001 - anything else is a bug the assertion will show
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=reverse_once) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(outcomes) == ["already_reversed"] * 3 + ["ok"]
    assert JournalEntry.objects.filter(reverses_id=disbursement.entry_id).count() == 1
    assert positions(fund) == before and Award.objects.get(pk=award.pk).status == Award.Status.APPROVED
    assert ledger_verify().ok


def test_the_award_page_lists_the_reversed_voucher_and_the_new_one(client, approved, people):
    _fund, award = approved
    first = pay(award, people)
    awards.disbursement_reverse(disbursement=first, reason="Ngân hàng trả lại", by=people["treasurer"])
    again = pay(award, people, bank_reference="FT26325002")
    client.force_login(people["treasurer"])
    page = client.get(reverse("admin:scholarships_award_change", args=[award.pk])).content.decode()
    assert f">{first.number}</a> (đã hủy / hoàn)" in page and f">{again.number}</a>" in page
    client.force_login(people["committee"])  # no money page for the committee: the numbers only
    page = client.get(reverse("admin:scholarships_award_change", args=[award.pk])).content.decode()
    assert f"{first.number} (đã hủy / hoàn), {again.number}" in page

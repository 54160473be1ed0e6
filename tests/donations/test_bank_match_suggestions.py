"""The bank-match screen: the likely pledges of a queued line, ranked, each matched in one click."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.models import BankStatementLine, Pledge
from donations.services import pledge_create
from donations.services.bank_statement import bank_line_suggestions, statement_import
from fundmgr.core.money import format_vnd

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")


def make_pledge(campaign, name, amount, **kwargs):
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              channel=Pledge.Channel.ADMIN, **kwargs)
    return pledge


def queued_line(unit, treasurer, amount, memo, counterparty):
    content = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f'"{DAY}","{amount}","{memo}","FT555","{counterparty}"\n'
    ).encode()
    statement_import(unit=unit, file_name="a.csv", content=content, created_by=treasurer)
    line = BankStatementLine.objects.select_related("statement__unit").get()
    assert line.status == "unmatched"
    return line


def test_the_pledges_are_ranked_by_code_fragment_amount_and_name(campaign, unit, treasurer):
    from donations.services import payment_record

    hoa = make_pledge(campaign, "Nguyễn Thị Hoà", 3_000_000)
    other_hoa = make_pledge(campaign, "Nguyễn Thị Hòa", 1_500_000, phone="0912000111")  # another woman
    same_amount = make_pledge(campaign, "Lê Văn Tâm", 1_500_000)
    make_pledge(campaign, "Phạm Minh", 7_000_000)  # nothing in common: not proposed
    by_code = make_pledge(campaign, "Đỗ Quang", 4_000_000)
    code = by_code.reference.split("-")[1]
    for pledge, paid in ((hoa, 1_500_000), (same_amount, 500_000)):
        payment_record(donor=pledge.donor, pledge=pledge, amount=paid, method="cash",
                       received_on=timezone.localdate(), unit=unit)

    # The sender is called Hoà, twice over, with 1.500.000 still due from each (the import cannot
    # choose), and the memo carries Đỗ Quang's code without its prefix: a person decides.
    line = queued_line(unit, treasurer, 1_500_000, f"ck {code} ung ho", "NGUYEN THI HOA")

    suggestions = bank_line_suggestions(line, Pledge.objects.all())
    ranked = [(s.pledge, s.score) for s in suggestions]
    assert ranked == [(other_hoa, 80), (hoa, 80), (by_code, 60), (same_amount, 25)]
    assert suggestions[1].reasons == ("số tiền bằng số còn phải nộp", "tên người chuyển là tên nhà hảo tâm")
    assert suggestions[1].outstanding == 1_500_000
    assert suggestions[2].reasons == ("mã (không có tiền tố) có trong nội dung",)
    assert suggestions[3].reasons == ("số tiền bằng số tiền cam kết",)


def test_closed_pledges_and_pledges_the_reader_may_not_see_are_not_proposed(campaign, unit, treasurer):
    cancelled = make_pledge(campaign, "Trần An", 2_000_000)
    Pledge.objects.filter(pk=cancelled.pk).update(status=Pledge.Status.CANCELLED)
    line = queued_line(unit, treasurer, 2_000_000, "chuyen tien", "TRAN AN")
    assert bank_line_suggestions(line, Pledge.objects.all()) == []
    open_one = make_pledge(campaign, "Trần An", 2_000_000, phone="0912000222")
    assert [s.pledge for s in bank_line_suggestions(line, Pledge.objects.all())] == [open_one]
    assert bank_line_suggestions(line, Pledge.objects.none()) == []


def test_the_screen_shows_the_suggestions_and_one_click_matches_through_the_service(
    treasurer_client, campaign, unit, treasurer,
):
    hoa = make_pledge(campaign, "Nguyễn Thị Hoà", 2_500_000)
    make_pledge(campaign, "Lê Văn Tâm", 2_500_000)
    line = queued_line(unit, treasurer, 2_500_000, "ung ho khuyen hoc", "NGUYEN HOA")  # not quite her name
    url = reverse("admin:donations_bankstatementline_match", args=[line.pk])

    page = treasurer_client.get(url).content.decode()
    assert page.index(f'value="{hoa.reference}"') < page.index("Lê Văn Tâm")  # Hoà first: amount and name
    assert format_vnd(2_500_000) in page

    changelist = treasurer_client.get(reverse("admin:donations_bankstatementline_changelist")).content.decode()
    assert url in changelist  # each waiting line links to its screen

    response = treasurer_client.post(url, {"choice": hoa.reference, "reference": ""})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.pledge, line.payment.amount, line.resolved_by) == ("manual", hoa, 2_500_000, treasurer)
    # Settled: no second payment from a second click.
    response = treasurer_client.post(url, {"choice": hoa.reference, "reference": ""})
    assert response.status_code == 200 and "đã được ghi nhận thành khoản thu" in response.content.decode()
    assert hoa.payments.count() == 1

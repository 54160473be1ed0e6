"""The treasurer's admin: query counts on every list page, and each action through its service."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.models import BankStatementImport, BankStatementLine, Donor, Payment, Pledge, PledgeInstallment
from donations.services import payment_record, pledge_create
from donations.services.bank_statement import statement_import

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - datetime.timedelta(days=1)


def populate(campaign, count: int, start: int = 0):
    """`count` pledges, each overdue, and a statement line per pledge (half matched, half queued)."""
    rows = ["Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển"]
    for index in range(start, start + count):
        pledge, _ = pledge_create(
            campaign=campaign, donor_name=f"Nhà hảo tâm {index}", donor_kind="individual",
            phone=f"09{index:08d}", amount=1_000_000, installments=2, channel=Pledge.Channel.ADMIN,
        )
        # The first installment fell due last month and only half of it was paid: overdue.
        PledgeInstallment.objects.filter(pledge=pledge, number=1).update(due_on=DAY - datetime.timedelta(days=30))
        payment_record(donor=pledge.donor, pledge=pledge, amount=250_000, method=Payment.Method.CASH,
                       received_on=DAY, unit=campaign.unit)
        memo = pledge.reference if index % 2 else "chuyen tien"
        rows.append(f"{DAY:%d/%m/%Y},100000,{memo},REF{index},X")
    statement_import(unit=campaign.unit, file_name=f"s{start}.csv", content=("\n".join(rows) + "\n").encode())


# Every list page: session, user, the user's memberships (read once, cached on the user), the
# filters' choices, the count of the filtered rows, the count of all rows, Django's user and group
# permissions (read once by the page chrome, outside this app), and the rows themselves in one
# query (related rows joined, paid/outstanding/due amounts as subqueries).
COMMON = 3 + 2 + 2 + 1
CHANGELISTS = [
    # (url name, query string, filter choice queries + extra queries)
    ("admin:donations_donor_changelist", "", 1),  # units
    ("admin:donations_pledge_changelist", "", 3),  # campaigns, funds, units
    ("admin:donations_pledge_changelist", "?overdue=yes", 3),
    ("admin:donations_pledge_changelist", "?confirmed=yes", 3),  # the filter of confirmation: no query of its own
    ("admin:donations_pledge_changelist", "?q=nha+hao+tam", 3),  # search without diacritics
    ("admin:donations_payment_changelist", "", 3 + 2),  # campaigns, funds, units; date hierarchy: range, days
    ("admin:donations_bankstatementimport_changelist", "", 1),  # units
    ("admin:donations_bankstatementline_changelist", "", 2),  # statements, units
    ("admin:donations_bankstatementline_changelist", "?status__exact=unmatched", 2),
]


@pytest.mark.parametrize(("name", "query", "specific"), CHANGELISTS)
def test_changelists_run_a_fixed_number_of_queries(treasurer_client, campaign, name, query, specific,
                                                    django_assert_num_queries):
    url = reverse(name) + query
    populate(campaign, 3)
    with django_assert_num_queries(COMMON + specific):
        response = treasurer_client.get(url)
    assert response.status_code == 200
    rows_before = response.context["cl"].result_count
    populate(campaign, 27, start=3)
    with django_assert_num_queries(COMMON + specific):
        response = treasurer_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count > rows_before > 0


@pytest.fixture
def pledge(campaign):
    pledge, _ = pledge_create(campaign=campaign, donor_name="Trần Thị Mai", donor_kind="individual",
                              phone="0987654321", amount=2_000_000, channel=Pledge.Channel.ADMIN)
    return pledge


def post_action(client, model, action, pks, **data):
    return client.post(
        reverse(f"admin:donations_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks], **data},
    )


def test_record_payment_action_asks_then_calls_payment_record(treasurer_client, pledge, treasurer):
    response = post_action(treasurer_client, "pledge", "record_payment_action", [pledge.pk])
    assert response.status_code == 200
    assert "2.000.000" in response.content.decode()  # the outstanding amount, proposed
    # The pledge summed up above the form: what the money in hand is checked against.
    assert re.search(r"Trần Thị Mai – [^:<]+: cam kết 2\.000\.000\xa0₫, đã nộp 0\xa0₫, còn phải nộp 2\.000\.000\xa0₫\.",
                     html.unescape(response.content.decode()))
    assert Payment.objects.count() == 0

    response = post_action(treasurer_client, "pledge", "record_payment_action", [pledge.pk], apply="1",
                           amount="1,5 triệu", method="cash", received_on=DAY.isoformat())
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.recorded_by, payment.journal_entry is not None) == (
        1_500_000, "cash", treasurer, True
    )
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PARTIALLY_PAID


def test_record_payment_action_shows_the_service_refusal_and_writes_nothing(treasurer_client, pledge):
    response = post_action(treasurer_client, "pledge", "record_payment_action", [pledge.pk], apply="1",
                           amount="500k", method="in_kind", received_on=DAY.isoformat())
    assert response.status_code == 200
    assert "Hãy mô tả hiện vật nhận được." in response.content.decode()
    assert Payment.objects.count() == 0


def _page_buttons(page: str) -> list[tuple[str, str]]:
    """(action, label) of each button on a pledge's page (`PledgeAdmin._page_actions`)."""
    block = page.split('<div class="pledge-actions">', 1)[1].split("</div>", 1)[0] if "pledge-actions" in page else ""
    return re.findall(r'name="action" value="(\w+)">.*?<button type="submit" class="button">([^<]*)</button>', block)


def test_a_pledges_page_offers_its_actions_as_buttons_and_no_save(treasurer_client, campaign):
    public, _ = pledge_create(campaign=campaign, donor_name="Phạm Văn Đức", donor_kind="individual",
                              phone="0912000111", amount=1_000_000, channel=Pledge.Channel.FORM)
    page = treasurer_client.get(reverse("admin:donations_pledge_change", args=[public.pk])).content.decode()

    assert _page_buttons(page) == [
        ("record_payment_action", "Ghi nhận khoản thu"), ("confirm_action", "Xác nhận cam kết"),
        ("remind_now_action", "Gửi e-mail nhắc nộp ngay"), ("write_off_action", "Xóa nợ"), ("cancel_action", "Hủy cam kết"),
    ]
    assert 'name="_save"' not in page and 'name="_continue"' not in page and 'name="_addanother"' not in page
    assert f'name="_selected_action" value="{public.pk}"' in page

    # A button posts the list's own action for this pledge: its form first, then the payment.
    form = treasurer_client.post(reverse("admin:donations_pledge_changelist"),
                                 {"action": "record_payment_action", "index": "0", "_selected_action": str(public.pk)})
    assert form.status_code == 200 and "1.000.000" in form.content.decode()
    done = treasurer_client.post(reverse("admin:donations_pledge_changelist"), {
        "action": "record_payment_action", "index": "0", "_selected_action": str(public.pk), "apply": "1",
        "amount": "1 triệu", "method": "cash", "received_on": DAY.isoformat(),
    })
    assert done.status_code == 302 and Payment.objects.get().pledge == public

    # Paid in full, confirmed by nobody yet: only the confirmation is left to offer.
    page = treasurer_client.get(reverse("admin:donations_pledge_change", args=[public.pk])).content.decode()
    assert _page_buttons(page) == [("confirm_action", "Xác nhận cam kết")]


def test_whoever_may_only_read_a_pledge_gets_no_buttons(client, django_user_model, unit, pledge):
    from fundmgr.orgs.models import Membership

    auditor = django_user_model.objects.create_user(username="kiemtra", password="x" * 12, is_staff=True)
    Membership.objects.create(user=auditor, unit=unit, role=Membership.Role.AUDITOR)
    client.force_login(auditor)

    page = client.get(reverse("admin:donations_pledge_change", args=[pledge.pk])).content.decode()

    assert pledge.reference in page
    assert _page_buttons(page) == [] and "pledge-actions" not in page


def test_write_off_and_cancel_actions_need_a_reason(treasurer_client, pledge, campaign, treasurer):
    other, _ = pledge_create(campaign=campaign, donor_name="Lê Văn Hùng", donor_kind="individual", amount=300_000,
                             channel=Pledge.Channel.ADMIN)
    response = post_action(treasurer_client, "pledge", "cancel_action", [pledge.pk], apply="1", reason="")
    assert response.status_code == 200 and Pledge.objects.filter(status="cancelled").count() == 0
    response = post_action(treasurer_client, "pledge", "cancel_action", [pledge.pk], apply="1", reason="Trùng")
    assert response.status_code == 302
    response = post_action(treasurer_client, "pledge", "write_off_action", [other.pk], apply="1", reason="Không liên lạc được")
    pledge.refresh_from_db()
    other.refresh_from_db()
    assert (pledge.status, pledge.closed_reason, pledge.closed_by) == ("cancelled", "Trùng", treasurer)
    assert (other.status, other.closed_reason) == ("written_off", "Không liên lạc được")


def test_add_pledge_goes_through_pledge_create(treasurer_client, campaign, treasurer):
    url = reverse("admin:donations_pledge_add")
    assert treasurer_client.get(url).status_code == 200
    response = treasurer_client.post(url, {
        "campaign": campaign.pk, "donor_kind": "business", "donor_name": "Công ty CP Sữa Việt", "tax_code": "0100109106",
        "amount": "50 triệu", "installments": "2",
    })
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert (pledge.amount, pledge.channel, pledge.created_by, pledge.installments.count()) == (50_000_000, "admin", treasurer, 2)
    response = treasurer_client.post(url, {"campaign": campaign.pk, "donor_kind": "individual", "donor_name": "A",
                                           "amount": "5", "installments": "13"})
    assert "Số đợt nộp phải từ 1 đến 12." in response.content.decode()
    assert Pledge.objects.count() == 1


def test_import_pledges_view_and_command(treasurer_client, campaign, second_fund, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    content = (
        "Họ tên,Loại,Điện thoại,Số tiền,Quỹ,Số đợt,Bảng vàng\n"
        "Nguyễn Văn An,Cá nhân,0912000001,1.000.000,,1,có\n"
        "Công ty TNHH Minh Phát,Doanh nghiệp,,20 triệu,NCUM,4,\n"
    ).encode()
    response = treasurer_client.post(reverse("admin:donations_pledge_import"), {
        "campaign": campaign.pk, "file": SimpleUploadedFile("cam-ket.csv", content, content_type="text/csv"),
    })
    assert response.status_code == 302
    assert sorted(Pledge.objects.values_list("amount", "channel", "fund__code")) == [
        (1_000_000, "import", "QKH-TH"), (20_000_000, "import", "NCUM"),
    ]
    path = tmp_path / "cam-ket.csv"
    path.write_bytes(content)
    call_command("import_pledges", str(path), "--campaign", campaign.slug)  # the same file again
    assert Pledge.objects.count() == 2


def test_import_pledges_refuses_a_file_with_a_bad_row_entirely(treasurer_client, campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = "Họ tên,Số tiền\nNguyễn Văn An,1.000.000\nTrần Bình,mười đồng\n".encode()
    response = treasurer_client.post(reverse("admin:donations_pledge_import"), {
        "campaign": campaign.pk, "file": SimpleUploadedFile("x.csv", content),
    })
    assert response.status_code == 200
    assert "Dòng 3: Số tiền: Không đọc được số tiền." in response.content.decode()
    assert Pledge.objects.count() == 0 and Donor.objects.count() == 0


def test_statement_upload_then_manual_match_and_ignore(treasurer_client, pledge, unit, treasurer,
                                                       django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
        f"{DAY:%d/%m/%Y},2.000.000,chuyen khoan ung ho,FT1,TRAN MAI\n"
        f"{DAY:%d/%m/%Y},15.000,Tra lai tien gui,FT2,\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):  # the job, eager here
        response = treasurer_client.post(reverse("admin:donations_bankstatementimport_add"), {
            "unit": unit.pk, "format": "auto", "file": SimpleUploadedFile("vcb.csv", content),
        })
    assert response.status_code == 302
    transfer, interest = BankStatementLine.objects.order_by("line_number")
    assert transfer.status == interest.status == "unmatched"

    response = post_action(treasurer_client, "bankstatementline", "match_action", [transfer.pk], apply="1",
                           reference=pledge.reference.lower())
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.pledge, transfer.payment.amount, transfer.resolved_by) == ("manual", pledge, 2_000_000, treasurer)

    response = post_action(treasurer_client, "bankstatementline", "ignore_action", [interest.pk], apply="1", reason="Lãi")
    interest.refresh_from_db()
    assert (interest.status, interest.note) == ("ignored", "Lãi")
    statement = BankStatementImport.objects.get()
    assert (statement.lines_matched, statement.lines_unmatched, statement.lines_ignored) == (1, 0, 1)


def test_statement_upload_shows_unreadable_files(treasurer_client, unit, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = treasurer_client.post(reverse("admin:donations_bankstatementimport_add"), {
            "unit": unit.pk, "format": "auto", "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"),
        })
    # The upload reads the file before storing it: the form says why, and nothing is written or queued.
    assert response.status_code == 200
    assert "Không nhận ra mẫu sao kê" in response.content.decode()
    assert not BankStatementImport.objects.exists() and callbacks == []


def test_payments_are_append_only_in_the_admin(treasurer_client, pledge):
    payment = payment_record(donor=pledge.donor, pledge=pledge, amount=1_000, method="cash", received_on=DAY,
                             unit=pledge.campaign.unit)
    change_url = reverse("admin:donations_payment_change", args=[payment.pk])
    assert treasurer_client.get(change_url).status_code == 200  # view only
    treasurer_client.post(change_url, {"amount": "9"})
    assert treasurer_client.get(reverse("admin:donations_payment_delete", args=[payment.pk])).status_code == 403
    assert treasurer_client.get(reverse("admin:donations_payment_add")).status_code == 403
    payment.refresh_from_db()
    assert payment.amount == 1_000


def test_other_units_rows_are_invisible(client, django_user_model, other_unit, pledge):
    from fundmgr.orgs.models import Membership

    stranger = django_user_model.objects.create_user(username="nghean", password="x" * 12, is_staff=True)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)
    client.force_login(stranger)
    response = client.get(reverse("admin:donations_pledge_changelist"))
    assert response.context["cl"].result_count == 0
    assert client.get(reverse("admin:donations_pledge_change", args=[pledge.pk])).status_code == 302  # not found → index


def test_merge_donors_action(treasurer_client, campaign, treasurer):
    first, _ = pledge_create(campaign=campaign, donor_name="Nguyễn Văn Đức", donor_kind="individual", phone="0912345678",
                             amount=10_000, channel=Pledge.Channel.ADMIN)
    second, _ = pledge_create(campaign=campaign, donor_name="NGUYEN VAN DUC", donor_kind="individual", email="d@x.vn",
                              amount=20_000, channel=Pledge.Channel.ADMIN)
    change = treasurer_client.get(reverse("admin:donations_donor_change", args=[first.donor.pk])).content.decode()
    assert "NGUYEN VAN DUC" in change  # listed as a possible duplicate
    response = post_action(treasurer_client, "donor", "merge_action", [first.donor.pk, second.donor.pk],
                           apply="1", keep=str(first.donor.pk))
    assert response.status_code == 302
    second.donor.refresh_from_db()
    assert second.donor.merged_into == first.donor
    assert Pledge.objects.filter(donor=first.donor).count() == 2


def test_a_treasurer_exports_a_donors_data_as_json_and_the_export_is_audited(treasurer_client, pledge, treasurer):
    import json

    from fundmgr.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    response = post_action(treasurer_client, "donor", "data_export_action", [pledge.donor.pk])
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="nha-hao-tam-{pledge.donor.pk}.json"'
    data = json.loads(response.content.decode("utf-8"))
    assert data["donor"]["name"] == "Trần Thị Mai"
    assert data["donor"]["phone"] == "+84987654321"
    assert [p["reference"] for p in data["pledges"]] == [pledge.reference]
    assert data["payments"] == []
    event = AuditEvent.objects.order_by("pk").last()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.model_label, event.object_id, event.actor) == (
        "export", "donations.donor", str(pledge.donor.pk), treasurer
    )
    assert event.after == {"pledges": 1, "payments": 0, "merged_donor_records": 0}


def test_the_data_export_takes_exactly_one_donor(treasurer_client, pledge):
    from fundmgr.audit.models import AuditEvent

    other, _ = pledge_create(campaign=pledge.campaign, donor_name="Lê Văn Hùng", donor_kind="individual",
                             phone="0911222333", amount=1_000_000, channel=Pledge.Channel.ADMIN)
    before = AuditEvent.objects.count()
    response = post_action(treasurer_client, "donor", "data_export_action", [pledge.donor.pk, other.donor.pk])
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_campaign_page_shows_money_received_against_the_goal(treasurer_client, campaign):
    pledge, _ = pledge_create(campaign=campaign, donor_name="Công ty CP Sữa Việt", donor_kind="business",
                              phone="0987654321", amount=1_500_000_000, channel=Pledge.Channel.ADMIN)
    payment_record(donor=pledge.donor, pledge=pledge, amount=1_500_000_000, method=Payment.Method.CASH,
                   received_on=DAY, unit=campaign.unit)
    page = treasurer_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    svg = re.search(r'<svg class="chart chart--progress".*?</svg>', page, re.S).group(0)
    assert 'aria-labelledby="campaign-progress-title"' in svg
    assert "Tiền đã nhận của Tết khuyến học Xuân Bính Ngọ 2026 so với mục tiêu" in svg
    # 1,5 of the 6 billion goal: a quarter of the 640-unit track.
    assert re.search(r'<rect class="chart-received"[^>]*width="160.0"', svg)
    assert ">Đã nhận 1,5 tỷ (25 %)</text>" in html.unescape(svg)
    assert ">Mục tiêu 6 tỷ</text>" in svg
    assert 'href="/static/css/charts.css"' in page
    # The add page has no campaign to draw yet.
    assert '<svg class="chart' not in treasurer_client.get(reverse("admin:campaigns_campaign_add")).content.decode()

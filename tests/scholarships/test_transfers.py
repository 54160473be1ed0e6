"""Awards paid by bank transfer in batches: the bank's bulk-payment file, byte for byte, and the
bank's result file read back: successful lines paid once (an upload twice pays nothing twice),
failed lines left approved, the ledger's scholarship expense equal to the successful lines, and a
batch neither made nor read by another unit's treasurer.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from fundmgr.audit.models import AuditEvent
from fundmgr.ledger import accounts
from fundmgr.ledger.models import JournalLine
from fundmgr.orgs.models import Membership
from fundmgr.orgs.services import membership_grant
from scholarships.models import Award, Disbursement, Student, TransferBatch, TransferLine
from scholarships.services import student_anonymise, transfers
from scholarships.transfers import ascii_upper

from .ceremony import AWARD, DAY, ceremony_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(units, people):
    """Five approved, unpaid awards to commune A's children, four with an account on record."""
    fund, program, students, _paid = ceremony_scene(units, people, in_a=5, in_b=1, pay=False)
    banks = ("VCB", "BIDV", "VBA", "CTG")
    for index, student in enumerate(students[:4]):
        Student.objects.filter(pk=student.pk).update(
            bank_account_number=f"10{index:08d}", bank_account_holder=student.guardian_name, bank_code=banks[index],
        )
    awards = [Award.objects.get(student=student, status="approved") for student in students]
    return fund, program, students, awards


def result_file(rows, header="STT,Trang thai,Ma giao dich,Ghi chu"):
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def expense(fund) -> int:
    return JournalLine.objects.filter(fund=fund, account__code=accounts.SCHOLARSHIP_EXPENSE).aggregate(
        total=Sum("debit"))["total"] or 0


def test_the_file_is_the_documented_layout_byte_for_byte(scene, units, people):
    fund, program, students, awards = scene
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=people["treasurer"])
    assert batch.line_count == 4 and batch.total_amount == 4 * AWARD
    # The child without an account is left out and said so; B's child is outside the unit.
    assert [(award.pk, reason) for award, reason in batch.skipped] == [(awards[4].pk, "chưa có tài khoản nhận học bổng")]
    content, name = transfers.transfer_batch_file(batch=batch, by=people["treasurer"])
    assert name == f"{batch}-LS-2026.csv"
    lines = content.decode("ascii").split("\r\n")
    assert lines[0] == "STT,So tai khoan,Ten nguoi huong,Ma ngan hang,So tien,Noi dung"
    assert lines[-1] == ""  # CRLF after every row, no total row
    body = [line.split(",") for line in lines[1:-1]]
    by_award = {line.award_id: line for line in batch.lines.all()}
    expected = []
    for number, award in enumerate(sorted(awards[:4], key=lambda a: (a.student.school_name, a.student.grade, a.student_id)), 1):
        student = Student.objects.get(pk=award.student_id)
        expected.append([
            str(number), student.bank_account_number, ascii_upper(student.guardian_name), student.bank_code, "1500000",
            f"HOC BONG LS-2026 {award} {student.code}",
        ])
        assert by_award[award.pk].number == number
    assert body == expected
    # Capitals without diacritics (đ → D), amounts in whole dong, descriptions within 50 ASCII characters.
    assert {row[2] for row in body} == {"LO VAN SANG", "HA VAN SANG", "VI VAN SANG", "LUONG VAN SANG"}
    assert all(row[4].isdigit() for row in body)
    assert sum(int(row[4]) for row in body) == batch.total_amount == 6_000_000
    assert all(len(row[5]) <= 50 for row in body)
    # The file names four families: a view row for each child, in the treasurer's name.
    views = AuditEvent.objects.filter(action="view", after__channel="bank_transfer_file", actor=people["treasurer"])
    assert sorted(int(view.object_id) for view in views) == sorted(award.student_id for award in awards[:4])


def test_an_award_is_in_one_open_batch_only(scene, units, people):
    _fund, program, _students, awards = scene
    first = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=people["treasurer"],
                                            awards=awards[:2])
    second = transfers.transfer_batch_create(program=program, unit=units.province, by=people["treasurer"])
    assert {line.award_id for line in first.lines.all()} == {awards[0].pk, awards[1].pk}
    assert {line.award_id for line in second.lines.all()} == {awards[2].pk, awards[3].pk}
    with pytest.raises(ValidationError) as refused:
        transfers.transfer_batch_create(program=program, unit=units.province, by=people["treasurer"])
    assert refused.value.code == "nothing_to_pay"
    # Cancelled, its awards may go again.
    transfers.transfer_batch_cancel(batch=first, by=people["treasurer"])
    third = transfers.transfer_batch_create(program=program, unit=units.province, by=people["treasurer"])
    assert {line.award_id for line in third.lines.all()} == {awards[0].pk, awards[1].pk}


def test_confirmation_pays_successes_once_and_leaves_failures_approved(scene, units, people):
    fund, program, _students, awards = scene
    treasurer = people["treasurer"]
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=treasurer)
    before = expense(fund)
    upload = result_file([
        "1,Thành công,FT26325001,", "2,Thất bại,,Sai tên chủ tài khoản", "3,success,FT26325003,",
        f"{batch}-004,00,FT26325004,",
    ])
    result = transfers.transfer_batch_confirm(batch=batch, content=upload, paid_on=DAY, by=treasurer)
    assert [line.number for line in result.paid] == [1, 3, 4]
    assert [line.number for line in result.failed] == [2]
    assert result.paid_amount == 3 * AWARD
    lines = {line.number: line for line in batch.lines.select_related("award", "disbursement")}
    assert lines[2].status == "failed" and lines[2].result_note == "Sai tên chủ tài khoản"
    assert lines[2].award.status == Award.Status.APPROVED and lines[2].disbursement is None
    for number in (1, 3, 4):
        disbursement = lines[number].disbursement
        assert lines[number].award.status == Award.Status.PAID
        assert disbursement.method == "bank_transfer" and disbursement.paid_on == DAY
        assert disbursement.recipient_name == lines[number].account_holder
    assert lines[1].disbursement.bank_reference == "FT26325001"
    # The ledger's scholarship expense grew by exactly the successful lines.
    assert expense(fund) - before == sum(lines[number].amount for number in (1, 3, 4)) == 4_500_000
    batch.refresh_from_db()
    assert batch.status == TransferBatch.Status.DONE  # no line waits

    # The same file again: nothing is paid twice.
    again = transfers.transfer_batch_confirm(batch=batch, content=upload, paid_on=DAY, by=treasurer)
    assert again.paid == [] and [line.number for line in again.already] == [1, 2, 3, 4]
    assert Disbursement.objects.filter(award__program=program).count() == 3
    assert expense(fund) - before == 4_500_000

    # The failed award goes in a new batch and is paid there.
    retry = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=treasurer)
    assert [line.award_id for line in retry.lines.all()] == [lines[2].award_id]
    transfers.transfer_batch_confirm(batch=retry, content=result_file(["1,Thanh cong,FT26326001,"]), paid_on=DAY,
                                     by=treasurer)
    assert expense(fund) - before == 6_000_000


def test_a_bad_result_file_changes_nothing(scene, units, people):
    fund, program, _students, _awards = scene
    treasurer = people["treasurer"]
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=treasurer)
    for rows, header, message in (
        (["1,Thành công,FT1", "9,Thành công,FT9"], "STT,Trang thai,Ma giao dich", "không có dòng số 9"),
        (["1,Thành công,FT1", "1,Thành công,FT1"], "STT,Trang thai,Ma giao dich", "có hai lần"),
        (["1,Thành công,FT1,2000000"], "STT,Trang thai,Ma giao dich,So tien", "khác số tiền"),
        (["1,Chưa rõ,FT1"], "STT,Trang thai,Ma giao dich", "không hiểu trạng thái"),
        (["CK-999999-001,Thành công,FT1"], "STT,Trang thai,Ma giao dich", "không phải số thứ tự của lô này"),
        (["1,FT1"], "STT,Ma giao dich", "thiếu cột"),
    ):
        with pytest.raises(ValidationError) as refused:
            transfers.transfer_batch_confirm(batch=batch, content=result_file(rows, header), paid_on=DAY, by=treasurer)
        assert message in " ".join(refused.value.messages)
    assert not Disbursement.objects.exists()
    assert set(batch.lines.values_list("status", flat=True)) == {"pending"}
    with pytest.raises(ValidationError):
        transfers.transfer_batch_confirm(batch=batch, content=result_file(["1,ok,FT1"]),
                                         paid_on=datetime.date(2999, 1, 1), by=treasurer)


def test_another_units_treasurer_can_neither_make_nor_read_a_batch(scene, units, people):
    _fund, program, _students, _awards = scene
    other = get_user_model().objects.create_user(username="thuquy_b", password="x")
    membership_grant(user=other, unit=units.commune_b, role=Membership.Role.TREASURER)
    with pytest.raises(PermissionDenied):
        transfers.transfer_batch_create(program=program, unit=units.commune_a, by=other)
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=people["treasurer"])
    with pytest.raises(PermissionDenied):
        transfers.transfer_batch_file(batch=batch, by=other)
    with pytest.raises(PermissionDenied):
        transfers.transfer_batch_confirm(batch=batch, content=result_file(["1,ok,FT1"]), paid_on=DAY, by=other)
    # The auditor reads the books, not the families' accounts.
    with pytest.raises(PermissionDenied):
        transfers.transfer_batch_file(batch=batch, by=people["auditor"])
    assert not Disbursement.objects.exists()


def test_anonymising_a_child_erases_the_account_on_the_lines(scene, units, people):
    _fund, program, students, _awards = scene
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=people["treasurer"])
    student_anonymise(student=students[0], by=people["superuser"], reason="Yêu cầu của gia đình")
    line = TransferLine.objects.get(batch=batch, award__student=students[0])
    assert (line.account_number, line.account_holder) == ("", "")
    assert line.amount == AWARD


def test_the_admin_makes_a_batch_gives_its_file_and_takes_the_result(scene, units, people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    fund, program, _students, awards = scene
    client.force_login(people["treasurer"])
    response = client.post(reverse("admin:scholarships_award_changelist"), {
        "action": "transfer_batch_action", "_selected_action": [award.pk for award in awards[:3]],
    })
    batch = TransferBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{batch.pk}/change/")
    assert batch.recipients_unit == units.school_a and batch.line_count == 3
    page = client.get(response["Location"]).content.decode()
    assert "Lò Văn Sáng" in page and "Tải tệp cho ngân hàng" in page
    content = client.get(reverse("admin:scholarships_transferbatch_file", args=[batch.pk])).content
    assert content.startswith(b"STT,So tai khoan,Ten nguoi huong,Ma ngan hang,So tien,Noi dung\r\n1,")
    upload = SimpleUploadedFile("ketqua.csv", result_file(["1,Thành công,FT1", "2,Thất bại,,Tài khoản đã đóng",
                                                           "3,Thành công,FT3"]))
    before = expense(fund)
    response = client.post(reverse("admin:scholarships_transferbatch_confirm", args=[batch.pk]),
                           {"paid_on": "20/11/2026", "file": upload})
    assert response.status_code == 302
    assert expense(fund) - before == 2 * AWARD
    page = client.get(response["Location"]).content.decode()
    assert "Tài khoản đã đóng" in page
    # Another unit's treasurer finds no batch.
    other = get_user_model().objects.create_user(username="thuquy_b", password="x", is_staff=True)
    membership_grant(user=other, unit=units.commune_b, role=Membership.Role.TREASURER)
    client.force_login(other)
    assert client.get(reverse("admin:scholarships_transferbatch_file", args=[batch.pk])).status_code == 404
    assert client.get(reverse("admin:scholarships_transferbatch_change", args=[batch.pk])).status_code in (302, 404)


def test_the_auditor_reads_a_batch_masked_without_its_file(scene, units, people, client):
    from django.urls import reverse

    _fund, program, _students, _awards = scene
    batch = transfers.transfer_batch_create(program=program, unit=units.commune_a, by=people["treasurer"])
    client.force_login(people["auditor"])
    page = client.get(reverse("admin:scholarships_transferbatch_change", args=[batch.pk])).content.decode()
    assert "L.V.S." in page and "Lò Văn Sáng" not in page and "1000000000" not in page
    assert "Tải tệp cho ngân hàng" not in page and "Nhập kết quả" not in page
    assert client.get(reverse("admin:scholarships_transferbatch_file", args=[batch.pk])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_racing_batches_and_uploads(units, people):
    """Two treasurers' screens make a batch of the same awards at once: one batch gets them, the other
    is refused; then the same result file is uploaded twice at once: each line is paid once."""

    from .test_awards_concurrency import race

    fund, program, students, _paid = ceremony_scene(units, people, in_a=4, in_b=0, pay=False)
    for index, student in enumerate(students):
        Student.objects.filter(pk=student.pk).update(
            bank_account_number=f"20{index:08d}", bank_account_holder=student.guardian_name, bank_code="VCB",
        )
    made = []

    def make(_item):
        try:
            made.append(transfers.transfer_batch_create(program=program, unit=units.commune_a, by=None))
        except ValidationError as error:
            made.append(error.code)

    race(make, [1, 2], threads=2)
    batches = [item for item in made if isinstance(item, TransferBatch)]
    assert len(batches) == 1 and batches[0].line_count == 4, made
    assert TransferLine.objects.count() == 4
    (batch,) = batches
    upload = result_file([f"{number},Thành công,FT{number}" for number in range(1, 5)])
    before = expense(fund)
    counts = race(lambda _item: transfers.transfer_batch_confirm(batch=batch, content=upload, paid_on=DAY, by=None),
                  [1, 2], threads=2)
    assert counts == {"ok": 2}, counts
    assert Disbursement.objects.count() == 4
    assert expense(fund) - before == 4 * AWARD

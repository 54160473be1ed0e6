"""Importing statements: match by reference, then by amount and name; queue the rest; twice is once."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from donations.models import BankStatementImport, BankStatementLine, Payment, Pledge
from donations.services import pledge_cancel, pledge_create
from donations.services.bank_statement import (
    StatementError,
    bank_line_ignore,
    bank_line_match,
    statement_import,
)
from fundmgr.idempotency.services import IdempotencyKeyReused
from fundmgr.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db

DAY = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")


def make_pledge(campaign, name, amount, **kwargs):
    kwargs.setdefault("channel", Pledge.Channel.ADMIN)
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount, **kwargs)
    return pledge


def generic(*rows):
    header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
    return (header + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in rows)).encode()


def test_matches_by_reference_despite_lost_diacritics_spaces_dashes_and_case(campaign, unit, treasurer):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    code = pledge.reference.split("-")[1]
    memo = f"ung ho tkh26 {code[:2].lower()} {code[2:]}"  # "ung ho tkh26 7k q3m"
    content = generic((DAY, "5.000.000", memo, "FT001", "NGUYEN VAN DUC"))

    statement = statement_import(unit=unit, file_name="sao-ke.csv", content=content, created_by=treasurer)

    line = BankStatementLine.objects.get()
    assert (line.status, line.matched_by, line.pledge) == ("matched", "reference", pledge)
    payment = line.payment
    assert (payment.amount, payment.method, payment.bank_reference, payment.recorded_by) == (
        5_000_000, "bank_transfer", "FT001", treasurer
    )
    assert payment.journal_entry is not None
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED
    assert (statement.lines_credit, statement.lines_new, statement.lines_matched, statement.lines_unmatched) == (1, 1, 1, 0)
    assert statement.amount_matched == 5_000_000


def test_matches_by_amount_and_name_when_there_is_no_reference(campaign, unit):
    pledge = make_pledge(campaign, "Trần Thị Mai", 2_000_000, installments=2)
    make_pledge(campaign, "Trần Thị Mai", 3_000_000)  # same name, another amount: not a candidate
    content = generic(
        (DAY, "2.000.000", "chuyen tien", "FT002", "TRAN THI MAI"),
        (DAY, "1.000.000", "chuyen tien dot 2", "FT003", "Phạm Minh"),  # nobody pledged this
    )
    statement_import(unit=unit, file_name="a.csv", content=content)
    matched = BankStatementLine.objects.get(bank_reference="FT002")
    assert (matched.status, matched.matched_by, matched.pledge) == ("matched", "amount_name", pledge)
    assert BankStatementLine.objects.get(bank_reference="FT003").status == "unmatched"


def test_name_in_the_memo_also_counts_when_the_bank_gives_no_counterparty(campaign, unit):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    statement_import(unit=unit, file_name="a.csv", content=generic((DAY, "700000", "MBVCB.123.LE VAN HUNG chuyen tien", "", "")))
    assert BankStatementLine.objects.get().pledge == pledge


def test_a_short_name_inside_a_memo_is_not_enough(campaign, unit):
    make_pledge(campaign, "Lê Hùng", 700_000)  # two words: too common to find inside free text
    statement_import(unit=unit, file_name="a.csv", content=generic((DAY, "700000", "LE HUNG chuyen tien", "", "")))
    assert BankStatementLine.objects.get().status == "unmatched"


def test_ambiguous_amount_and_name_waits_for_a_person(campaign, unit):
    make_pledge(campaign, "Lê Văn Hùng", 700_000, phone="0912345678")
    make_pledge(campaign, "Le Van Hung", 700_000, phone="0987654321")  # another man, same name and amount
    statement_import(unit=unit, file_name="a.csv", content=generic((DAY, "700000", "ung ho", "", "LE VAN HUNG")))
    assert BankStatementLine.objects.get().status == "unmatched"
    assert Payment.objects.count() == 0


def test_a_line_for_a_cancelled_pledge_waits_with_the_reason(campaign, unit, treasurer):
    pledge = make_pledge(campaign, "Lê Văn Hùng", 700_000)
    pledge_cancel(pledge=pledge, reason="trùng", by=treasurer)
    statement_import(unit=unit, file_name="a.csv", content=generic((DAY, "700000", pledge.reference, "FT9", "")))
    line = BankStatementLine.objects.get()
    assert (line.status, line.pledge, line.payment) == ("unmatched", pledge, None)
    assert line.note == f"Cam kết {pledge.reference} đã hủy hoặc đã xóa nợ: không ghi nhận khoản thu vào cam kết này."


def test_second_import_of_the_same_file_creates_nothing(campaign, unit):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    content = generic(
        (DAY, "1.000.000", f"ung ho {pledge.reference}", "", "NGUYEN VAN DUC"),
        (DAY, "1.000.000", f"ung ho {pledge.reference}", "", "NGUYEN VAN DUC"),  # paid twice the same day
        (DAY, "50.000", "khong ro", "", ""),
    )
    first = statement_import(unit=unit, file_name="a.csv", content=content)
    counts = (BankStatementLine.objects.count(), Payment.objects.count(), JournalEntry.objects.count())
    assert counts == (3, 2, 2)
    second = statement_import(unit=unit, file_name="a.csv", content=content)
    assert (BankStatementLine.objects.count(), Payment.objects.count(), JournalEntry.objects.count()) == counts
    assert (first.lines_new, second.lines_credit, second.lines_new, second.lines_matched) == (3, 3, 0, 0)


def test_a_repeated_idempotency_key_answers_the_first_import(campaign, unit):
    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    content = generic((DAY, "1.000.000", f"ung ho {pledge.reference}", "FT1", "NGUYEN VAN DUC"))
    first = statement_import(unit=unit, file_name="a.csv", content=content, idempotency_key="k-1")
    counts = (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count())
    assert (first.replayed, counts) == (False, (1, 1, 1))

    again = statement_import(unit=unit, file_name="a.csv", content=content, idempotency_key="k-1")
    assert (again.pk, again.replayed, again.lines_matched) == (first.pk, True, 1)
    with pytest.raises(IdempotencyKeyReused):
        other = generic((DAY, "1.000.000", f"ung ho {pledge.reference}", "FT2", "NGUYEN VAN DUC"))
        statement_import(unit=unit, file_name="a.csv", content=other, idempotency_key="k-1")
    assert (BankStatementImport.objects.count(), BankStatementLine.objects.count(), Payment.objects.count()) == counts


def test_unreadable_file_writes_nothing(unit):
    with pytest.raises(StatementError):
        statement_import(unit=unit, file_name="x.csv", content=b"not,a,statement\n")
    assert BankStatementImport.objects.count() == 0


def test_manual_match_and_ignore(campaign, unit, treasurer):
    pledge = make_pledge(campaign, "Phạm Minh", 1_000_000)
    statement_import(unit=unit, file_name="a.csv", content=generic(
        (DAY, "1.000.000", "chuyen khoan", "FT1", "PHAM VAN MINH"), (DAY, "12.345", "Lai tien gui", "FT2", ""),
    ))
    queued, interest = BankStatementLine.objects.order_by("line_number")
    assert queued.status == interest.status == "unmatched"

    line = bank_line_match(line=queued, pledge=pledge, by=treasurer)
    assert (line.status, line.matched_by, line.resolved_by, line.payment.pledge) == ("manual", "manual", treasurer, pledge)
    with pytest.raises(ValidationError) as caught:
        bank_line_match(line=queued, pledge=pledge, by=treasurer)
    assert caught.value.messages == ["Dòng sao kê này đã được ghi nhận thành khoản thu."]

    with pytest.raises(ValidationError):
        bank_line_ignore(line=interest, reason=" ", by=treasurer)
    line = bank_line_ignore(line=interest, reason="Lãi tiền gửi, không phải ủng hộ", by=treasurer)
    assert (line.status, line.note) == ("ignored", "Lãi tiền gửi, không phải ủng hộ")
    statement = line.statement
    statement.refresh_from_db()
    assert (statement.lines_matched, statement.lines_unmatched, statement.lines_ignored) == (1, 0, 1)


def test_manual_match_refused_writes_nothing(campaign, unit, treasurer):
    pledge = make_pledge(campaign, "Phạm Minh", 1_000_000)
    pledge_cancel(pledge=pledge, reason="nhầm", by=treasurer)
    statement_import(unit=unit, file_name="a.csv", content=generic((DAY, "1.000.000", "ck", "FT1", "")))
    line = BankStatementLine.objects.get()
    with pytest.raises(ValidationError):
        bank_line_match(line=line, pledge=pledge, by=treasurer)
    line.refresh_from_db()
    assert (line.status, line.pledge, line.note, Payment.objects.count()) == ("unmatched", None, "", 0)


def test_the_services_refuse_a_user_outside_the_statements_unit(campaign, unit, other_unit, django_user_model):
    from django.core.exceptions import PermissionDenied

    from fundmgr.orgs.models import Membership

    stranger = django_user_model.objects.create_user(username="nghean", password="x" * 12)
    Membership.objects.create(user=stranger, unit=other_unit, role=Membership.Role.TREASURER)
    content = generic((DAY, "1.000.000", "ck", "FT1", ""))
    with pytest.raises(PermissionDenied):
        statement_import(unit=unit, file_name="a.csv", content=content, created_by=stranger)
    with pytest.raises(PermissionDenied):  # their own unit, but another unit's campaign
        statement_import(unit=other_unit, campaign=campaign, file_name="a.csv", content=content, created_by=stranger)
    assert BankStatementImport.objects.count() == 0
    statement_import(unit=unit, file_name="a.csv", content=content)
    line = BankStatementLine.objects.get()
    pledge = make_pledge(campaign, "Phạm Minh", 1_000_000)
    with pytest.raises(PermissionDenied):
        bank_line_match(line=line, pledge=pledge, by=stranger)
    with pytest.raises(PermissionDenied):
        bank_line_ignore(line=line, reason="Không phải ủng hộ", by=stranger)
    line.refresh_from_db()
    assert (line.status, line.payment, Payment.objects.count()) == ("unmatched", None, 0)


# --- a long statement ---------------------------------------------------------------------------
# 400 lines against 30 pledges here; the 10,000-line statement against 500 pledges, with its
# timing, is `bench/bank_import.py` (docs/performance.md): the same generator's kind of file.


def statement_of(pledges, lines: int, seed: int = 2026) -> tuple[bytes, int]:
    """A Vietcombank-style statement of a campaign account, deterministic.

    Like a real one it mixes transfers whose memo carries a pledge reference (written in the
    many ways donors write it: lower case, without the dash, split by a space, inside other
    words), transfers without one, memos with a mistyped code, and money going out (fees).
    Returns the file and the number of lines that carry a valid reference.
    """
    rng = random.Random(seed)
    day = timezone.localdate() - datetime.timedelta(days=2)
    rows = ["STT;Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả"]
    with_reference = 0
    for number in range(1, lines + 1):
        amount = f"{rng.choice([100_000, 200_000, 500_000, 1_000_000, 2_000_000]):,}".replace(",", ".")
        debit, credit = "", amount
        kind = rng.random()
        if kind < 0.6:
            prefix, code = rng.choice(pledges).split("-")
            memo = rng.choice([
                f"MBVCB.{number}.ung ho {prefix}-{code}",
                f"ung ho {prefix.lower()} {code.lower()}",
                f"UNG HO {prefix}{code} KHUYEN HOC",
                f"Ủng hộ quỹ khuyến học {prefix}-{code[:2]} {code[2:]}",
            ])
            with_reference += 1
        elif kind < 0.65:
            memo = f"ung ho TKH26-{rng.choice('ABC')}0{rng.choice('DEF')}1"  # 0 and 1 never occur in a code
        elif kind < 0.95:
            memo = f"chuyen tien {number}"
        else:
            memo, debit, credit = "Phi quan ly tai khoan", "11.000", ""
        rows.append(f"{number};{day:%d/%m/%Y};5213.{number:08d};{debit};{credit};0;{memo}")
    return ("\n".join(rows) + "\n").encode(), with_reference


def test_a_long_statement_matches_every_reference_and_reimport_creates_nothing(campaign, unit):
    references = [make_pledge(campaign, f"Nhà hảo tâm {i}", 10**9, phone="").reference for i in range(30)]
    content, with_reference = statement_of(references, 400)

    statement = statement_import(unit=unit, file_name="vcb-400.csv", content=content)

    assert statement.format == "vcb"
    credit_lines = statement.lines_credit
    assert credit_lines + statement.lines_debit == 400 and statement.lines_new == credit_lines
    assert statement.lines_matched == with_reference == Payment.objects.count() > 200
    assert BankStatementLine.objects.filter(status="matched", matched_by="reference").count() == with_reference
    assert statement.lines_unmatched == credit_lines - with_reference

    again = statement_import(unit=unit, file_name="vcb-400.csv", content=content)
    assert (again.lines_new, again.lines_matched) == (0, 0)
    assert Payment.objects.count() == with_reference
    assert BankStatementLine.objects.count() == credit_lines


def test_import_bank_statement_command(campaign, unit, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    path = tmp_path / "sao-ke.csv"
    path.write_bytes(generic((DAY, "5.000.000", f"ung ho {pledge.reference}", "FT001", ""), (DAY, "1.000", "?", "FT002", "")))
    out = StringIO()
    call_command("import_bank_statement", str(path), "--unit", unit.code, "--format", "generic", stdout=out)
    assert "2 credit lines (2 new, 0 imported before)" in out.getvalue()
    assert "1 matched (5000000 dong), 1 waiting in the reconciliation queue" in out.getvalue()
    out = StringIO()
    call_command("import_bank_statement", str(path), "--campaign", campaign.slug, stdout=out)
    assert "2 credit lines (0 new, 2 imported before)" in out.getvalue()
    assert Payment.objects.count() == 1


def test_import_bank_statement_command_refuses_bad_files(unit, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_bank_statement", str(path), "--unit", unit.code)
    assert "Không nhận ra mẫu sao kê" in str(caught.value)
    with pytest.raises(CommandError):
        call_command("import_bank_statement", str(path), "--unit", "NOPE")


def test_import_bank_statement_command_reads_an_xlsx_statement(campaign, unit, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from tests.tabular_files import xlsx_bytes

    pledge = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000)
    day = datetime.datetime.strptime(DAY, "%d/%m/%Y").date()
    path = tmp_path / "sao-ke.xlsx"
    path.write_bytes(xlsx_bytes([
        ["Ngày giao dịch", "Số tiền ghi có", "Nội dung", "Số tham chiếu", "Tên người chuyển"],
        [day, 5000000, f"ung ho {pledge.reference}", "FT001", None],
        [day, 1000, "?", "FT002", None],
    ]))
    out = StringIO()
    call_command("import_bank_statement", str(path), "--unit", unit.code, stdout=out)
    assert "2 credit lines (2 new, 0 imported before)" in out.getvalue()
    assert "1 matched (5000000 dong), 1 waiting in the reconciliation queue" in out.getvalue()
    assert Payment.objects.get().amount == 5_000_000

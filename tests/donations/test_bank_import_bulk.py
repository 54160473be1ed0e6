"""The bank-statement import records a chunk's payments in one pass, each exactly as
`payment_record` would record it (issue #17, "bank import 0.2×").

- The same statement imported through the bulk path (`_lines_settle_bulk`) and, after a rollback,
  line by line through `payment_record` (`_lines_settle_one_by_one`, the path the bulk one
  replaced) leaves the same rows: payments, journal entries (a chain `ledger_verify` accepts),
  receipts numbered without a gap, deliveries, audit rows, pledge statuses, tallies, the lines'
  statuses and notes. The statement has reference matches, an amount-and-name match, three
  payments of one pledge in one chunk (the second fulfils it, the third is an overpayment,
  refused), an amount-and-name match that exists only once an earlier line of the chunk paid
  part of its pledge, a cancelled pledge, a pledge whose donor is of a unit outside the
  importer's, a transfer recorded before, identical lines without a bank reference and a
  repeated bank reference; once in one chunk and once in chunks of three lines.
- The statements of a chunk do not grow with the number of its matched lines.
- On PostgreSQL, an import and `payment_record` calls on its pledges, from other threads at the
  same time, all finish (no deadlock, no lock wait past a timeout) with consistent results; and a
  transfer recorded by another transaction while the import writes makes the chunk fall back to
  one payment at a time, with that line refused as a duplicate.
"""

import datetime
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations import progress
from donations.models import (
    BankStatementImport,
    BankStatementLine,
    CampaignDonorTally,
    CampaignTally,
    Donor,
    Payment,
    Pledge,
)
from donations.services import bank_statement, payment_record, pledge_cancel, pledge_create
from donations.services.bank_statement import statement_import
from fundmgr.audit.models import AuditEvent
from fundmgr.ledger.models import JournalEntry, JournalLine, LedgerChainHead
from fundmgr.ledger.services import ledger_verify
from receipts.models import Receipt, ReceiptDelivery

DAY = timezone.localdate() - datetime.timedelta(days=3)
DAY_TEXT = DAY.strftime("%d/%m/%Y")


def make_pledge(campaign, name, amount, by=None, **kwargs):
    kwargs.setdefault("channel", Pledge.Channel.ADMIN)
    pledge, _ = pledge_create(campaign=campaign, donor_name=name, donor_kind="individual", amount=amount,
                              created_by=by, **kwargs)
    return pledge


def generic(rows):
    header = "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu,Tên người chuyển\n"
    return (header + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in rows)).encode()


class _Rollback(Exception):
    pass


def _one_by_one(monkeypatch):
    """The import as it was before the bulk path: every matched line through payment_record."""
    monkeypatch.setattr(bank_statement, "_lines_settle_bulk", bank_statement._lines_settle_one_by_one)


# --- the exactly-as test -------------------------------------------------------------------------


def _scenario(campaign, unit, other_unit, treasurer):
    """Pledges and a statement touching every case; returns the file's content."""
    full = make_pledge(campaign, "Nguyễn Văn Đức", 5_000_000, by=treasurer)
    make_pledge(campaign, "Trần Thị Mai", 2_000_000, by=treasurer)
    later = make_pledge(campaign, "Phạm Minh Tuấn", 3_000_000, by=treasurer)
    cancelled = make_pledge(campaign, "Lê Thị Hoa", 1_000_000, by=treasurer)
    pledge_cancel(pledge=cancelled, reason="Nhập nhầm", by=treasurer)
    stranger = make_pledge(campaign, "Vũ Đình Khoa", 1_000_000, by=treasurer)
    Donor.objects.filter(pk=stranger.donor_id).update(unit=other_unit)  # a donor of another province
    twice = make_pledge(campaign, "Đỗ Văn Bình", 1_000_000, by=treasurer)
    known = make_pledge(campaign, "Hoàng Thị Lan", 4_000_000, by=treasurer)
    payment_record(donor=known.donor, pledge=known, amount=1_000_000, method="bank_transfer", unit=unit,
                   received_on=DAY, bank_reference="FT900", recorded_by=treasurer)
    rows = [
        (DAY_TEXT, "2.000.000", f"ung ho {full.reference}", "FT001", ""),
        (DAY_TEXT, "1.000.000", f"UNG HO {later.reference.replace('-', '')}", "FT002", ""),
        (DAY_TEXT, "2.000.000", "chuyen tien", "FT003", "TRAN THI MAI"),  # amount and name
        (DAY_TEXT, "3.000.000", f"{full.reference} dot 2", "FT004", ""),  # fulfils `full`
        (DAY_TEXT, "2.000.000", "ung ho khuyen hoc", "FT005", "PHAM MINH TUAN"),  # `later`'s rest, by name
        (DAY_TEXT, "1.000.000", f"{full.reference} them", "FT006", ""),  # overpayment: refused
        (DAY_TEXT, "1.000.000", f"ung ho {cancelled.reference}", "FT007", ""),  # cancelled: refused
        (DAY_TEXT, "500.000", f"ung ho {stranger.reference}", "FT008", ""),  # another unit's donor: refused
        (DAY_TEXT, "400.000", f"ung ho {twice.reference}", "", "DO VAN BINH"),  # two identical lines,
        (DAY_TEXT, "400.000", f"ung ho {twice.reference}", "", "DO VAN BINH"),  # no bank reference
        (DAY_TEXT, "1.000.000", f"ung ho {known.reference}", "FT900", ""),  # recorded before: refused
        (DAY_TEXT, "2.000.000", f"ung ho {known.reference}", "FT009", ""),
        (DAY_TEXT, "2.000.000", f"ung ho {known.reference} lan 2", "FT009", ""),  # the same transfer again
        (DAY_TEXT, "777.000", "chuyen tien khong ro", "FT010", "NGUYEN VAN X"),  # nobody's
    ]
    return generic(rows)


def _tokens():
    return {
        "payment": {pk: f"P:{reference}" for pk, reference in Payment.objects.values_list("pk", "bank_reference")},
        "entry": {
            entry_pk: f"E:{reference}"
            for entry_pk, reference in Payment.objects.values_list("journal_entry_id", "bank_reference")
        },
        "receipt": {pk: f"R:{reference}" for pk, reference in Receipt.objects.values_list("pk", "payment__bank_reference")},
        "line": {pk: f"L:{reference}" for pk, reference in BankStatementLine.objects.values_list("pk", "bank_reference")},
        "statement": dict.fromkeys(BankStatementImport.objects.values_list("pk", flat=True), "S"),
    }


_MODEL_TOKENS = {
    "donations.payment": "payment", "ledger.journalentry": "entry", "receipts.receipt": "receipt",
    "donations.bankstatementline": "line", "donations.bankstatementimport": "statement",
}
_KEY_TOKENS = {"payment_id": "payment", "journal_entry_id": "entry", "entry": "entry", "first_payment": "payment"}


def _normalize(data, tokens):
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key == "hash":
            value = "<hash>"
        elif key in _KEY_TOKENS and value is not None:
            value = tokens[_KEY_TOKENS[key]].get(int(value), value)
        out[key] = value
    return out


def _state(before_audit: int, before_entry: int, head_before: str):
    """Everything the import wrote, with primary keys replaced by the bank references."""
    tokens = _tokens()
    entries = list(JournalEntry.objects.filter(pk__gt=before_entry).order_by("pk"))
    chain = [head_before] + [entry.hash for entry in entries]
    assert [entry.previous_hash for entry in entries] == chain[:-1]  # the chain continues from the head
    head = LedgerChainHead.objects.get()
    assert head.last_hash == chain[-1] and head.entry_count == JournalEntry.objects.count()
    assert ledger_verify().ok
    assert progress.tally_mismatches() == []
    lines_of = {}
    for entry_id, code, fund_id, debit, credit in JournalLine.objects.filter(entry__in=entries).order_by("pk").values_list(
        "entry_id", "account__code", "fund_id", "debit", "credit"
    ):
        lines_of.setdefault(entry_id, []).append((code, fund_id, debit, credit))
    receipts = list(Receipt.objects.order_by("unit_id", "year", "sequence"))
    tallies = Counter()
    for campaign_id, fund_id, day, received, pledged, pledge_count, donor_count in CampaignTally.objects.values_list(
        "campaign_id", "fund_id", "day", "received", "pledged", "pledge_count", "donor_count"
    ):
        for name, value in zip(("received", "pledged", "pledge_count", "donor_count"),
                               (received, pledged, pledge_count, donor_count), strict=True):
            tallies[(campaign_id, fund_id, day, name)] += value
    audit = AuditEvent.objects.filter(pk__gt=before_audit)
    return {
        "payments": [
            (tokens["payment"][p.pk], p.donor_id, p.pledge_id, p.fund_id, p.unit_id, p.amount, p.method,
             p.received_on, p.bank_reference, p.recorded_by_id, p.overpayment_reason, p.in_kind_description,
             tokens["entry"][p.journal_entry_id], p.voided_at)
            for p in Payment.objects.order_by("pk")
        ],
        "entries": [
            (e.memo, e.date, e.unit_id, e.source_type_id, tokens["payment"][int(e.source_id)], e.created_by_id,
             e.reverses_id, e.reversal_reason, lines_of[e.pk])
            for e in entries
        ],
        "receipts": [
            (r.unit_id, r.year, r.sequence, r.number, tokens["payment"][r.payment_id], r.receipt_date, r.issued_by_id,
             r.unit_name, r.unit_address, r.payer_name, r.payer_address, r.amount, r.reason, r.fund_name,
             r.payment_method, r.debit_account, r.credit_account, r.attached_documents, r.state)
            for r in receipts
        ],
        "sequences": [r.sequence for r in receipts],
        "deliveries": sorted(
            (tokens["receipt"][receipt_id], channel, status)
            for receipt_id, channel, status in ReceiptDelivery.objects.values_list("receipt_id", "channel", "status")
        ),
        "audit": sorted(
            (
                a.action, a.model_label,
                tokens[_MODEL_TOKENS[a.model_label]].get(int(a.object_id)) if a.model_label in _MODEL_TOKENS
                else a.object_id,
                repr(_normalize(a.before, tokens)), repr(_normalize(a.after, tokens)), a.actor_id, a.actor_label,
                a.unit_id,
            )
            for a in audit.filter(source=AuditEvent.Source.SERVICE)
        ),
        "trigger_rows": Counter(audit.exclude(source=AuditEvent.Source.SERVICE).values_list("model_label", "action")),
        "pledges": list(Pledge.objects.order_by("pk").values_list("pk", "status")),
        "tallies": {key: value for key, value in tallies.items() if value},
        "donor_tallies": sorted(
            (campaign_id, donor_id, anonymous, honor_total, public_pledged, tokens["payment"].get(first))
            for campaign_id, donor_id, anonymous, honor_total, public_pledged, first in CampaignDonorTally.objects
            .values_list("campaign_id", "donor_id", "anonymous", "honor_total", "public_pledged", "first_payment")
        ),
        "lines": [
            (line.line_number, line.bank_reference, line.status, line.matched_by, line.pledge_id,
             tokens["payment"].get(line.payment_id), line.note)
            for line in BankStatementLine.objects.order_by("line_number")
        ],
        "statement": list(BankStatementImport.objects.values_list(
            "lines_credit", "lines_new", "lines_matched", "lines_unmatched", "lines_ignored", "amount_matched", "status",
        )),
    }


def _import_state(unit, content, treasurer):
    before_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    before_entry = JournalEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    head_before = LedgerChainHead.objects.get().last_hash
    try:
        with transaction.atomic():
            statement_import(unit=unit, file_name="sao-ke.csv", content=content, created_by=treasurer)
            state = _state(before_audit, before_entry, head_before)
            raise _Rollback
    except _Rollback:
        pass
    return state


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_size", [100, 3])
def test_the_bulk_path_writes_exactly_what_payment_record_writes_line_by_line(
    chunk_size, campaign, unit, other_unit, treasurer, monkeypatch
):
    content = _scenario(campaign, unit, other_unit, treasurer)
    monkeypatch.setattr(bank_statement, "CHUNK_SIZE", chunk_size)
    with monkeypatch.context() as patch:
        fell_back = []
        patch.setattr(bank_statement, "_lines_settle_one_by_one", lambda *args, **kwargs: fell_back.append(args))
        bulk = _import_state(unit, content, treasurer)
    assert fell_back == []  # every chunk went through the bulk path
    assert Payment.objects.count() == 1 and BankStatementLine.objects.count() == 0  # rolled back
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        single = _import_state(unit, content, treasurer)

    # What the statement is meant to exercise, read on the single path's result.
    lines = {line[1] or f"#{line[0]}": line for line in single["lines"]}
    assert [lines[key][2] for key in ("FT001", "FT002", "FT003", "FT004", "FT005", "FT009")] == [
        "matched"] * 6
    assert lines["FT003"][3] == lines["FT005"][3] == "amount_name"
    for refused, code_words in (("FT006", "vượt số cam kết"), ("FT007", "đã hủy"), ("FT008", "không có quyền"),
                                ("FT900", "đã được ghi nhận")):
        assert lines[refused][2] == "unmatched" and lines[refused][4] is not None, refused
        assert code_words in lines[refused][6], (refused, lines[refused][6])
    assert lines["FT010"][2:5] == ("unmatched", "", None)
    assert sum(1 for line in single["lines"] if line[1].startswith("H-") and line[2] == "matched") == 2
    assert len(single["lines"]) == 13  # FT009's repetition is one line
    assert single["sequences"] == list(range(1, 10))  # the payment made before, then eight: no gap
    assert {status for _pk, status in single["pledges"]} >= {"fulfilled", "partially_paid", "cancelled"}

    for part in single:
        assert bulk[part] == single[part], part


# --- statements per chunk ---------------------------------------------------------------------


def _statement_of(pledges, count):
    return generic([
        (DAY_TEXT, "100.000", f"ung ho {pledge.reference}", f"Q{count}-{index:03d}", "")
        for index, pledge in enumerate(pledges[:count])
    ])


@pytest.mark.django_db
def test_the_statements_of_a_chunk_do_not_grow_with_its_matched_lines(campaign, unit, treasurer):
    # SQLite binds at most 999 parameters per statement: Django splits a long INSERT there.
    small, large = (10, 60) if connection.vendor == "postgresql" else (10, 30)
    pledges = [make_pledge(campaign, f"Nhà hảo tâm {index}", 1_000_000, by=treasurer) for index in range(2 * large + 1)]
    # The first payment ever creates the chain head and the receipt counter: not what is measured.
    statement_import(unit=unit, file_name="0.csv", content=_statement_of(pledges[-1:], 1), created_by=treasurer)
    counts = []
    for first, count in ((0, small), (large, large)):
        with CaptureQueriesContext(connection) as queries:
            statement = statement_import(unit=unit, file_name=f"{count}.csv", content=_statement_of(pledges[first:], count),
                                         created_by=treasurer)
        assert statement.lines_matched == count
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Receipt.objects.count() == 1 + small + large
    # Line by line, the same import costs statements per line: the bulk path is what keeps it flat.
    assert counts[0] < 3 * 23


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


def _closing(function):
    def run(*args):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '20s'")  # a deadlock or a long wait fails the thread
            return function(*args)
        finally:
            connections.close_all()
    return run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_and_payments_of_its_pledges_at_the_same_time_all_finish_consistently(campaign, unit, treasurer):
    pledges = [make_pledge(campaign, f"Nhà hảo tâm {index}", 10_000_000, by=treasurer) for index in range(20)]
    rows = [(DAY_TEXT, "100.000", f"ung ho {pledges[index % 20].reference}", f"C-{index:03d}", "") for index in range(150)]
    content = generic(rows)
    start = threading.Barrier(3)

    @_closing
    def importer():
        start.wait(timeout=60)
        return statement_import(unit=unit, file_name="c.csv", content=content, created_by=treasurer).lines_matched

    @_closing
    def payer(offset):
        start.wait(timeout=60)
        for index in range(offset, 20, 2):
            pledge = Pledge.objects.select_related("donor", "campaign__unit").get(pk=pledges[index].pk)
            payment_record(donor=pledge.donor, pledge=pledge, amount=50_000, method="cash", unit=unit,
                           received_on=timezone.localdate(), recorded_by=treasurer)
        return 10

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(importer), pool.submit(payer, 0), pool.submit(payer, 1)]
        results = [future.result(timeout=180) for future in futures]

    assert results == [150, 10, 10]
    assert Payment.objects.count() == 170
    year = timezone.localdate().year
    assert sorted(Receipt.objects.filter(unit=unit, year=year).values_list("sequence", flat=True)) == list(range(1, 171))
    assert ledger_verify().ok
    assert progress.tally_mismatches() == []
    for pledge in Pledge.objects.all():
        paid = sum(Payment.objects.filter(pledge=pledge).values_list("amount", flat=True))
        assert paid == 8 * 100_000 + 50_000 or paid == 7 * 100_000 + 50_000, (pledge.pk, paid)
        assert pledge.status == Pledge.Status.PARTIALLY_PAID
    assert BankStatementLine.objects.filter(status="matched", payment__isnull=False).count() == 150


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transfer_recorded_while_the_chunk_writes_sends_the_chunk_one_payment_at_a_time(campaign, unit, treasurer):
    pledges = [make_pledge(campaign, f"Nhà hảo tâm {index}", 10_000_000, by=treasurer) for index in range(4)]
    content = generic([(DAY_TEXT, "100.000", f"ung ho {pledge.reference}", f"R-{index}", "")
                       for index, pledge in enumerate(pledges[:3])])
    recorded, release = threading.Event(), threading.Event()

    @_closing
    def other_writer():
        with transaction.atomic():
            # A pledge the statement does not pay: the import does not wait for its lock, but for
            # the unique index on the bank reference, when it inserts its payments.
            pledge = Pledge.objects.select_related("donor").get(pk=pledges[3].pk)
            payment_record(donor=pledge.donor, pledge=pledge, amount=200_000, method="bank_transfer", unit=unit,
                           received_on=DAY, bank_reference="R-1", recorded_by=treasurer)
            recorded.set()
            release.wait(timeout=120)

    @_closing
    def importer():
        return statement_import(unit=unit, file_name="r.csv", content=content, created_by=treasurer).pk

    fell_back = []
    one_by_one = bank_statement._lines_settle_one_by_one

    def counted(*args, **kwargs):
        fell_back.append(True)
        return one_by_one(*args, **kwargs)

    bank_statement._lines_settle_one_by_one = counted
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            writer = pool.submit(other_writer)
            assert recorded.wait(timeout=60)
            running = pool.submit(importer)
            # Wait until the import waits for the other transaction's uncommitted R-1 (a lock wait).
            observer = connections.create_connection("default")
            try:
                for _attempt in range(600):
                    with observer.cursor() as cursor:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'"
                        )
                        if cursor.fetchone()[0]:
                            break
                    time.sleep(0.05)
                else:
                    pytest.fail("the import never waited for the other writer")
            finally:
                observer.close()
            release.set()
            writer.result(timeout=60)
            statement_pk = running.result(timeout=120)
    finally:
        bank_statement._lines_settle_one_by_one = one_by_one

    assert fell_back == [True]
    line = BankStatementLine.objects.get(statement_id=statement_pk, bank_reference="R-1")
    assert line.status == "unmatched" and "R-1" in line.note and "đã được ghi nhận" in line.note
    assert set(BankStatementLine.objects.filter(statement_id=statement_pk, status="matched")
               .values_list("bank_reference", flat=True)) == {"R-0", "R-2"}
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2, 3]
    assert ledger_verify().ok
    assert progress.tally_mismatches() == []

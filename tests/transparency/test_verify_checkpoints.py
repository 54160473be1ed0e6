"""`verify_ledger --checkpoints FILE`: the chain against signed copies kept outside the database.

The worked example of issue #13: an insider who can switch the triggers off rewrites an old line and
every later hash and the chain head. The chain is self-consistent again, so plain `verify_ledger`
passes; the checkpoints taken before the rewrite do not match it, and the first is named.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from fundmgr.core import merkle
from fundmgr.ledger.hashing import entry_hash, source_label
from fundmgr.ledger.models import JournalEntry, LedgerChainHead
from fundmgr.transparency import services, signing, tree
from tests.ledger.helpers import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def take(django_capture_on_commit_callbacks):
    def take_one():
        with django_capture_on_commit_callbacks(execute=True):
            return services.checkpoint_take()

    return take_one


def verify(capsys, **options):
    call_command("verify_ledger", **options)
    return capsys.readouterr().out


def rewrite_history(entry: JournalEntry, new_amount: int) -> None:
    """Change both lines of `entry` to `new_amount`, then recompute its hash, every later hash and the
    chain head, as a database superuser with the triggers off would (the ledger's own hashing)."""
    tamper("UPDATE ledger_journalline SET debit = %s WHERE entry_id = %s AND debit > 0", [new_amount, entry.pk])
    tamper("UPDATE ledger_journalline SET credit = %s WHERE entry_id = %s AND credit > 0", [new_amount, entry.pk])
    previous = JournalEntry.objects.filter(pk__lt=entry.pk).order_by("-pk").values_list("hash", flat=True).first()
    previous = previous or "0" * 64
    for later in JournalEntry.objects.filter(pk__gte=entry.pk).order_by("pk").select_related("unit", "source_type"):
        lines = [
            (line.account.code, line.fund.code, line.debit, line.credit)
            for line in later.lines.select_related("account", "fund").order_by("pk")
        ]
        source = source_label(later.source_type.app_label, later.source_type.model, later.source_id) if later.source_type else ""
        digest = entry_hash(
            previous_hash=previous, unit_code=later.unit.code, date_iso=later.date.isoformat(), memo=later.memo,
            source=source, reverses_hash="", reversal_reason=later.reversal_reason, lines=lines,
        )
        tamper("UPDATE ledger_journalentry SET previous_hash = %s, hash = %s WHERE id = %s", [previous, digest, later.pk])
        previous = digest
    tamper("UPDATE ledger_ledgerchainhead SET last_hash = %s WHERE id = %s", [previous, LedgerChainHead.SINGLETON_PK])


@pytest.mark.postgres
def test_insider_rewrite_contradicts_the_checkpoints(post, take, capsys):
    assert connection.vendor == "postgresql"
    entries = post(1_000_000, 2_000_000, 3_000_000)
    old = take()
    post(4_000_000, 5_000_000)
    new = take()

    # After more postings the old checkpoint's tree is a prefix of the new one.
    proof = tree.consistency_proof(old.tree_size, new.tree_size)
    assert merkle.verify_consistency(
        old.tree_size, new.tree_size, bytes.fromhex(old.root_hash), bytes.fromhex(new.root_hash), proof,
    )
    copies = services.checkpoint_file_path()
    assert [json.loads(line)["tree_size"] for line in copies.read_text().splitlines()] == [3, 5]
    assert "khớp 2 điểm kiểm chứng" in verify(capsys, checkpoints=str(copies))

    # The triggers refuse the insider's UPDATE ...
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_journalline SET debit = 1 WHERE entry_id = %s AND debit > 0", [entries[1].pk])
    # ... until a superuser switches them off and rewrites the second entry and all that follows.
    rewrite_history(entries[1], 20_000_000)

    assert verify(capsys).startswith("Sổ cái nguyên vẹn: 5 bút toán")  # self-consistent again
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", checkpoints=str(copies))
    assert str(failure.value).startswith(
        f"Mâu thuẫn với điểm kiểm chứng 3 bút toán lúc {signing.time_text(old.created_at)} (gốc {old.root_hash}): "
        "3 bút toán đầu của sổ cái nay cho gốc "
    )


def test_clean_ledger_matches_its_checkpoints(post, take, capsys):
    post(1_000_000)
    take()
    post(2_000_000, 3_000_000)
    take()
    output = verify(capsys, checkpoints=str(services.checkpoint_file_path()))
    key = signing.key_id(signing.public_key())[:16]
    assert output.splitlines()[-1] == f"Sổ cái (3 bút toán) khớp 2 điểm kiểm chứng, chữ ký hợp lệ (khoá {key})."


def test_a_cut_tail_contradicts_the_checkpoint(post, take):
    entries = post(1_000_000, 2_000_000)
    checkpoint = take()
    # Cut the last entry (and the stored tree that names it) and move the head back: the chain alone
    # verifies again.
    tamper("DELETE FROM transparency_treenode")
    tamper("DELETE FROM ledger_journalline WHERE entry_id = %s", [entries[1].pk])
    tamper("DELETE FROM ledger_journalentry WHERE id = %s", [entries[1].pk])
    tamper("UPDATE ledger_ledgerchainhead SET last_entry_id = %s, last_hash = %s, entry_count = 1 WHERE id = 1",
           [entries[0].pk, entries[0].hash])
    call_command("verify_ledger")
    with pytest.raises(CommandError, match=r"^Mâu thuẫn với điểm kiểm chứng 2 bút toán .*: sổ cái chỉ còn 1 bút toán\.$"):
        call_command("verify_ledger", checkpoints=str(services.checkpoint_file_path()))
    assert checkpoint.tree_size == 2


def test_a_tampered_line_in_the_file_fails_its_signature(post, take, tmp_path):
    post(1_000_000)
    take()
    line = json.loads(services.checkpoint_file_path().read_text())
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps({**line, "root_hash": "ab" * 32}) + "\n")
    with pytest.raises(CommandError, match=r"^Dòng 1: chữ ký của điểm kiểm chứng không hợp lệ\.$"):
        call_command("verify_ledger", checkpoints=str(forged))
    forged.write_text("not json\n")
    with pytest.raises(CommandError, match=r"^Dòng 1 của tệp không phải một điểm kiểm chứng\.$"):
        call_command("verify_ledger", checkpoints=str(forged))


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 8, 13])
def test_prefix_roots_in_one_pass_equal_the_tree(post, size):
    post(*range(1_000, 1_000 + 13))
    hashes = [
        merkle.leaf_hash(bytes.fromhex(value)) for value in JournalEntry.objects.order_by("pk").values_list("hash", flat=True)
    ]
    roots = services._journal_prefix_roots({size, 13})
    assert roots[size] == merkle.root_hash(hashes[:size])
    assert roots[13] == merkle.root_hash(hashes)

"""The proof endpoints over the demo data: every journal entry's inclusion proof, fetched over
HTTP, verifies against the checkpoint with the standalone script, and an altered entry does not;
a consistency proof links an older checkpoint to a newer one after more postings; bad requests
get a 400 or 404 with a message in the caller's language; the number of queries does not grow
with the log.

Most entries are checked with the script's own functions (imported from the file, nothing of the
project); a sample of them, and the negative cases, run the script as a program, as a donor would.
"""

import datetime
import importlib.util
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fundmgr.ledger.models import Fund, JournalEntry
from fundmgr.ledger.services import Line, entry_post
from fundmgr.transparency import tree

from .proof_helpers import SCRIPT, add_entries, checkpoint_over_the_log

pytestmark = pytest.mark.django_db

INCLUSION = "/transparency/proof/inclusion"
CONSISTENCY = "/transparency/proof/consistency"


def load_script():
    specification = importlib.util.spec_from_file_location("transparency_verify_under_test", SCRIPT)
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


script = load_script()


def run_script(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, check=False, timeout=60
    )


def inclusion_arguments(proof: dict, *, entry_hash: str | None = None) -> list[str]:
    return [
        "inclusion", "--entry-hash", entry_hash or proof["entry_hash"], "--index", str(proof["leaf_index"]),
        "--size", str(proof["tree_size"]), "--root", proof["root_hash"], "--proof", ",".join(proof["audit_path"]),
    ]


def altered(hex_hash: str) -> str:
    return ("0" if hex_hash[0] != "0" else "1") + hex_hash[1:]


@pytest.fixture
def demo(settings, demo_seeded):
    settings.TRANSPARENCY_PROOF_RATE_LIMIT_PER_IP = "10000/m"  # a proof for each of the demo's entries
    return checkpoint_over_the_log()


@pytest.fixture
def log(db):
    """A log of 1,100 made-up entries with a checkpoint over it (faster than the demo)."""
    add_entries(1100)
    return checkpoint_over_the_log()


def post_more(count: int) -> None:
    fund = Fund.objects.order_by("pk").first()
    for number in range(count):
        entry_post(
            unit=fund.unit, date=datetime.date(2025, 2, 1), memo=f"Thu thêm {number}",
            lines=[Line("111", fund, debit=1000 + number), Line("511", fund, credit=1000 + number)],
        )


def test_every_demo_entry_is_included_in_the_checkpoint_and_an_altered_one_is_not(client, demo):
    entries = list(JournalEntry.objects.order_by("pk").values_list("pk", "hash"))
    assert len(entries) == demo.tree_size > 10
    proofs = []
    for index, (entry_id, entry_hash) in enumerate(entries):
        response = client.get(INCLUSION, {"entry": entry_id})  # no size: the latest checkpoint
        assert response.status_code == 200, response.content
        proof = response.json()
        assert proof["entry"] == entry_id and proof["entry_hash"] == entry_hash and proof["leaf_index"] == index
        assert (proof["tree_size"], proof["root_hash"]) == (demo.tree_size, demo.root_hash)
        leaf = script.hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()
        path = script.hex_list(",".join(proof["audit_path"]))
        root = bytes.fromhex(demo.root_hash)
        assert script.verify_inclusion(leaf, index, demo.tree_size, path, root)
        changed_leaf = script.hashlib.sha256(b"\x00" + bytes.fromhex(altered(entry_hash))).digest()
        assert not script.verify_inclusion(changed_leaf, index, demo.tree_size, path, root)
        proofs.append(proof)

    # As a donor would: the script as a program, on the first, a middle and the last entry.
    for proof in (proofs[0], proofs[len(proofs) // 2], proofs[-1]):
        result = run_script(*inclusion_arguments(proof))
        assert (result.returncode, result.stdout) == (0, "included\n")
        result = run_script(*inclusion_arguments(proof, entry_hash=altered(proof["entry_hash"])))
        assert (result.returncode, result.stdout) == (1, "not included\n")


def test_a_newer_checkpoint_is_consistent_with_the_older_one(client, demo):
    post_more(5)
    newer = checkpoint_over_the_log()
    assert newer.tree_size == demo.tree_size + 5
    response = client.get(CONSISTENCY, {"from": demo.tree_size, "to": newer.tree_size})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == (demo.tree_size, newer.tree_size)
    assert (body["from_root_hash"], body["to_root_hash"]) == (demo.root_hash, newer.root_hash)
    arguments = [
        "consistency", "--old-size", str(demo.tree_size), "--new-size", str(newer.tree_size),
        "--new-root", newer.root_hash, "--proof", ",".join(body["proof"]),
    ]
    result = run_script(*arguments, "--old-root", demo.root_hash)
    assert (result.returncode, result.stdout) == (0, "consistent\n")
    # A rewritten history publishes another old root: the proof does not link it.
    result = run_script(*arguments, "--old-root", altered(demo.root_hash))
    assert (result.returncode, result.stdout) == (1, "not consistent\n")
    # Without `to`: up to the latest checkpoint.
    assert client.get(CONSISTENCY, {"from": demo.tree_size}).json() == body
    # An entry newer than the demo checkpoint is proved against the newer one.
    newest = JournalEntry.objects.order_by("-pk").first()
    assert client.get(INCLUSION, {"entry": newest.pk}).json()["tree_size"] == newer.tree_size
    assert client.get(INCLUSION, {"entry": newest.pk, "size": demo.tree_size}).status_code == 404


def test_answers_for_fixed_sizes_are_cacheable(client, log):
    first = JournalEntry.objects.order_by("pk").first()
    fixed = client.get(INCLUSION, {"entry": first.pk, "size": log.tree_size})
    latest = client.get(INCLUSION, {"entry": first.pk})
    assert fixed.json() == latest.json()
    assert "max-age=86400" in fixed["Cache-Control"] and "public" in fixed["Cache-Control"]
    assert "max-age=300" in latest["Cache-Control"]
    assert client.get(CONSISTENCY, {"from": 3, "to": log.tree_size})["Cache-Control"] == fixed["Cache-Control"]


@pytest.mark.parametrize(("path", "parameters", "status", "vietnamese", "english"), [
    (INCLUSION, {}, 400, "Thiếu tham số “entry”.", "The parameter “entry” is missing."),
    (INCLUSION, {"entry": "abc"}, 400, "Tham số “entry” phải là một số nguyên không âm.",
     "The parameter “entry” must be a non-negative whole number."),
    (INCLUSION, {"entry": "-1"}, 400, "Tham số “entry” phải là một số nguyên không âm.", None),
    (INCLUSION, {"entry": "١٢"}, 400, "Tham số “entry” phải là một số nguyên không âm.", None),  # Arabic-Indic digits
    (INCLUSION, {"entry": "1", "size": "9" * 40}, 400, "Tham số “size” phải là một số nguyên không âm.", None),
    (INCLUSION, {"entry": "99999999"}, 404,
     "Bút toán số 99999999 không có trong nhật ký minh bạch (hoặc chưa được đưa vào cây).",
     "Journal entry 99999999 is not in the transparency log (or not yet added to its tree)."),
    (INCLUSION, {"entry": "FIRST", "size": "0"}, 404, "Bút toán số FIRST (vị trí 0) được ghi sau cây 0 bút toán.",
     "Journal entry FIRST (position 0) was posted after the tree of 0 entries."),
    (INCLUSION, {"entry": "FIRST", "size": "1101"}, 404, "Nhật ký minh bạch chưa có 1101 bút toán.",
     "The transparency log does not have 1101 entries yet."),
    (CONSISTENCY, {"to": "3"}, 400, "Thiếu tham số “from”.", "The parameter “from” is missing."),
    (CONSISTENCY, {"from": "5", "to": "3"}, 400, "“from” (5) không được lớn hơn “to” (3).",
     "“from” (5) must not be greater than “to” (3)."),
    (CONSISTENCY, {"from": "1", "to": "1101"}, 404, "Nhật ký minh bạch chưa có 1101 bút toán.", None),
    (CONSISTENCY, {"from": "1", "to": "x"}, 400, "Tham số “to” phải là một số nguyên không âm.", None),
])
def test_bad_requests_are_refused_with_a_message(client, log, path, parameters, status, vietnamese, english):
    first = str(JournalEntry.objects.order_by("pk").first().pk)
    parameters = {name: value.replace("FIRST", first) for name, value in parameters.items()}
    response = client.get(path, parameters)
    assert (response.status_code, response.json()) == (status, {"error": vietnamese.replace("FIRST", first)})
    assert "Cache-Control" not in response or "public" not in response["Cache-Control"]
    if english:
        response = client.get(path, parameters, HTTP_ACCEPT_LANGUAGE="en")
        assert (response.status_code, response.json()) == (status, {"error": english.replace("FIRST", first)})


def test_without_a_checkpoint_there_is_no_latest_size(client, db):
    add_entries(3)
    tree.tree_sync()
    for path, parameters in ((INCLUSION, {"entry": "1"}), (CONSISTENCY, {"from": "0"})):
        response = client.get(path, parameters)
        assert (response.status_code, response.json()) == (404, {"error": "Chưa có điểm kiểm chứng nào được công bố."})


def test_the_empty_tree_and_equal_sizes(client, log):
    empty = client.get(CONSISTENCY, {"from": 0, "to": 0}).json()
    assert empty == {"from": 0, "to": 0, "proof": [], "from_root_hash": tree.root(0).hex(), "to_root_hash": tree.root(0).hex()}
    same = client.get(CONSISTENCY, {"from": log.tree_size, "to": log.tree_size}).json()
    assert same["proof"] == [] and same["from_root_hash"] == same["to_root_hash"] == log.root_hash


def test_queries_do_not_grow_with_the_size(client, log):
    first = JournalEntry.objects.order_by("pk").first()
    counts = {}
    for size in (1, 2, log.tree_size):
        with CaptureQueriesContext(connection) as inclusion_queries:
            assert client.get(INCLUSION, {"entry": first.pk, "size": size}).status_code == 200
        with CaptureQueriesContext(connection) as consistency_queries:
            assert client.get(CONSISTENCY, {"from": 1, "to": size}).status_code == 200
        counts[size] = (len(inclusion_queries), len(consistency_queries))
    # Inclusion: the entry's leaf, then the subtrees of its path and root. Consistency: the subtrees.
    assert set(counts.values()) == {(2, 1)}, counts
    with CaptureQueriesContext(connection) as latest:
        client.get(INCLUSION, {"entry": first.pk})
    assert len(latest) == 3  # and the latest checkpoint's size


def test_proofs_are_rate_limited_per_address(client, log, settings, rate_limit_clock):
    settings.TRANSPARENCY_PROOF_RATE_LIMIT_PER_IP = "3/m"
    for _ in range(3):
        assert client.get(CONSISTENCY, {"from": 1, "to": 2}).status_code == 200
    response = client.get(CONSISTENCY, {"from": 1, "to": 2})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    other = client.get(CONSISTENCY, {"from": 1, "to": 2}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200

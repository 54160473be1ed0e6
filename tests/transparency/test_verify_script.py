"""`scripts/transparency_verify.py` on checkpoints, run as a donor or auditor would: a separate process.

The `checkpoint` subcommand checks a signature with the published key; `inclusion` and `consistency`
take checkpoints for sizes and roots, and need no `cryptography` unless a signature is checked.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fundmgr.core import merkle
from fundmgr.ledger.models import JournalEntry
from fundmgr.transparency import services, signing

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "transparency_verify.py"
# Runs the script with `cryptography` made unimportable: the proofs must not need it.
WITHOUT_CRYPTOGRAPHY = (
    "import runpy, sys; sys.modules['cryptography'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run(*arguments, without_cryptography=False):
    prefix = [sys.executable, "-c", WITHOUT_CRYPTOGRAPHY, str(SCRIPT)] if without_cryptography else [sys.executable, str(SCRIPT)]
    result = subprocess.run([*prefix, *map(str, arguments)], capture_output=True, text=True, timeout=60, check=False)
    return result.returncode, result.stdout.strip()


@pytest.fixture
def published(client, post, django_capture_on_commit_callbacks, tmp_path):
    """Two checkpoints (sizes 3 and 5) saved as a donor would save them, and the published key."""
    files = []
    for amounts in ((1_000_000, 2_000_000, 3_000_000), (4_000_000, 5_000_000)):
        post(*amounts)
        with django_capture_on_commit_callbacks(execute=True):
            services.checkpoint_take()
        answer = client.get("/transparency/checkpoints/").json()
        path = tmp_path / f"checkpoint-{answer['checkpoints'][0]['tree_size']}.json"
        path.write_text(json.dumps(answer["checkpoints"][0]))
        files.append(path)
    return files, answer["public_key"], answer


def test_signature_valid_and_a_changed_root_invalid(published, tmp_path):
    (old, new), key, answer = published
    assert run("checkpoint", "--checkpoint", new, "--public-key", key) == (0, "signature valid")
    whole_answer = tmp_path / "answer.json"
    whole_answer.write_text(json.dumps(answer))  # the endpoint's answer as saved: its newest checkpoint
    assert run("checkpoint", "--checkpoint", whole_answer, "--public-key", key) == (0, "signature valid")
    assert run("checkpoint", "--checkpoint", services.checkpoint_file_path(), "--public-key", key) == (
        0, "signature valid")  # the JSON-lines copy: its last line

    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**json.loads(new.read_text()), "root_hash": "ab" * 32}))
    assert run("checkpoint", "--checkpoint", tampered, "--public-key", key) == (1, "signature invalid")
    assert not signing.signature_valid(signing.checkpoint_from_json(json.loads(tampered.read_text())),
                                       signing.public_key_parse(key))


def leaf_hashes():
    hashes = JournalEntry.objects.order_by("pk").values_list("hash", flat=True)
    return [merkle.leaf_hash(bytes.fromhex(value)) for value in hashes]


def test_inclusion_and_consistency_against_checkpoints(published, tmp_path):
    (old, new), key, _answer = published
    leaves = leaf_hashes()
    entry = JournalEntry.objects.order_by("pk")[1]
    path = ",".join(item.hex() for item in merkle.inclusion_proof(leaves, 1, 5))
    inclusion = ["inclusion", "--entry-hash", entry.hash, "--index", 1, "--checkpoint", new, "--proof", path]
    assert run(*inclusion, without_cryptography=True) == (0, "included")
    assert run(*inclusion, "--public-key", key) == (0, "included")
    altered = ["inclusion", "--entry-hash", "cd" * 32, "--index", 1, "--checkpoint", new, "--proof", path]
    assert run(*altered, without_cryptography=True) == (1, "not included")

    proof = ",".join(item.hex() for item in merkle.consistency_proof(leaves, 3, 5))
    consistency = ["consistency", "--old-checkpoint", old, "--new-checkpoint", new, "--proof", proof]
    assert run(*consistency, without_cryptography=True) == (0, "consistent")
    assert run(*consistency, "--public-key", key) == (0, "consistent")

    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**json.loads(old.read_text()), "root_hash": "ab" * 32}))
    forged = ["consistency", "--old-checkpoint", tampered, "--new-checkpoint", new, "--proof", proof]
    assert run(*forged, without_cryptography=True) == (1, "not consistent")
    assert run(*forged, "--public-key", key) == (1, f"signature invalid: {tampered}")

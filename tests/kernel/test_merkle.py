"""The transparency log's Merkle tree: known answers from Certificate Transparency, properties of
every proof in trees up to 64 leaves, and the standalone verifier agreeing with the kernel."""

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundmgr.core.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "transparency_verify.py"

# --- known answers -----------------------------------------------------------------------------
# The RFC 6962 reference vectors, as published in transparency-dev/merkle `proof/verify_test.go`
# (variables `leaves`, `roots`, `inclusionProofs`, `consistencyProofs`; the same values are in
# google/certificate-transparency's C++ merkle tree tests). Indices there are 1-based; here 0-based.

LEAVES = [bytes.fromhex(text) for text in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
LEAF_HASHES = [leaf_hash(data) for data in LEAVES]

EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ROOTS = {  # tree size -> root hash
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

INCLUSION = [  # (index, size, path)
    (0, 1, []),
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (6, 7, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]


def hexes(hashes):
    return [item.hex() for item in hashes]


def test_hash_prefixes():
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_roots_match_the_reference_for_every_size():
    assert root_hash([]).hex() == EMPTY_ROOT
    assert {size: root_hash(LEAF_HASHES[:size]).hex() for size in ROOTS} == ROOTS


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference(index, size, path):
    assert hexes(inclusion_proof(LEAF_HASHES, index, size)) == path
    proof = [bytes.fromhex(item) for item in path]
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old_size", "new_size", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(old_size, new_size, path):
    assert hexes(consistency_proof(LEAF_HASHES, old_size, new_size)) == path
    proof = [bytes.fromhex(item) for item in path]
    old_root, new_root = bytes.fromhex(ROOTS[old_size]), bytes.fromhex(ROOTS[new_size])
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)


def test_edges_of_consistency():
    root = bytes.fromhex(ROOTS[3])
    other = bytes.fromhex(ROOTS[4])
    assert verify_consistency(0, 0, root, root, [])
    assert not verify_consistency(0, 0, root, other, [])
    assert verify_consistency(0, 5, root, other, [])  # every tree extends the empty one
    assert not verify_consistency(0, 5, root, other, [root])
    assert not verify_consistency(4, 3, other, root, [])  # a tree never shrinks
    assert not verify_consistency(3, 4, root, other, [])  # a real extension needs a proof
    assert consistency_proof(LEAF_HASHES, 0, 8) == []


def test_proof_requests_outside_the_tree_are_refused():
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 0, 9)
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 5, 4)


# --- properties --------------------------------------------------------------------------------

def tree_leaves(size, salt=b""):
    # Distinct leaf hashes, as the journal's entry hashes are.
    return [leaf_hash(hashlib.sha256(salt + str(number).encode()).digest()) for number in range(size)]


def flip(value):
    return bytes([value[0] ^ 1]) + value[1:]


sizes = st.integers(min_value=1, max_value=64)
salts = st.binary(max_size=8)


def test_every_proof_of_every_tree_up_to_64_leaves_verifies():
    # Exhaustive, so no shape is left to chance; the property tests below add tampering.
    leaves = tree_leaves(64)
    roots = [root_hash(leaves[:size]) for size in range(65)]
    for size in range(1, 65):
        for index in range(size):
            assert verify_inclusion(leaves[index], index, size, inclusion_proof(leaves, index, size), roots[size])
        for old_size in range(size + 1):
            proof = consistency_proof(leaves, old_size, size)
            assert verify_consistency(old_size, size, roots[old_size], roots[size], proof)


@settings(max_examples=64, deadline=None)
@given(size=sizes, salt=salts)
def test_every_inclusion_proof_verifies_and_tampering_fails(size, salt):
    leaves = tree_leaves(size, salt)
    root = root_hash(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index, size)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        assert not verify_inclusion(flip(leaves[index]), index, size, proof, root)  # altered leaf
        assert not verify_inclusion(leaves[index], index, size, proof, flip(root))  # wrong root
        for wrong_index in {index - 1, index + 1, index ^ 1, index ^ 2} - {index}:
            assert not verify_inclusion(leaves[index], wrong_index, size, proof, root)
        # A size that gives the leaf a path of the same shape proves the same root (leaf 0 in sizes 3
        # and 4: two right siblings); the checkpoint's root pins the size. These sizes change the shape.
        for wrong_size in {size * 2, size // 2} - {size}:
            assert not verify_inclusion(leaves[index], index, wrong_size, proof, root)
        for position in range(len(proof)):
            altered = [*proof[:position], flip(proof[position]), *proof[position + 1:]]
            assert not verify_inclusion(leaves[index], index, size, altered, root)
        assert not verify_inclusion(leaves[index], index, size, [*proof, root], root)


@st.composite
def size_pairs(draw):
    new_size = draw(sizes)
    return draw(st.integers(min_value=1, max_value=new_size)), new_size


@settings(max_examples=200, deadline=None)
@given(sizes=size_pairs(), changed=st.integers(min_value=0), salt=salts)
def test_every_consistency_proof_verifies_and_a_changed_old_leaf_fails(sizes, changed, salt):
    old_size, new_size = sizes
    leaves = tree_leaves(new_size, salt)
    old_root, new_root = root_hash(leaves[:old_size]), root_hash(leaves)
    proof = consistency_proof(leaves, old_size, new_size)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert not verify_consistency(old_size, new_size, flip(old_root), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, flip(new_root), proof)

    # An insider rewrites an old leaf and recomputes everything: the published old root no longer
    # fits the rewritten tree, whatever proof the rewritten tree can produce.
    rewritten = list(leaves)
    position = changed % old_size
    rewritten[position] = flip(rewritten[position])
    rewritten_proof = consistency_proof(rewritten, old_size, new_size)
    assert not verify_consistency(old_size, new_size, old_root, root_hash(rewritten), rewritten_proof)


# --- the standalone verifier -------------------------------------------------------------------

def load_script():
    specification = importlib.util.spec_from_file_location("transparency_verify", SCRIPT)
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


script = load_script()


def test_the_script_does_not_import_the_project():
    text = SCRIPT.read_text()
    assert "import fundmgr" not in text and "from fundmgr" not in text  # ("fundmgr-checkpoint/v1" is data)
    imported = {line.split()[1] for line in text.splitlines() if line.startswith(("import ", "from "))}
    # `cryptography` only inside the signature check (indented, so not counted here): the proofs need
    # nothing but the standard library (tests/transparency/test_verify_script.py runs them without it).
    assert imported <= {"argparse", "base64", "hashlib", "json", "sys"}


@settings(max_examples=64, deadline=None)
@given(size=sizes, old_size_seed=st.integers(min_value=0), flipped=st.booleans())
def test_script_and_kernel_agree(size, old_size_seed, flipped):
    leaves = tree_leaves(size)
    root = root_hash(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index, size)
        leaf = flip(leaves[index]) if flipped else leaves[index]
        for probe_index, probe_size in [(index, size), (index + 1, size), (index, size + 1)]:
            assert script.verify_inclusion(leaf, probe_index, probe_size, proof, root) == verify_inclusion(
                leaf, probe_index, probe_size, proof, root
            )
    old_size = old_size_seed % (size + 1)
    old_root = root_hash(leaves[:old_size])
    proof = consistency_proof(leaves, old_size, size)
    probe_root = flip(old_root) if flipped else old_root
    for probe_old_size in (old_size, old_size + 1, max(old_size - 1, 0)):
        assert script.verify_consistency(probe_old_size, size, probe_root, root, proof) == verify_consistency(
            probe_old_size, size, probe_root, root, proof
        )


def run_script(*arguments):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, check=False, timeout=60
    )


def test_script_as_a_program():
    index, size, path = INCLUSION[2]
    arguments = ["--index", str(index), "--size", str(size), "--root", ROOTS[size], "--proof", ",".join(path)]
    result = run_script("inclusion", "--leaf-hash", LEAF_HASHES[index].hex(), *arguments)
    assert (result.returncode, result.stdout) == (0, "included\n")
    # The entry's own hash instead of the leaf hash: the script adds the 0x00 prefix.
    entry_hash = hashlib.sha256(b"entry").digest()
    leaves = [*LEAF_HASHES[:5], leaf_hash(entry_hash), *LEAF_HASHES[6:]]
    entry_proof = ",".join(hexes(inclusion_proof(leaves, 5, 8)))
    result = run_script(
        "inclusion", "--entry-hash", entry_hash.hex(), "--index", "5", "--size", "8",
        "--root", root_hash(leaves).hex(), "--proof", entry_proof,
    )
    assert (result.returncode, result.stdout) == (0, "included\n")
    result = run_script("inclusion", "--leaf-hash", flip(LEAF_HASHES[index]).hex(), *arguments)
    assert (result.returncode, result.stdout) == (1, "not included\n")

    old_size, new_size, path = CONSISTENCY[2]
    arguments = ["--old-size", str(old_size), "--new-size", str(new_size), "--new-root", ROOTS[new_size]]
    result = run_script("consistency", *arguments, "--old-root", ROOTS[old_size], "--proof", ",".join(path))
    assert (result.returncode, result.stdout) == (0, "consistent\n")
    result = run_script("consistency", *arguments, "--old-root", ROOTS[old_size - 1], "--proof", ",".join(path))
    assert (result.returncode, result.stdout) == (1, "not consistent\n")

    result = run_script("inclusion", "--leaf-hash", "abc", *arguments)
    assert result.returncode == 2

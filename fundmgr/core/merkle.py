"""The Merkle tree of Certificate Transparency (RFC 9162 §2.1, the same tree as RFC 6962 §2.1).

Why: the hash chain of the journal lives inside the database, so a database superuser can
rewrite an old line and recompute every later hash, and the chain still looks intact. The
transparency log (DESIGN.md "Transparency log") makes the journal entries' hashes the leaves of an
append-only Merkle tree and publishes checkpoints (tree size, root hash) outside the database. Once
a checkpoint is out, a rewritten history cannot produce a consistency proof from it, and a donor can
check with an inclusion proof that the entry recording their gift is in the published tree. The
hash chain catches accidents; the published checkpoints catch an insider.

The tree, for leaf data d[0..n-1] (here: each journal entry's SHA-256 hash as 32 bytes):

    leaf hash       SHA-256(0x00 ‖ d[i])
    node hash       SHA-256(0x01 ‖ left ‖ right)
    MTH({})         SHA-256("")                    (the empty tree)
    MTH(D[n])       for n > 1, with k the largest power of two smaller than n:
                    node(MTH(D[0:k]), MTH(D[k:n]))

The different prefixes for leaves and nodes keep a node from passing as a leaf (second preimage).

Functions here take the list of *leaf hashes* (`leaf_hash(bytes.fromhex(entry.hash))` for each
entry, in order), except `leaf_hash` itself. `root_hash`, `inclusion_proof` and `consistency_proof`
walk the leaves and cost O(n) hashes each: they are the reference. The walks themselves
(`inclusion_path`, `consistency_path`, `range_hash`) take any source of subtree hashes, so the
transparency app's stored tree of complete subtrees answers with the same code in O(log n). The verifiers cost O(log n) and need no
leaves: they are what a donor or auditor runs (`scripts/transparency_verify.py` carries its own
copy, because a donor does not have this package).

Standard library only: the kernel imports no project app.
"""

import hashlib
from collections.abc import Callable, Sequence
from functools import partial

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data): the hash of one leaf."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): the hash of an inner node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1): where the RFC splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree_hash(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of leaves[start:end] (end > start), without copying slices."""
    if end - start == 1:
        return leaves[start]
    middle = start + _split(end - start)
    return node_hash(_subtree_hash(leaves, start, middle), _subtree_hash(leaves, middle, end))


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH: the root hash of the tree whose leaf hashes are `leaves` (any size, 0 included)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree_hash(leaves, 0, len(leaves))


def _check_size(leaves: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaves):
        raise ValueError(f"tree size {size} is outside 0..{len(leaves)}")


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).

    The path lists the sibling subtree hashes from the leaf up to the root.
    """
    _check_size(leaves, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    return inclusion_path(index, size, partial(_subtree_hash, leaves))


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves
    (RFC 9162 §2.1.4.1, SUBPROOF). Empty when old_size is 0 or equals new_size.
    """
    _check_size(leaves, new_size)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    return consistency_path(old_size, new_size, partial(_subtree_hash, leaves))


# The walks of the proofs, over any source of subtree hashes: `subtree(start, end)` is MTH of
# leaves[start:end]. The lists above compute it from the leaves; the stored tree of the
# transparency app reads it from its rows of complete subtrees (`range_hash`). Arguments are
# checked by the callers.
SubtreeHash = Callable[[int, int], bytes]


def range_hash(start: int, end: int, complete: Callable[[int, int], bytes]) -> bytes:
    """MTH of leaves[start:end] from the hashes of complete, aligned subtrees: `complete(level,
    index)` is the hash of the 2**level leaves from index * 2**level. Every range the proofs ask
    for starts at a multiple of a power of two at least as large as itself, so its left part is
    always complete, and about 2·log₂(end − start) hashes are asked for."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return complete(level, start >> level)
    middle = start + _split(size)
    return node_hash(range_hash(start, middle, complete), range_hash(middle, end, complete))


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, for 0 <= index < size."""
    path: list[bytes] = []

    def walk(offset: int, start: int, end: int) -> None:
        # PATH(m, D[start:end]) with m = offset - start; siblings are appended bottom-up.
        if end - start == 1:
            return
        middle = start + _split(end - start)
        if offset < middle:
            walk(offset, start, middle)
            path.append(subtree(middle, end))
        else:
            walk(offset, middle, end)
            path.append(subtree(start, middle))

    walk(index, 0, size)
    return path


def consistency_path(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1, for 0 <= old_size <= new_size."""
    proof: list[bytes] = []
    if old_size in (0, new_size):
        return proof

    def subproof(old_end: int, start: int, end: int, old_root_known: bool) -> None:
        # SUBPROOF(m, D[start:end], b) with m = old_end - start.
        if old_end == end:
            if not old_root_known:
                proof.append(subtree(start, end))
            return
        middle = start + _split(end - start)
        if old_end <= middle:
            subproof(old_end, start, middle, old_root_known)
            proof.append(subtree(middle, end))
        else:
            subproof(old_end, middle, end, False)
            proof.append(subtree(start, middle))

    subproof(old_size, 0, new_size, True)
    return proof


def _well_formed(proof: Sequence[bytes]) -> bool:
    return all(len(item) == HASH_SIZE for item in proof)


def _climb(first_index: int, last_index: int) -> tuple[int, int]:
    # A right-most node with no sibling at these levels: go up until it is a right child.
    while first_index and not first_index & 1:
        first_index, last_index = first_index >> 1, last_index >> 1
    return first_index, last_index


def _sides(first_index: int, last_index: int, count: int) -> list[bool] | None:
    """For each of `count` proof nodes on the way up from node `first_index` of a level whose last
    node is `last_index`: whether the proof node is the left sibling. None when the proof is not as
    long as the path to the root (RFC 9162 §2.1.3.2 and §2.1.4.2 walk the path the same way)."""
    sides = []
    for _ in range(count):
        if last_index == 0:
            return None  # the proof is longer than the path to the root
        left = bool(first_index & 1) or first_index == last_index
        sides.append(left)
        if left and not first_index & 1:
            first_index, last_index = _climb(first_index, last_index)
        first_index >>= 1
        last_index >>= 1
    return sides if last_index == 0 else None


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows the leaf at `index` in the tree of `size` leaves with `root` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size or not _well_formed(proof):
        return False
    sides = _sides(index, size - 1, len(proof))
    if sides is None:
        return False
    computed = leaf_hash
    for sibling, left in zip(proof, sides, strict=True):
        computed = node_hash(sibling, computed) if left else node_hash(computed, sibling)
    return computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (`old_size`, `old_root`) to be a prefix of (`new_size`, `new_root`)
    (RFC 9162 §2.1.4.2). The RFC's algorithm covers 0 < old_size < new_size; the edges follow
    transparency-dev/merkle: equal sizes need equal roots and an empty proof, and every tree is
    consistent with the empty one (empty proof).
    """
    if not 0 <= old_size <= new_size or not _well_formed(proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one: its root is the path's first node.
        path.insert(0, old_root)
    first_index, last_index = old_size - 1, new_size - 1
    while first_index & 1:
        first_index >>= 1
        last_index >>= 1
    sides = _sides(first_index, last_index, len(path) - 1)
    if sides is None:
        return False
    old_computed = new_computed = path[0]
    for node, left in zip(path[1:], sides, strict=True):
        if left:
            old_computed = node_hash(node, old_computed)
            new_computed = node_hash(node, new_computed)
        else:
            new_computed = node_hash(new_computed, node)
    return old_computed == old_root and new_computed == new_root

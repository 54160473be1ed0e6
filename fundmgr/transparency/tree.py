"""Roots and proofs of the transparency log for any tree size (RFC 9162 §2.1).

The interface the checkpoints, the proof endpoints and the "check my gift" page use. This first
version reads every leaf (O(n)); the stored subtree hashes (`TreeNode`) replace that with about
log₂ n rows per answer without changing these signatures.
"""

from dataclasses import dataclass

from fundmgr.core import merkle
from fundmgr.ledger.models import JournalEntry


class TreeSizeError(ValueError):
    """A size, index or entry outside the log as it stands."""


@dataclass(frozen=True)
class Leaf:
    index: int  # position in the log, from 0
    entry_id: int
    entry_hash: str  # the journal entry's hash, 64 hexadecimal digits


def _leaves(size: int | None = None) -> list[bytes]:
    hashes = JournalEntry.objects.order_by("pk").values_list("hash", flat=True)
    if size is not None:
        hashes = hashes[:size]
    return [bytes.fromhex(value) for value in hashes]


def tree_size() -> int:
    """The number of leaves: journal entries posted so far."""
    return JournalEntry.objects.count()


def tree_sync() -> int:
    """Store the subtree hashes of the leaves added since the last call; return the size stored.

    Called before a checkpoint is taken. (Nothing is stored yet in this O(n) version.)
    """
    return tree_size()


def leaf_for_entry(entry_id: int) -> Leaf:
    """The leaf of journal entry `entry_id`; TreeSizeError when there is no such entry."""
    entry = JournalEntry.objects.filter(pk=entry_id).values_list("pk", "hash").first()
    if entry is None:
        raise TreeSizeError(f"no journal entry {entry_id}")
    index = JournalEntry.objects.filter(pk__lt=entry_id).count()
    return Leaf(index=index, entry_id=entry[0], entry_hash=entry[1])


def root(size: int) -> bytes:
    """The root of the tree of the first `size` leaves."""
    leaves = _leaves(size)
    if len(leaves) < size:
        raise TreeSizeError(f"the log has {len(leaves)} leaves, not {size}")
    return merkle.root_hash(leaves)


def inclusion_proof(index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves."""
    leaves = _leaves(size)
    if not 0 <= index < size <= len(leaves):
        raise TreeSizeError(f"no leaf {index} in a tree of {size} (the log has {len(leaves)})")
    return merkle.inclusion_proof(leaves, index, size)


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`."""
    leaves = _leaves(new_size)
    if not 0 <= old_size <= new_size <= len(leaves):
        raise TreeSizeError(f"sizes {old_size} and {new_size} do not fit a log of {len(leaves)}")
    return merkle.consistency_proof(leaves, old_size, new_size)

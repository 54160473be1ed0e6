"""Roots and proofs of the transparency log for any tree size (RFC 9162 §2.1), from the stored tree.

The interface the checkpoints, the proof endpoints and the "check my gift" page use.

`tree_sync` stores, for the entries posted since the last call, their leaves (level 0, naming the
entry) and every complete, aligned subtree they complete (`TreeNode`). A complete subtree never
changes once its last leaf is in, so rows are only ever added. Any tree of size n ≤ the stored size
is made of about log₂ n such subtrees (`merkle.range_hash`), so a root or a proof first works out
which (level, index) rows it needs, reads them in one query, then runs the kernel's walk on them:
the same code that computes the reference answers from the plain list of leaves.

Leaves follow `pk` order, which is posting order: `ledger.services.entry_post` takes the entry's
id (the INSERT) only while it holds the chain-head lock, so an entry with a smaller id is always
committed (or gone) before a larger one becomes visible, and a sync never skips one.

A size beyond the stored tree is refused (`TreeSizeError`) rather than synced on the spot: the
published sizes are those of the checkpoints, and taking a checkpoint syncs first, so a reader
never writes.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from fundmgr.core import merkle
from fundmgr.ledger.models import JournalEntry

from .models import TreeNode


class TreeSizeError(ValueError):
    """A size, index or entry outside the log as it stands."""


@dataclass(frozen=True)
class Leaf:
    index: int  # position in the log, from 0
    entry_id: int
    entry_hash: str  # the journal entry's hash, 64 hexadecimal digits


SYNC_BATCH = 2000  # entries read and leaves written per round; their parents come with them
# pg_advisory_xact_lock key: any constant the project uses for nothing else ("TRLOG" in ASCII).
_SYNC_LOCK_KEY = 0x54524C4F47


def tree_size() -> int:
    """The number of leaves the log will have: journal entries posted so far (stored or not)."""
    return JournalEntry.objects.count()


def stored_size() -> int:
    """The number of leaves stored by the last `tree_sync` (one indexed query)."""
    last = TreeNode.objects.filter(level=0).order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _lock_for_sync() -> None:
    # Two syncs at once would both compute leaf n and collide on (0, n); the second waits here
    # instead and then finds the work done. SQLite serializes writers anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SYNC_LOCK_KEY])


def _pending_left_nodes(size: int) -> dict[int, bytes]:
    """For a tree of `size` stored leaves: by level, the complete subtree still waiting for its
    right sibling (one per 1-bit of `size`), read in one query."""
    keys = [(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1]
    return {level: hash_ for (level, _index), hash_ in _fetch(keys).items()}


def tree_sync() -> int:
    """Store the leaves and complete subtrees of the entries posted since the last call; return
    the size stored. Called before a checkpoint is taken; safe to run twice or concurrently."""
    with transaction.atomic():
        _lock_for_sync()
        size = stored_size()
        last_entry = (
            TreeNode.objects.filter(level=0, index=size - 1).values_list("entry_id", flat=True).first()
            if size else 0
        )
        pending = _pending_left_nodes(size)
        while True:
            batch = list(
                JournalEntry.objects.filter(pk__gt=last_entry).order_by("pk").values_list("pk", "hash")[:SYNC_BATCH]
            )
            if not batch:
                return size
            nodes = []
            for entry_id, entry_hash in batch:
                hash_ = merkle.leaf_hash(bytes.fromhex(entry_hash))
                nodes.append(TreeNode(level=0, index=size, hash=hash_, entry_id=entry_id))
                level, index = 0, size
                while index & 1:  # a right child: its parent is complete now
                    hash_ = merkle.node_hash(pending.pop(level), hash_)
                    level, index = level + 1, index >> 1
                    nodes.append(TreeNode(level=level, index=index, hash=hash_))
                pending[level] = hash_
                size += 1
            TreeNode.objects.bulk_create(nodes, batch_size=SYNC_BATCH)
            last_entry = batch[-1][0]


def _fetch(keys) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the (level, index) `keys`, in one query (none when there are no keys)."""
    by_level = defaultdict(list)
    for level, index in keys:
        by_level[level].append(index)
    if not by_level:
        return {}
    condition = Q()
    for level, indexes in by_level.items():
        condition |= Q(level=level, index__in=indexes)
    rows = TreeNode.objects.filter(condition).values_list("level", "index", "hash")
    return {(level, index): bytes(hash_) for level, index, hash_ in rows}


def _from_stored(compute: Callable[[merkle.SubtreeHash], object], size: int):
    """Run `compute(subtree)` once to learn which stored subtrees it reads, fetch them in one
    query, and run it again on them. A missing row means `size` is beyond the stored tree; the
    last leaf is always asked for, since a proof's path need not reach it."""
    wanted = {(0, size - 1)}
    placeholder = bytes(merkle.HASH_SIZE)

    def collect(level, index):
        wanted.add((level, index))
        return placeholder

    compute(lambda start, end: merkle.range_hash(start, end, collect))
    stored = _fetch(wanted)
    if len(stored) < len(wanted):
        raise TreeSizeError(f"the stored log has fewer than {size} leaves")
    return compute(lambda start, end: merkle.range_hash(start, end, lambda *key: stored[key]))


def leaf_for_entry(entry_id: int) -> Leaf:
    """The leaf of journal entry `entry_id`; TreeSizeError when the entry is not in the stored
    tree (no such entry, or posted after the last sync)."""
    row = TreeNode.objects.filter(level=0, entry_id=entry_id).values_list("index", "entry__hash").first()
    if row is None:
        raise TreeSizeError(f"journal entry {entry_id} is not in the stored log")
    return Leaf(index=row[0], entry_id=entry_id, entry_hash=row[1])


def root(size: int) -> bytes:
    """The root of the tree of the first `size` leaves."""
    if size < 0:
        raise TreeSizeError(f"no tree of size {size}")
    if size == 0:
        return merkle.root_hash([])
    return _from_stored(lambda subtree: subtree(0, size), size)


def inclusion_proof(index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise TreeSizeError(f"no leaf {index} in a tree of {size}")
    return _from_stored(lambda subtree: merkle.inclusion_path(index, size, subtree), size)


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`."""
    if not 0 <= old_size <= new_size:
        raise TreeSizeError(f"sizes {old_size} and {new_size} are not in order")
    if new_size == 0:
        return []
    return _from_stored(lambda subtree: merkle.consistency_path(old_size, new_size, subtree), new_size)


def inclusion_proof_with_root(index: int, size: int) -> tuple[list[bytes], bytes]:
    """`inclusion_proof(index, size)` and `root(size)`, from one query."""
    if not 0 <= index < size:
        raise TreeSizeError(f"no leaf {index} in a tree of {size}")
    return _from_stored(lambda subtree: (merkle.inclusion_path(index, size, subtree), subtree(0, size)), size)


def consistency_proof_with_roots(old_size: int, new_size: int) -> tuple[list[bytes], bytes, bytes]:
    """`consistency_proof(old_size, new_size)`, `root(old_size)` and `root(new_size)`, from one query."""
    if not 0 <= old_size <= new_size:
        raise TreeSizeError(f"sizes {old_size} and {new_size} are not in order")
    if new_size == 0:
        return [], root(0), root(0)
    return _from_stored(
        lambda subtree: (
            merkle.consistency_path(old_size, new_size, subtree),
            subtree(0, old_size) if old_size else root(0),
            subtree(0, new_size),
        ),
        new_size,
    )


def leaves_for_entries(entry_ids) -> dict[int, Leaf]:
    """The leaves of those of `entry_ids` that are in the stored tree, by entry id (one query)."""
    rows = TreeNode.objects.filter(level=0, entry_id__in=list(entry_ids)).values_list("entry_id", "index", "entry__hash")
    return {entry_id: Leaf(index=index, entry_id=entry_id, entry_hash=entry_hash) for entry_id, index, entry_hash in rows}


def inclusion_proofs(indexes, size: int) -> dict[int, list[bytes]]:
    """`inclusion_proof(index, size)` for each of `indexes`, from one query (a donor's payments)."""
    indexes = sorted(set(indexes))
    if not indexes:
        return {}
    if not 0 <= indexes[0] <= indexes[-1] < size:
        raise TreeSizeError(f"leaves {indexes} are not all in a tree of {size}")
    return _from_stored(
        lambda subtree: {index: merkle.inclusion_path(index, size, subtree) for index in indexes}, size
    )

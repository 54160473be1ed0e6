"""The stored tree gives the kernel's answers: for every size, index and pair of sizes, the root
and proofs read from the stored subtrees equal `fundmgr.core.merkle` over the plain list of
leaves; it grows across syncs of any batch size, reads one row per subtree, and never past its end.

The entries are written straight into the journal table (`proof_helpers.add_entries`); the proofs
over the demo data are `test_proofs.py`."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundmgr.core import merkle
from fundmgr.ledger.models import JournalEntry
from fundmgr.transparency import tree
from fundmgr.transparency.models import TreeNode

from .proof_helpers import add_entries, entry_hash

pytestmark = pytest.mark.django_db


def kernel_leaves() -> list[bytes]:
    return [merkle.leaf_hash(bytes.fromhex(value)) for value in JournalEntry.objects.values_list("hash", flat=True)]


def test_sync_stores_each_leaf_and_each_complete_subtree_once(monkeypatch):
    monkeypatch.setattr(tree, "SYNC_BATCH", 3)  # several rounds per sync
    assert tree.tree_sync() == 0
    for count in (1, 4, 2, 6):
        add_entries(count)
        assert tree.tree_sync() == JournalEntry.objects.count()
    assert tree.tree_sync() == 13  # nothing new: nothing written
    # 13 leaves; complete subtrees: 6 of 2, 3 of 4, 1 of 8.
    counts = {level: TreeNode.objects.filter(level=level).count() for level in range(5)}
    assert counts == {0: 13, 1: 6, 2: 3, 3: 1, 4: 0}
    leaves = kernel_leaves()
    for level, index, stored in TreeNode.objects.values_list("level", "index", "hash"):
        assert bytes(stored) == merkle.root_hash(leaves[index << level:(index + 1) << level])
    entry_ids = list(JournalEntry.objects.values_list("pk", flat=True))
    assert list(TreeNode.objects.filter(level=0).order_by("index").values_list("entry_id", flat=True)) == entry_ids
    assert tree.leaf_for_entry(entry_ids[5]) == tree.Leaf(index=5, entry_id=entry_ids[5], entry_hash=entry_hash(5))


def test_stored_tree_equals_the_kernel_for_every_size_up_to_300(monkeypatch):
    monkeypatch.setattr(tree, "SYNC_BATCH", 50)
    sizes = [0]
    for count in (1, 1, 2, 29, 64, 3, 100, 100):  # syncs that end on odd and even sizes
        add_entries(count)
        sizes.append(tree.tree_sync())
    assert sizes[-1] == 300
    leaves = kernel_leaves()
    for size in range(301):
        assert tree.root(size) == merkle.root_hash(leaves[:size]), size

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.data())
    def check(data):
        size = data.draw(st.integers(1, 300))
        index = data.draw(st.integers(0, size - 1))
        old_size = data.draw(st.integers(0, size))
        path = merkle.inclusion_proof(leaves, index, size)
        proof = merkle.consistency_proof(leaves, old_size, size)
        assert tree.inclusion_proof(index, size) == path
        assert tree.consistency_proof(old_size, size) == proof
        assert tree.inclusion_proof_with_root(index, size) == (path, merkle.root_hash(leaves[:size]))
        assert tree.consistency_proof_with_roots(old_size, size) == (
            proof, merkle.root_hash(leaves[:old_size]), merkle.root_hash(leaves[:size])
        )
        others = data.draw(st.lists(st.integers(0, size - 1), max_size=4))
        assert tree.inclusion_proofs([index, *others], size) == {
            leaf: merkle.inclusion_proof(leaves, leaf, size) for leaf in {index, *others}
        }

    check()


def test_bigger_trees_read_a_handful_of_rows(django_assert_num_queries):
    add_entries(1500)
    assert tree.tree_sync() == 1500
    leaves = kernel_leaves()
    for size, index, old_size in ((1024, 1023, 1), (1025, 1024, 1024), (1500, 777, 1025), (1337, 0, 1000)):
        with django_assert_num_queries(1):  # the subtrees of the answer, and its last leaf
            assert tree.root(size) == merkle.root_hash(leaves[:size])
        with django_assert_num_queries(1):
            assert tree.inclusion_proof(index, size) == merkle.inclusion_proof(leaves, index, size)
        with django_assert_num_queries(1):
            assert tree.consistency_proof(old_size, size) == merkle.consistency_proof(leaves, old_size, size)


def test_nothing_beyond_the_stored_tree():
    add_entries(5)
    tree.tree_sync()
    add_entries(2)  # posted, not yet synced
    assert tree.tree_size() == 7
    assert tree.stored_size() == 5
    newest = JournalEntry.objects.order_by("-pk").first()
    for ask in (
        lambda: tree.root(6), lambda: tree.root(-1),
        lambda: tree.inclusion_proof(4, 6), lambda: tree.inclusion_proof(5, 5), lambda: tree.inclusion_proof(0, 6),
        lambda: tree.consistency_proof(5, 6), lambda: tree.consistency_proof(0, 6), lambda: tree.consistency_proof(6, 6),
        lambda: tree.consistency_proof(3, 2), lambda: tree.leaf_for_entry(newest.pk),
        lambda: tree.leaf_for_entry(newest.pk + 1000),
    ):
        with pytest.raises(tree.TreeSizeError):
            ask()
    assert tree.root(0) == merkle.root_hash([])
    assert tree.consistency_proof(0, 0) == tree.consistency_proof(5, 5) == []

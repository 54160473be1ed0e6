""""Check my gift": each payment received on a pledge, the journal entry that recorded it, and that
entry's inclusion proof against the latest checkpoint of the transparency log.

Only the public pages may read donations and the transparency log together (the log knows no
feature). A fixed number of queries whatever the number of payments: the payments with their
entries, their leaves, and the subtrees of all their proofs at once (`tree.inclusion_proofs`).
"""

import shlex
from dataclasses import dataclass

from donations.models import Pledge
from fundmgr.core.money import format_vnd
from fundmgr.transparency import tree
from fundmgr.transparency.models import Checkpoint

SCRIPT_NAME = "transparency_verify.py"


@dataclass(frozen=True)
class GiftProof:
    received_on: object  # datetime.date
    amount_display: str
    entry_id: int
    entry_date: object  # datetime.date
    entry_hash: str
    leaf_index: int | None  # None: not in the stored tree yet
    audit_path: list[str] | None  # None: not in the latest checkpoint yet
    command: str

    @property
    def in_checkpoint(self) -> bool:
        return self.audit_path is not None


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def verify_command(*, entry_hash: str, index: int, checkpoint: Checkpoint, audit_path: list[str]) -> str:
    """The command line that checks the proof with the published script, values filled in."""
    arguments = [
        "python3", SCRIPT_NAME, "inclusion", "--entry-hash", entry_hash, "--index", str(index),
        "--size", str(checkpoint.tree_size), "--root", checkpoint.root_hash,
    ]
    if audit_path:  # a log of one entry: its root is the leaf, the path is empty
        arguments += ["--proof", ",".join(audit_path)]
    return shlex.join(arguments)


def gift_proofs(pledge: Pledge, checkpoint: Checkpoint | None) -> list[GiftProof]:
    payments = list(
        pledge.payments.not_voided().filter(journal_entry__isnull=False)
        .select_related("journal_entry").order_by("received_on", "pk")
    )
    leaves = tree.leaves_for_entries(payment.journal_entry_id for payment in payments)
    size = checkpoint.tree_size if checkpoint else 0
    proofs = tree.inclusion_proofs([leaf.index for leaf in leaves.values() if leaf.index < size], size)
    gifts = []
    for payment in payments:
        entry = payment.journal_entry
        leaf = leaves.get(entry.pk)
        path = proofs.get(leaf.index) if leaf else None
        audit_path = None if path is None else [item.hex() for item in path]
        gifts.append(GiftProof(
            received_on=payment.received_on,
            amount_display=format_vnd(payment.amount),
            entry_id=entry.pk,
            entry_date=entry.date,
            entry_hash=entry.hash,
            leaf_index=leaf.index if leaf else None,
            audit_path=audit_path,
            command=verify_command(entry_hash=entry.hash, index=leaf.index, checkpoint=checkpoint, audit_path=audit_path)
            if audit_path is not None else "",
        ))
    return gifts

"""Signed checkpoints of the transparency log, their copies outside the database, and their check.

A checkpoint says "the log had N entries with root R at time T", signed with the association's key
(`signing.py`). It is stored (`Checkpoint`), appended as one JSON line to a file outside the database
(`checkpoint_file_sync`) and e-mailed to every auditor (`CheckpointDelivery`, an outbox job). Once
those copies exist, rewriting an entry older than the checkpoint contradicts them: `verify_ledger
--checkpoints FILE` (`checkpoints_file_check`) recomputes the roots from the journal itself.

The file copy is written after commit, so a checkpoint rolled back is never copied. A process that
dies between the commit and the write leaves the file one line short; every later `checkpoint_take`
(the daily job at least) appends whatever the file lacks, so the gap closes by itself.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_record
from fundmgr.core import merkle, outbox
from fundmgr.ledger.models import JournalEntry
from fundmgr.orgs.models import Membership
from fundmgr.orgs.roles import Action, Domain, user_can

from . import signing, tree
from .models import Checkpoint, CheckpointDelivery

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of checkpoint_take ("TRNSPRNT"): two takes at once queue, not both sign.
CHECKPOINT_LOCK_KEY = 0x54524E5350524E54
LEAF_BATCH = 10_000


class CheckpointRefused(Exception):
    """The log no longer extends the last checkpoint: it shrank, or its history was rewritten."""


# --- taking a checkpoint ------------------------------------------------------------------------
def checkpoint_take(*, by=None) -> Checkpoint:
    """Sign and store the log's current size and root; the last checkpoint when the size is unchanged.

    Before signing, the new tree must extend the last checkpoint (same root at its size): the key
    never signs a history that contradicts what it signed before (CheckpointRefused).
    A person needs the ledger's export capability (`by=None`: the daily job, the command, the demo).
    """
    if by is not None and not user_can(by, Action.EXPORT, Domain.LEDGER):
        raise PermissionDenied(_("Bạn không có quyền lấy điểm kiểm chứng."))
    signing.signing_key()  # no key: fail before anything is written
    with transaction.atomic():
        _checkpoint_lock()
        size = tree.tree_sync()
        last = Checkpoint.objects.order_by("-tree_size").first()
        transaction.on_commit(checkpoint_file_sync, robust=True)  # also closes a gap a crash left
        if last is not None:
            if size == last.tree_size:
                return last
            if size < last.tree_size or tree.root(last.tree_size).hex() != last.root_hash:
                raise CheckpointRefused(
                    _("Sổ cái không còn nối tiếp điểm kiểm chứng %(size)s bút toán lúc %(time)s; không ký.")
                    % {"size": last.tree_size, "time": signing.time_text(last.created_at)}
                )
        signed = signing.checkpoint_sign(
            origin=settings.TRANSPARENCY_ORIGIN, tree_size=size, root_hash=tree.root(size).hex(), time=timezone.now(),
        )
        checkpoint = Checkpoint.objects.create(
            tree_size=signed.tree_size, root_hash=signed.root_hash, created_at=signed.time, origin=signed.origin,
            key_id=signed.key_id, signature=signed.signature, public_key=signed.public_key,
        )
        audit_record(
            action=AuditEvent.Action.CREATE, instance=checkpoint, after=signing.checkpoint_json(signed), actor=by,
            unit=None,
        )
        deliveries = [
            CheckpointDelivery.objects.create(checkpoint=checkpoint, user=user) for user in checkpoint_recipients()
        ]
        transaction.on_commit(lambda: outbox.enqueue_jobs(deliveries))
    return checkpoint


def _checkpoint_lock() -> None:
    # SQLite transactions take the write lock at BEGIN (settings: IMMEDIATE), which already queues them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])


# --- the copy in a file -------------------------------------------------------------------------
def checkpoint_file_path() -> Path:
    configured = settings.TRANSPARENCY_CHECKPOINT_FILE
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "transparency" / "checkpoints.jsonl"


def checkpoint_line(checkpoint: Checkpoint) -> bytes:
    return json.dumps(signing.checkpoint_json(checkpoint.signed), sort_keys=True).encode("ascii") + b"\n"


def checkpoint_file_sync() -> int:
    """Append every checkpoint the file lacks (those above the largest size it holds), synced to disk;
    how many. Under an exclusive `flock`, so two processes at once append each line once."""
    path = checkpoint_file_path()
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as copy:
        fcntl.flock(copy, fcntl.LOCK_EX)
        copy.seek(0)
        content = copy.read()
        sizes = [line["tree_size"] for line in _lines(content) if isinstance(line, dict) and "tree_size" in line]
        missing = Checkpoint.objects.filter(tree_size__gt=max(sizes, default=-1)).order_by("tree_size")
        lines = [checkpoint_line(checkpoint) for checkpoint in missing]
        if lines:
            # A line cut short by a crash stays as it was, on a line of its own.
            prefix = b"\n" if content and not content.endswith(b"\n") else b""
            copy.write(prefix + b"".join(lines))
            copy.flush()
            os.fsync(copy.fileno())
    if created:
        _fsync_directory(path.parent)
    return len(lines)


def _lines(content: bytes) -> list:
    parsed = []
    for line in content.splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    return parsed


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- the copies by e-mail -----------------------------------------------------------------------
def checkpoint_recipients():
    """Active users with the auditor role in any unit and an e-mail address, each once."""
    return (
        get_user_model().objects.filter(is_active=True, memberships__role=Membership.Role.AUDITOR)
        .exclude(email="").distinct().order_by("pk")
    )


def checkpoint_delivery_send(*, delivery_id: int) -> bool:
    """E-mail a checkpoint to one auditor, once; True when this call sent it."""
    with transaction.atomic():
        delivery = (
            CheckpointDelivery.objects.select_for_update(of=("self",)).select_related("checkpoint", "user")
            .get(pk=delivery_id)
        )
        if delivery.status != CheckpointDelivery.Status.PENDING:
            return False  # done, skipped, failed, or another worker is sending it now
        if not checkpoint_recipients().filter(pk=delivery.user_id).exists():
            outbox.skip(delivery, _("Người nhận không còn là kiểm tra / kiểm toán, hoặc không có e-mail."))
            return False
        address = delivery.user.email
        claimed_at = outbox.claim(delivery, recipient=address)
    return outbox.build_and_send(
        CheckpointDelivery, delivery.pk, claimed_at, lambda: _delivery_message(delivery, address),
    )


def checkpoint_delivery_mark_failed(*, delivery_id: int, error: str) -> None:
    outbox.mark_failed(CheckpointDelivery.objects.filter(pk=delivery_id), error)


def _delivery_message(delivery: CheckpointDelivery, address: str) -> EmailMessage:
    checkpoint = delivery.checkpoint
    line = checkpoint_line(checkpoint)
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "name": delivery.user.get_full_name() or delivery.user.get_username(), "size": checkpoint.tree_size,
            "root": checkpoint.root_hash, "time": signing.time_text(checkpoint.created_at),
            "origin": checkpoint.origin, "line": line.decode("ascii").strip(),
        }
        subject = _("Điểm kiểm chứng sổ cái %(origin)s: %(size)s bút toán, %(time)s") % values
        body = _(
            "Kính gửi %(name)s,\n\n"
            "Sổ cái của %(origin)s có %(size)s bút toán lúc %(time)s (UTC); gốc cây Merkle: %(root)s.\n"
            "Điểm kiểm chứng đã ký (cũng ở tệp đính kèm):\n\n%(line)s\n\n"
            "Xin lưu giữ thư này: nó là một bản sao nằm ngoài cơ sở dữ liệu. Nếu về sau lịch sử sổ cái bị viết lại, "
            "lệnh verify_ledger --checkpoints với tệp này sẽ chỉ ra điểm kiểm chứng bị mâu thuẫn "
            "(docs/transparency.md).\n\nTrân trọng,\nHội Khuyến học"
        ) % values
    domain = (getattr(settings, "DEFAULT_FROM_EMAIL", "") or "").rsplit("@", 1)[-1].strip(" >") or "khuyenhoc.local"
    message = EmailMessage(
        subject=subject, body=body, to=[address],
        # Fixed per job: a copy sent again after a crash is recognisably the same message.
        headers={"Message-ID": f"<checkpoint.{checkpoint.pk}.{delivery.pk}@{domain}>"},
    )
    message.attach(f"checkpoint-{checkpoint.tree_size}.json", line, "application/json")
    return message


# --- checking the journal against copies --------------------------------------------------------
@dataclass(frozen=True)
class CheckpointsCheck:
    ok: bool
    message: str


def checkpoints_file_check(path: str | Path) -> CheckpointsCheck:
    """Check the journal as it stands against a file of checkpoints (JSON lines, as copied).

    Each line must carry a valid signature (by the key its key id names); then the tree of the
    journal's first `tree_size` entries, recomputed from the entries' own hashes (not from the
    stored tree, which an insider could rewrite along with them), must have the signed root. That
    makes the current log consistent with every checkpoint. The first checkpoint contradicted (by
    size, so the earliest rewrite) is named.
    """
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        return CheckpointsCheck(False, _("Không đọc được tệp điểm kiểm chứng %(path)s: %(error)s") % {
            "path": path, "error": error})
    checkpoints = []
    for number, (raw, data) in enumerate(zip(content.splitlines(), _lines(content), strict=True), start=1):
        if not raw.strip():
            continue
        try:
            checkpoint = signing.checkpoint_from_json(data)
            valid = signing.signature_valid(checkpoint, signing.public_key_parse(checkpoint.public_key))
        except (KeyError, TypeError, ValueError):
            return CheckpointsCheck(False, _("Dòng %(line)s của tệp không phải một điểm kiểm chứng.") % {"line": number})
        if not valid:
            return CheckpointsCheck(False, _("Dòng %(line)s: chữ ký của điểm kiểm chứng không hợp lệ.") % {
                "line": number})
        checkpoints.append(checkpoint)
    checkpoints.sort(key=lambda checkpoint: checkpoint.tree_size)
    roots = _journal_prefix_roots({checkpoint.tree_size for checkpoint in checkpoints})
    size = JournalEntry.objects.count()
    for checkpoint in checkpoints:
        values = {"size": checkpoint.tree_size, "time": signing.time_text(checkpoint.time),
                  "root": checkpoint.root_hash, "entries": size}
        if checkpoint.tree_size > size:
            return CheckpointsCheck(False, _(
                "Mâu thuẫn với điểm kiểm chứng %(size)s bút toán lúc %(time)s (gốc %(root)s): sổ cái chỉ còn "
                "%(entries)s bút toán."
            ) % values)
        if roots[checkpoint.tree_size].hex() != checkpoint.root_hash:
            return CheckpointsCheck(False, _(
                "Mâu thuẫn với điểm kiểm chứng %(size)s bút toán lúc %(time)s (gốc %(root)s): %(size)s bút toán "
                "đầu của sổ cái nay cho gốc %(now)s; lịch sử trước thời điểm đó đã bị viết lại."
            ) % {**values, "now": roots[checkpoint.tree_size].hex()})
    keys = sorted({checkpoint.key_id[:16] for checkpoint in checkpoints})
    return CheckpointsCheck(True, _(
        "Sổ cái (%(entries)s bút toán) khớp %(count)s điểm kiểm chứng, chữ ký hợp lệ (khoá %(keys)s)."
    ) % {"entries": size, "count": len(checkpoints), "keys": ", ".join(keys) or "—"})


def _journal_prefix_roots(sizes: set[int]) -> dict[int, bytes]:
    """{size: root of the journal's first `size` entries} in one pass over the entries' hashes.

    The tree of RFC 9162 over n leaves is the right fold of its "peaks", the complete subtrees that
    n's binary digits give, largest first: root = node(peak1, node(peak2, … peakK)). So a stack of
    peaks, merged as leaves arrive, yields every prefix's root in O(n) hashes and O(log n) memory.
    """
    roots = {0: merkle.root_hash([])} if 0 in sizes else {}
    wanted = max(sizes, default=0)
    peaks: list[tuple[int, bytes]] = []  # (number of leaves, hash), largest first
    count, after_pk = 0, 0
    while count < wanted:
        batch = list(
            JournalEntry.objects.filter(pk__gt=after_pk).order_by("pk").values_list("pk", "hash")[:LEAF_BATCH]
        )
        if not batch:
            break
        for pk, entry_hash in batch:
            peak = (1, merkle.leaf_hash(bytes.fromhex(entry_hash)))
            while peaks and peaks[-1][0] == peak[0]:
                left = peaks.pop()
                peak = (left[0] * 2, merkle.node_hash(left[1], peak[1]))
            peaks.append(peak)
            count += 1
            if count in sizes:
                root = peaks[-1][1]
                for _leaves, left_hash in reversed(peaks[:-1]):
                    root = merkle.node_hash(left_hash, root)
                roots[count] = root
            after_pk = pk
            if count == wanted:
                break
    return roots

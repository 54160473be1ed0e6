"""Fault tests: a real Celery worker (and beat) in subprocesses, against a private redis-server
that the test starts, kills and restarts on a port of its own, and the PostgreSQL test database
(the rig is `tests/workers.py`, shared with the report job's crash test).

Other engineers use the shared Redis (db 14) at the same time, so nothing here touches it. The
services need `redis-server` and PostgreSQL: missing, they skip the test on a developer's
machine and fail it when CI is set (`require_service`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.workers import Rig, new_rig

MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file e-mail backend writes after each message


class ReceiptsRig(Rig):
    """The rig, with what the receipt jobs leave behind: PDF files and e-mails."""

    def pdf_files(self) -> list[Path]:
        root = self.media_root / "receipts"
        return sorted(root.rglob("*.pdf")) if root.exists() else []

    def emails_by_receipt(self) -> dict[str, int]:
        """Complete messages in the mail directory, counted by X-Receipt-Number (a message a killed
        worker was writing has no separator after it: it was not sent, like a cut SMTP session)."""
        counts: dict[str, int] = {}
        if not self.mail_dir.exists():
            return counts
        for path in self.mail_dir.iterdir():
            chunks = path.read_bytes().split(MAIL_SEPARATOR)
            for chunk in chunks[:-1]:  # the part after the last separator is empty or incomplete
                match = re.search(rb"^X-Receipt-Number: (\S+)\r?$", chunk, re.MULTILINE)
                if match:
                    number = match.group(1).decode()
                    counts[number] = counts.get(number, 0) + 1
        return counts


@pytest.fixture
def rig(tmp_path):
    rig = new_rig(tmp_path, ReceiptsRig)
    yield rig
    rig.stop()


@pytest.fixture
def chart(transactional_db):
    """The chart of accounts and chain head (a transactional test empties every table after it)."""
    from fundmgr.ledger import accounts
    from fundmgr.ledger.models import Account, LedgerChainHead

    for code, name, kind, side in accounts.CHART:
        Account.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "normal_side": side})
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)

"""The canonical form of a journal entry and its SHA-256: the one definition of the hash chain.

Posting (`services.entry_post`) and verification (`selectors.ledger_chain_check`) both call
`entry_hash`, and `docs/ledger.md` repeats the definition with a standalone script an auditor
runs over an export, so the three can never drift apart without a failing test.

Canonical form: the UTF-8 bytes of the JSON object

    {"date": "2025-01-31", "lines": [["112", "QKH-TH", 1000000, 0], ...], "memo": "...",
     "previous_hash": "<64 hex>", "reversal_reason": "", "reverses": "<64 hex or empty>",
     "source": "<app_label>.<model>:<id> or empty", "unit": "<OrgUnit.code>"}

written with sorted keys, no whitespace (separators "," and ":"), non-ASCII characters as
themselves (not \\u escapes); lines in posting order, each [account code, fund code, debit,
credit] with integer amounts. The hash is the lowercase hex SHA-256 of those bytes.
"""

import hashlib
import json
from collections.abc import Iterable

GENESIS_HASH = "0" * 64


def entry_canonical_bytes(
    *,
    previous_hash: str,
    unit_code: str,
    date_iso: str,
    memo: str,
    source: str,
    reverses_hash: str,
    reversal_reason: str,
    lines: Iterable[tuple[str, str, int, int]],
) -> bytes:
    """The bytes that are hashed; see the module docstring for the format."""
    document = {
        "previous_hash": previous_hash,
        "unit": unit_code,
        "date": date_iso,
        "memo": memo,
        "source": source,
        "reverses": reverses_hash,
        "reversal_reason": reversal_reason,
        "lines": [[account, fund, debit, credit] for account, fund, debit, credit in lines],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(**fields) -> str:
    """SHA-256 (lowercase hex) of the entry's canonical bytes, chained to `previous_hash`.

    Takes the keyword arguments of `entry_canonical_bytes`.
    """
    return hashlib.sha256(entry_canonical_bytes(**fields)).hexdigest()


def source_label(app_label: str | None, model: str | None, source_id: str) -> str:
    """"donations.payment:42", or "" for an entry without a source document."""
    if not app_label:
        return ""
    return f"{app_label}.{model}:{source_id}"

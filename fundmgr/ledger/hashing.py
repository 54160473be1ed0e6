"""The canonical form of a journal entry and its SHA-256: the one definition of the hash chain.

Posting (`services.entry_post`) calls `entry_hash`; verification (`selectors.ledger_chain_check`)
calls `entry_canonical_bytes_of_written_lines`, the same function beneath it, with each line written from codes it
quoted once; `docs/ledger.md` repeats the definition with a standalone script an auditor runs
over an export, so the three can never drift apart without a failing test.

Canonical form: the UTF-8 bytes of the JSON object

    {"date": "2025-01-31", "lines": [["112", "QKH-TH", 1000000, 0], ...], "memo": "...",
     "previous_hash": "<64 hex>", "reversal_reason": "", "reverses": "<64 hex or empty>",
     "source": "<app_label>.<model>:<id> or empty", "unit": "<OrgUnit.code>"}

written with sorted keys, no whitespace (separators "," and ":"), non-ASCII characters as
themselves (not \\u escapes); lines in posting order, each [account code, fund code, debit,
credit] with integer amounts. The hash is the lowercase hex SHA-256 of those bytes.
"""

import hashlib
import json.encoder
from collections.abc import Iterable

GENESIS_HASH = "0" * 64


# The sorted keys, written out once: every hash in a long walk pays for this format, not for a
# JSON encoder building and sorting a dict. `json_string` is the standard library's encoder of a
# str with `ensure_ascii=False` (C-accelerated), so every value is escaped exactly as json.dumps
# escapes it; `tests/ledger/test_hashing.py` holds the two definitions equal.
_CANONICAL = (
    '{"date":%s,"lines":[%s],"memo":%s,"previous_hash":%s,"reversal_reason":%s,"reverses":%s,'
    '"source":%s,"unit":%s}'
)
json_string = json.encoder.encode_basestring


def canonical_line(account_code: str, fund_code: str, debit: int, credit: int) -> str:
    """One line of the canonical form: `["112","QKH-TH",1000000,0]`."""
    return f"[{json_string(account_code)},{json_string(fund_code)},{int.__repr__(debit)},{int.__repr__(credit)}]"


def entry_canonical_bytes_of_written_lines(
    *,
    previous_hash: str,
    unit_code: str,
    date_iso: str,
    memo: str,
    source: str,
    reverses_hash: str,
    reversal_reason: str,
    lines_json: str,
) -> bytes:
    """The canonical bytes, given the lines already written by `canonical_line` and joined by ","
    (the chain walk writes each line from codes it quoted once per account and fund)."""
    return (
        _CANONICAL
        % (
            json_string(date_iso), lines_json, json_string(memo), json_string(previous_hash),
            json_string(reversal_reason), json_string(reverses_hash), json_string(source), json_string(unit_code),
        )
    ).encode("utf-8")


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
    return entry_canonical_bytes_of_written_lines(
        previous_hash=previous_hash, unit_code=unit_code, date_iso=date_iso, memo=memo, source=source,
        reverses_hash=reverses_hash, reversal_reason=reversal_reason,
        lines_json=",".join([canonical_line(*line) for line in lines]),
    )


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

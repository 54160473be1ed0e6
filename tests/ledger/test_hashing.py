"""The canonical form is written by hand for speed (`hashing.entry_canonical_bytes_of_written_lines`); it must stay
byte for byte the JSON the module docstring, docs/ledger.md and the auditor's script define."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from fundmgr.ledger.hashing import GENESIS_HASH, canonical_line, entry_canonical_bytes, entry_hash

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # quotes, backslashes, controls, Vietnamese
AMOUNT = st.integers(min_value=0, max_value=10**15)


def reference(**fields) -> bytes:
    """The definition as written: json.dumps of the document, sorted keys, no spaces, no \\u escapes."""
    document = {
        "previous_hash": fields["previous_hash"], "unit": fields["unit_code"], "date": fields["date_iso"],
        "memo": fields["memo"], "source": fields["source"], "reverses": fields["reverses_hash"],
        "reversal_reason": fields["reversal_reason"], "lines": [list(line) for line in fields["lines"]],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@given(
    previous_hash=TEXT, unit_code=TEXT, date_iso=TEXT, memo=TEXT, source=TEXT, reverses_hash=TEXT,
    reversal_reason=TEXT, lines=st.lists(st.tuples(TEXT, TEXT, AMOUNT, AMOUNT), max_size=5),
)
def test_the_written_form_is_the_json_definition(**fields):
    assert entry_canonical_bytes(**fields) == reference(**fields)


def test_a_worked_example():
    fields = {
        "previous_hash": GENESIS_HASH, "unit_code": "TH", "date_iso": "2025-01-31",
        "memo": 'Ủng hộ "Tết" \\ khuyến học\n', "source": "donations.payment:42", "reverses_hash": "",
        "reversal_reason": "", "lines": [("112", "QKH-TH", 1_000_000, 0), ("511", "QKH-TH", 0, 1_000_000)],
    }
    assert entry_canonical_bytes(**fields) == (
        '{"date":"2025-01-31","lines":[["112","QKH-TH",1000000,0],["511","QKH-TH",0,1000000]],'
        '"memo":"Ủng hộ \\"Tết\\" \\\\ khuyến học\\n","previous_hash":"' + GENESIS_HASH + '",'
        '"reversal_reason":"","reverses":"","source":"donations.payment:42","unit":"TH"}'
    ).encode()
    assert entry_hash(**fields) == hashlib.sha256(reference(**fields)).hexdigest()
    assert canonical_line("112", "QKH-TH", 5, 0) == '["112","QKH-TH",5,0]'

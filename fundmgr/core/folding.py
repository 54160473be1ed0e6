"""Text compared without diacritics and case: "nguyen thi hoa" is "Nguyễn Thị Hoà" (and "Hòa").

Design
------
- `fold(text)` is the one Python definition: decompose (NFD), drop the combining marks, đ→d,
  casefold. It is `fundmgr.core.contacts.name_normalize` without the collapsing of spaces, so that
  a code such as `TKH26-7KQ3M` or `PT-2026-000123` keeps its text and is found by it.
- `Fold` is the same function inside the database, as a transform on text fields
  (`name__fold__contains="nguyen"`), so that a search filters rows where they are and a page of
  results costs the same queries as before:
  * PostgreSQL: `lower(translate(x, FROM, TO))`, where FROM/TO is the table of every
    letter with a diacritic that Vietnamese and the Latin-1/Latin Extended-A ranges use, built
    here from `fold` itself. `translate` is built into PostgreSQL: no extension to create
    (the app's role owns nothing and may not `CREATE EXTENSION unaccent`), and both databases
    fold exactly the same letters (docs/decisions.md).
  * SQLite: the Python `fold`, registered on the connection as a deterministic function.
- The table maps upper- and lower-case letters alike, because PostgreSQL's `lower()` under the
  C collation lowers ASCII only; after `translate` the letters left are ASCII.
"""

from __future__ import annotations

import unicodedata

from django.db.models import CharField, TextField, Transform

SQLITE_FUNCTION = "fundmgr_fold"


def fold(text: str) -> str:
    """Without diacritics, đ→d, casefolded; spaces and punctuation kept."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def _table() -> tuple[str, str]:
    """(FROM, TO) for `translate`: each precomposed letter with a diacritic and its folded letter."""
    source, target = [], []
    ranges = [range(0x00C0, 0x0250), range(0x1E00, 0x1F00)]  # Latin-1, Extended-A/B, Extended Additional (Vietnamese)
    for code_point in (c for r in ranges for c in r):
        char = chr(code_point)
        folded = fold(char)
        if len(folded) == 1 and folded != char and folded.isascii():
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


TRANSLATE_FROM, TRANSLATE_TO = _table()


class Fold(Transform):
    lookup_name = "fold"
    output_field = TextField()

    def as_sql(self, compiler, connection):  # PostgreSQL and any other backend
        lhs, params = compiler.compile(self.lhs)
        return f"LOWER(TRANSLATE({lhs}, %s, %s))", (*params, TRANSLATE_FROM, TRANSLATE_TO)

    def as_sqlite(self, compiler, connection):
        connection.ensure_connection()
        # Registering again on the same connection replaces the function: cheap, and no state here.
        connection.connection.create_function(SQLITE_FUNCTION, 1, _fold_or_none, deterministic=True)
        lhs, params = compiler.compile(self.lhs)
        return f"{SQLITE_FUNCTION}({lhs})", params


def _fold_or_none(value):
    return None if value is None else fold(str(value))


CharField.register_lookup(Fold)
TextField.register_lookup(Fold)

"""The English catalogue of the scholarships app translates every Vietnamese msgid of its code.

The msgids are read from the source with `ast` (GNU xgettext mangles non-ASCII on some machines):
every call of `_`, `gettext`, `gettext_lazy`, `ngettext`, … whose message argument is a string
constant. No database: this reads files only.
"""

import ast
import functools
import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "scholarships"
CATALOGUE = APP / "locale" / "en" / "LC_MESSAGES" / "django.po"
# A word the app shares with the layers below it ("quỹ", "có") is translated once, in the lowest
# catalogue every user of it may read (tests/kernel/test_catalogues.py); these are those layers.
SHARED_CATALOGUES = [
    ROOT / path / "locale" / "en" / "LC_MESSAGES" / "django.po"
    for path in ("fundmgr", "fundmgr/orgs", "fundmgr/audit", "fundmgr/security", "fundmgr/ledger")
]

# Function name → index of the msgid argument (the context comes first for pgettext).
GETTEXT_FUNCTIONS = {
    "_": 0, "gettext": 0, "gettext_lazy": 0, "gettext_noop": 0, "ugettext": 0, "ugettext_lazy": 0,
    "ngettext": 0, "ngettext_lazy": 0, "ungettext": 0, "ungettext_lazy": 0,
    "pgettext": 1, "pgettext_lazy": 1, "npgettext": 1, "npgettext_lazy": 1,
}
PLURAL_FUNCTIONS = {"ngettext", "ngettext_lazy", "ungettext", "ungettext_lazy", "npgettext", "npgettext_lazy"}
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")  # %(name)s, %(count)d


def _function_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


@functools.cache
def source_msgids() -> dict[str, str]:
    """Every msgid (and plural msgid) in the app's Python code → where it is first used."""
    found: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        if "migrations" in path.relative_to(APP).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _function_name(node)
            if name not in GETTEXT_FUNCTIONS:
                continue
            position = GETTEXT_FUNCTIONS[name]
            strings = [_string(node.args[position]) if len(node.args) > position else None]
            if name in PLURAL_FUNCTIONS:
                strings.append(_string(node.args[position + 1]) if len(node.args) > position + 1 else None)
            for msgid in filter(None, strings):
                found.setdefault(msgid, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@functools.cache
def catalogue_entries() -> dict[str, polib.POEntry]:
    """The catalogue's entries by msgid (and by plural msgid)."""
    assert CATALOGUE.exists(), f"{CATALOGUE.relative_to(ROOT)} is missing"
    entries = {}
    shared = [polib.pofile(str(path)) for path in SHARED_CATALOGUES if path.exists()]
    for entry in [entry for catalogue in [*shared, polib.pofile(str(CATALOGUE))] for entry in catalogue]:
        if entry.obsolete:
            continue
        entries[entry.msgid] = entry
        if entry.msgid_plural:
            entries[entry.msgid_plural] = entry
    return entries


def test_the_extraction_finds_the_app_s_messages():
    # A guard against an extractor that silently finds nothing (and so passes).
    msgids = source_msgids()
    assert len(msgids) > 100
    assert "học sinh, sinh viên" in msgids
    assert "Tiêu chí thứ %(position)s (“%(code)s”)" in msgids


def test_every_msgid_has_an_english_translation():
    catalogue = catalogue_entries()
    missing = [
        f"{where}: {msgid!r}" for msgid, where in source_msgids().items()
        if msgid not in catalogue or not catalogue[msgid].translated() or "fuzzy" in catalogue[msgid].flags
    ]
    assert not missing, (
        f"{len(missing)} msgid(s) without an English msgstr in {CATALOGUE.relative_to(ROOT)}:\n"
        + "\n".join(missing)
    )


def test_translations_keep_the_placeholders():
    catalogue = catalogue_entries()
    wrong = []
    for msgid in source_msgids():
        entry = catalogue.get(msgid)
        if entry is None:
            continue  # reported by the test above
        expected = set(PLACEHOLDER.findall(msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for msgstr in translations:
            if set(PLACEHOLDER.findall(msgstr)) != expected:
                wrong.append(f"{msgid!r} → {msgstr!r}")
    assert not wrong, "translations whose %(name)s placeholders differ from the msgid:\n" + "\n".join(wrong)

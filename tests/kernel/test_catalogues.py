"""Every app's English catalogue: each Vietnamese msgid of the code is translated once, near its use.

A msgid lives in the catalogue of the lowest layer that uses it (docs/architecture.md): an app's
messages are in its own catalogue or in the catalogue of a layer below it, never in an app above
it (the public pages' strings are not in campaigns' catalogue), and no msgid is in two catalogues.
The msgids are read from the Python code with `ast`, as in `tests/scholarships/test_catalogue.py`.
"""

import ast
import functools
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest layer first: an app may use the catalogues of the apps before it in this list.
LAYERS = [
    # (settings.py is left out: the language names stay each in its own language.)
    ("fundmgr", ["fundmgr/core", "fundmgr/api", "fundmgr/adminkit", "fundmgr/idempotency",
                 "fundmgr/urls.py", "fundmgr/health.py"]),
    ("fundmgr/orgs", ["fundmgr/orgs"]),
    ("fundmgr/audit", ["fundmgr/audit"]),
    ("fundmgr/security", ["fundmgr/security"]),
    ("fundmgr/ledger", ["fundmgr/ledger"]),
    ("fundmgr/transparency", ["fundmgr/transparency"]),
    ("campaigns", ["campaigns"]),
    ("donations", ["donations"]),
    ("receipts", ["receipts"]),
    ("scholarships", ["scholarships"]),
    ("public", ["public"]),
    # Reports read every app (they sit beside the public pages, at the top).
    ("fundmgr/reports", ["fundmgr/reports"]),
]
# Where each app may look besides its own catalogue: every layer below it, except that the
# money-in apps and scholarships do not share theirs (their data never meet, nor their words).
OUT_OF_REACH = {"scholarships": {"campaigns", "donations", "receipts"}, "public": {"scholarships"}}

GETTEXT_FUNCTIONS = {
    "_": 0, "gettext": 0, "gettext_lazy": 0, "gettext_noop": 0, "ngettext": 0, "ngettext_lazy": 0,
    "pgettext": 1, "pgettext_lazy": 1, "npgettext": 1, "npgettext_lazy": 1,
}


def _catalogue_path(app: str) -> Path:
    return ROOT / app / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _python_files(paths: list[str]):
    for name in paths:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if "migrations" not in file.parts:
                yield file


@functools.cache
def app_msgids(app: str) -> dict[str, str]:
    """The msgids of the app's Python code → where each is first used."""
    paths = dict(LAYERS)[app]
    found: dict[str, str] = {}
    for file in _python_files(paths):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            position = GETTEXT_FUNCTIONS.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.setdefault(argument.value, f"{file.relative_to(ROOT)}:{node.lineno}")
    return found


@functools.cache
def translated(app: str) -> frozenset[str]:
    path = _catalogue_path(app)
    if not path.exists():
        return frozenset()
    return frozenset(
        entry.msgid for entry in polib.pofile(str(path))
        if not entry.obsolete and entry.translated() and "fuzzy" not in entry.flags
    )


def test_the_extraction_finds_messages_in_every_layer():
    # A guard against an extractor that silently finds nothing (and so passes).
    for app, _paths in LAYERS:
        if app != "fundmgr/idempotency":
            assert app_msgids(app), f"no msgid found in {app}"


@pytest.mark.parametrize("app", [app for app, _paths in LAYERS])
def test_each_message_is_translated_in_its_app_or_a_layer_below(app):
    names = [name for name, _paths in LAYERS]
    reachable = [app] + [below for below in names[: names.index(app)] if below not in OUT_OF_REACH.get(app, ())]
    known = frozenset().union(*(translated(name) for name in reachable))
    missing = [f"{where}: {msgid!r}" for msgid, where in app_msgids(app).items() if msgid not in known]
    assert not missing, f"{len(missing)} msgid(s) of {app} without an English msgstr in {reachable}:\n" + "\n".join(missing)


def test_no_message_is_translated_in_two_catalogues():
    seen: dict[str, str] = {}
    twice = []
    for app, _paths in LAYERS:
        for msgid in translated(app):
            if msgid in seen:
                twice.append(f"{msgid!r}: {seen[msgid]} and {app}")
            seen[msgid] = app
    assert not twice, "\n".join(twice)

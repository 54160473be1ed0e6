"""Group labels for source documents (the fund statement's "money in by source, out by program").

An entry names its source document only by content type and id, and the ledger imports no
feature app, so it cannot tell which campaign a payment served or which program a disbursement
paid. A feature that can registers a grouper here, from its `AppConfig.ready()`:

    from fundmgr.ledger.sources import register_source_grouper

    def disbursement_programs(ids):            # ids: source ids (strings) -> {id: label}
        ...
    register_source_grouper("scholarships.disbursement", disbursement_programs)

A grouper answers for all the ids of one statement with one query (never one per id). Ids it
leaves out keep the ledger's own grouping (account and kind of document), as do the documents
of types nobody registered.
"""

from collections.abc import Callable, Iterable, Mapping

SourceGrouper = Callable[[list[str]], Mapping[str, str]]

_groupers: dict[str, SourceGrouper] = {}


def register_source_grouper(content_type_label: str, grouper: SourceGrouper) -> SourceGrouper:
    """Group the documents of `content_type_label` ("app_label.model") with `grouper`; one per type
    (a second registration replaces the first). Returns `grouper`."""
    app_label, _dot, model = content_type_label.lower().partition(".")
    if not app_label or not model:
        raise ValueError(f"expected 'app_label.model', got {content_type_label!r}")
    _groupers[f"{app_label}.{model}"] = grouper
    return grouper


def unregister_source_grouper(content_type_label: str) -> None:
    """Remove the grouper of a type (tests use it to leave the registry as they found it)."""
    _groupers.pop(content_type_label.lower(), None)


def source_groupers() -> dict[str, SourceGrouper]:
    return dict(_groupers)


def source_groups(content_type_label: str, ids: Iterable[str]) -> dict[str, str]:
    """{source id: group label} for the ids the type's grouper names; {} for an unregistered type."""
    grouper = _groupers.get(content_type_label)
    wanted = sorted({str(source_id) for source_id in ids})
    if grouper is None or not wanted:
        return {}
    groups = {}
    for source_id, label in grouper(wanted).items():
        if not isinstance(label, str) or not label:
            raise TypeError(f"source grouper of {content_type_label} returned {label!r} for {source_id!r}")
        groups[str(source_id)] = label
    return groups

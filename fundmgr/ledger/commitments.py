"""Money promised out of a fund but not yet paid (approved, unpaid awards): a registry.

The ledger knows nothing of scholarships, yet a fund's available balance must subtract the
awards the committee has approved and not paid. So the dependency points the right way, the
scholarships app registers a callable here (in its `AppConfig.ready()`):

    from fundmgr.ledger.commitments import register_commitment_source

    def approved_unpaid_awards(fund_ids):      # -> {fund_id: amount in dong}
        ...
    register_commitment_source(approved_unpaid_awards)

Each source receives the ids of the funds asked about and answers with one query for all of
them (never one per fund), so a list page costs the same for 3 funds as for 300. Funds it does
not mention have no commitments from it. `fund_available` and `spend_guard` read the sum of
every source inside the caller's transaction, after the funds are locked.
"""

from collections.abc import Callable, Iterable, Mapping

CommitmentSource = Callable[[list[int]], Mapping[int, int]]

_sources: list[CommitmentSource] = []


def register_commitment_source(source: CommitmentSource) -> CommitmentSource:
    """Add `source` (idempotent); returns it, so it also works as a decorator."""
    if source not in _sources:
        _sources.append(source)
    return source


def unregister_commitment_source(source: CommitmentSource) -> None:
    """Remove `source` (tests use it to leave the registry as they found it)."""
    if source in _sources:
        _sources.remove(source)


def commitment_sources() -> tuple[CommitmentSource, ...]:
    return tuple(_sources)


def commitments_for(fund_ids: Iterable[int]) -> dict[int, int]:
    """{fund_id: committed dong} summed over every registered source (0 for every asked fund)."""
    ids = sorted(set(fund_ids))
    totals = dict.fromkeys(ids, 0)
    if not ids:
        return totals
    for source in _sources:
        for fund_id, amount in source(list(ids)).items():
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise TypeError(f"commitment source {source!r} returned {amount!r} for fund {fund_id}")
            if fund_id in totals:
                totals[fund_id] += amount
    return totals

"""Receipt numbers (`PT-2026-000123`): per issuing unit and year, without gaps and without
duplicates, from the `ReceiptCounter` row locked in the payment's transaction
(`fundmgr.core.numbering` tells how)."""

NUMBER_PREFIX = "PT"


def number_format(*, year: int, sequence: int) -> str:
    """`PT-2026-000123`: the printed number of the `sequence`-th receipt of `year`."""
    return f"{NUMBER_PREFIX}-{year}-{sequence:06d}"

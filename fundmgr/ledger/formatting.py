"""Amounts in the ledger's messages: the shared money kernel's `format_vnd` ("1.000.000 ₫")."""

try:  # the kernel is another app's module; the ledger must not break while it is absent
    from fundmgr.core.money import format_vnd
except ImportError:  # pragma: no cover

    def format_vnd(amount: int) -> str:
        sign = "-" if amount < 0 else ""
        return f"{sign}{abs(amount):,}".replace(",", ".") + "\u00a0₫"


__all__ = ["format_vnd"]

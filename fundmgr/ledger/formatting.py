"""Amounts in the ledger's messages: the shared money kernel's `format_vnd` ("1.000.000 ₫")."""

from fundmgr.core.money import format_vnd

__all__ = ["format_vnd"]

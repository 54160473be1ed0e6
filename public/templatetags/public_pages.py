"""Template filters of the public pages: money in dong."""

from django import template

from fundmgr.core.money import format_vnd

from ..charts import short_amount

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """1000000 → "1.000.000 ₫"."""
    return format_vnd(int(amount or 0))


@register.filter
def vnd_short(amount) -> str:
    """1500000000 → "1,5 tỷ"."""
    return short_amount(int(amount or 0))

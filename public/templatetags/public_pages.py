"""Template filters of the public pages: money in dong."""

from django import template

from fundmgr.core.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """1000000 → "1.000.000 ₫"."""
    return format_vnd(int(amount or 0))

"""List columns that every admin shows the same way."""

from django.contrib import admin

from .forms import vnd_or_dash


def amount_column(field: str, description, *, ordering: str | None = None, zero_as_dash: bool = False):
    """A changelist column showing the money field `field` as `1.000.000 ₫` (a dash when empty).

        amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")

    `zero_as_dash` also shows 0 as a dash: a journal line's other side, which holds no amount.
    """

    @admin.display(description=description, ordering=ordering)
    def column(model_admin, obj):
        amount = getattr(obj, field)
        return vnd_or_dash(None if zero_as_dash and amount == 0 else amount)

    column.__name__ = f"{field}_display"
    return column

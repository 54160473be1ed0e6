"""List columns that every admin shows the same way."""

from django.contrib import admin

from .forms import vnd_or_dash


def amount_column(field: str, description, *, ordering: str | None = None):
    """A changelist column showing the money field `field` as `1.000.000 ₫` (a dash when empty).

        amount_display = amount_column("amount", gettext_lazy("số tiền"), ordering="amount")
    """

    @admin.display(description=description, ordering=ordering)
    def column(model_admin, obj):
        return vnd_or_dash(getattr(obj, field))

    column.__name__ = f"{field}_display"
    return column

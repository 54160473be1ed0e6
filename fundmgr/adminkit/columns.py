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


class AmountsShownMixin:
    """A change page that shows its money fields as `1.000.000 ₫`, not as the stored `1000000`.

    `amounts_shown` maps each money field to the admin's column that prints it (an `amount_column`):

        amounts_shown = {"amount": "amount_display"}

    The field leaves the form (it is shown, not typed: such rows change only through services) and
    the column takes its place among the fields and the read-only fields. With `amounts_typed`, the
    field stays an input (an `AmountFieldsMixin` field) for whoever may change the row, and is shown
    as text to whoever may only view it.
    """

    amounts_shown: dict[str, str] = {}
    amounts_typed = False

    def _amounts_as_text(self, request, obj) -> dict[str, str]:
        if self.amounts_typed and self.has_change_permission(request, obj):
            return {}
        return self.amounts_shown

    def _shown(self, names, shown):
        return [shown.get(name, name) if isinstance(name, str) else name for name in names]

    def get_fields(self, request, obj=None):
        return self._shown(super().get_fields(request, obj), self._amounts_as_text(request, obj))

    def get_fieldsets(self, request, obj=None):
        shown = self._amounts_as_text(request, obj)
        return [
            (name, {**options, "fields": self._shown(options["fields"], shown)})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        shown = self._amounts_as_text(request, obj)
        readonly = self._shown(super().get_readonly_fields(request, obj), shown)
        return readonly + [column for column in shown.values() if column not in readonly]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self._amounts_as_text(request, obj)]

"""Pieces every app's admin forms use: money typed as people type it, a table file to upload, a
service's errors put on the form, and amounts shown in a list (donations and scholarships import
them; one copy)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from fundmgr.core.money import AmountError, format_vnd, parse_vnd
from fundmgr.core.tabular import TABLE_FILE_ACCEPT


class AmountField(forms.CharField):
    """Dong as people type them (`1.000.000`, `5 triệu`, `500k`): `fundmgr.core.money.parse_vnd`."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_vnd(value)
        except AmountError as error:
            raise ValidationError(error.message, code=error.code) from None

    def prepare_value(self, value):
        # A stored amount is shown as people write it (`1.000.000.000`), which the field reads back.
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}".replace(",", ".")
        return value


class AmountFieldsMixin:
    """A ModelAdmin whose `amount_fields` (integer dong columns) take what people type, through
    `AmountField`, instead of a number input that refuses `1.000.000`."""

    amount_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.amount_fields:
            return AmountField(
                label=db_field.verbose_name.capitalize() if db_field.verbose_name else None,
                required=not db_field.blank, help_text=db_field.help_text or gettext_lazy("Ví dụ: 1.000.000, 5 triệu, 500k."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TableFileField(forms.FileField):
    """A CSV or XLSX file for an import (read by `fundmgr.core.tabular.table_read`, which goes by the
    content, not the name): the browser's file picker offers those kinds first."""

    widget = forms.ClearableFileInput(attrs={"accept": TABLE_FILE_ACCEPT})


def form_errors_from(form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form fields it names (the rest on the form).

    `aliases` maps a service's argument to the form field that stands for it ("funds" → the first
    fund row).
    """
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def vnd_or_dash(amount) -> str:
    """`1.000.000 ₫`, or a dash for no amount (a list cell)."""
    return format_vnd(amount) if amount is not None else "–"


class UploadForm(forms.Form):
    """An import's upload page: what the rows belong to (the subclass's fields) and the file.

    The subclass names the columns (`columns`, the file's help text) and limits its choices to the
    user's units in `__init__` (it receives `user`).
    """

    file = TableFileField(label=gettext_lazy("Tệp CSV hoặc Excel (.xlsx)"))
    columns = ""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.columns
        self.order_fields([name for name in self.fields if name != "file"] + ["file"])

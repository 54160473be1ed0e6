"""The admin of another package, in the project's languages.

django-otp and django-celery-beat name some of their fields without gettext (`created_at`,
"Task Name"), and their help texts are English strings: no catalogue reaches them. A subclass of
their admin with `RelabelledAdminMixin` gives those fields labels and help texts through gettext,
on the form, on the read-only fields, as list columns and as filter titles:

    class DeviceAdmin(RelabelledAdminMixin, TOTPDeviceAdmin):
        field_labels = {"created_at": gettext_lazy("thời điểm tạo")}
        field_help_texts = {"key": gettext_lazy("...")}

A model field whose help text is a plain string (English no catalogue reaches) and that is missing
from `field_help_texts` shows none; a help text through gettext is left to the catalogues.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models


def titled_filter(title):
    """A list filter on a field, the one Django would choose, under the title `title`."""

    class TitledFilter(admin.FieldListFilter):
        def __new__(cls, field, request, params, model, model_admin, field_path):
            spec = admin.FieldListFilter.create(field, request, params, model, model_admin, field_path)
            spec.title = title
            return spec

    return TitledFilter


class RelabelledFormMixin:
    """Labels and help texts through gettext on the forms of an admin or an inline."""

    field_labels: dict = {}
    field_help_texts: dict = {}

    def _relabelled(self, kwargs: dict) -> dict:
        help_texts = {
            field.name: "" for field in self.model._meta.get_fields()
            if isinstance(getattr(field, "help_text", None), str) and field.help_text
        }
        help_texts.update(self.field_help_texts)
        return {
            **kwargs,
            "labels": {**self.field_labels, **kwargs.get("labels", {})},
            "help_texts": {**help_texts, **kwargs.get("help_texts", {})},
        }

    def get_form(self, request, obj=None, change=False, **kwargs):
        return super().get_form(request, obj, change, **self._relabelled(kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, **self._relabelled(kwargs))


class RelabelledAdminMixin(RelabelledFormMixin):
    """`RelabelledFormMixin`, and the relabelled fields as list columns and filters."""

    def get_list_display(self, request):
        return [self._column(name) for name in super().get_list_display(request)]

    def get_list_filter(self, request):
        return [
            (name, titled_filter(self.field_labels[name])) if isinstance(name, str) and name in self.field_labels else name
            for name in super().get_list_filter(request)
        ]

    def _column(self, name):
        if not isinstance(name, str) or name not in self.field_labels:
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name

        @admin.display(
            description=self.field_labels[name], ordering=name, boolean=isinstance(field, models.BooleanField)
        )
        def column(obj):
            return getattr(obj, f"get_{name}_display")() if field.choices else getattr(obj, name)

        column.__name__ = name
        return column

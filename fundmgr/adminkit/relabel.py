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
from django.contrib.admin import helpers
from django.contrib.admin.utils import NestedObjects, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst


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
            # Capitalised as Django capitalises a model field's own label.
            "labels": {**{name: capfirst(label) for name, label in self.field_labels.items()}, **kwargs.get("labels", {})},
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


class Shown:
    """A row under the name its admin gives it: the row itself for every attribute (its pk, its
    fields), `text` as its `str`."""

    def __init__(self, obj, text: str):
        self._obj = obj
        self._text = text

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self):
        return self._text


def shown_text(obj, admin_site) -> str:
    """How the admin names a row: its admin's `object_text`, else the row's `str`."""
    model_admin = admin_site._registry.get(type(obj))
    if isinstance(model_admin, ReadableObjectsMixin):
        return model_admin.object_text(obj)
    return str(obj)


def deleted_objects(objs, request, admin_site):
    """Django's `get_deleted_objects` (what a delete takes with it), each row named by `shown_text`."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed = set()

    def format_callback(obj):
        opts = obj._meta
        text = shown_text(obj, admin_site)
        if not admin_site.is_registered(type(obj)):
            return f"{capfirst(opts.verbose_name)}: {text}"
        if not admin_site.get_model_admin(type(obj)).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=(quote(obj.pk),))
        except NoReverseMatch:
            return f"{capfirst(opts.verbose_name)}: {text}"
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, text)

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count = {model._meta.verbose_name_plural: len(rows) for model, rows in collector.model_objs.items()}
    return to_delete, model_count, perms_needed, protected


class ReadableInlineAdminFormSet(helpers.InlineAdminFormSet):
    def __iter__(self):
        for inline_form in super().__iter__():
            if inline_form.original is not None:
                inline_form.original = Shown(inline_form.original, shown_text(inline_form.original, self.opts.admin_site))
            yield inline_form


class ReadableInlinesMixin:
    """The rows of the admin's inlines named by `shown_text` (the inline prints each row's `str`)."""

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            inline_formset.__class__ = ReadableInlineAdminFormSet
        return inline_formsets


class ReadableObjectsMixin(ReadableInlinesMixin):
    """The admin of a package's model whose `__str__` is English no catalogue reaches
    (`Attempted Access: 2026-12-07 05:32:33+00:00`): `object_text(obj)` names its rows instead
    wherever the admin prints a row — the list's checkboxes, the change page's title and
    breadcrumbs, the delete and history pages, what a delete takes with it (`deleted_objects`)
    and the rows of its inlines (both for the rows of every admin with this mixin), and the
    messages after a save or a delete.
    The model is left as it is (no migration; the package's own code still sees its `__str__`)."""

    def object_text(self, obj) -> str:
        raise NotImplementedError

    def action_checkbox(self, obj):
        return super().action_checkbox(Shown(obj, self.object_text(obj)))

    def get_deleted_objects(self, objs, request):
        return deleted_objects(objs, request, self.admin_site)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.readable_response(super().changeform_view(request, object_id, form_url, extra_context))

    def delete_view(self, request, object_id, extra_context=None):
        return self.readable_response(super().delete_view(request, object_id, extra_context))

    def history_view(self, request, object_id, extra_context=None):
        return self.readable_response(super().history_view(request, object_id, extra_context))

    def readable_response(self, response):
        """The page's row (`original` on the change page, `object` on the delete and history
        pages) under its name, in the page's title, subtitle and breadcrumbs."""
        context = getattr(response, "context_data", None) or {}
        for key in ("original", "object"):
            obj = context.get(key)
            if isinstance(obj, self.model):
                text = self.object_text(obj)
                context[key] = Shown(obj, text)
                if context.get("subtitle"):
                    context["subtitle"] = text
                if context.get("title") and str(obj):
                    context["title"] = str(context["title"]).replace(str(obj), text)  # "Change history: …"
        return response

    def response_add(self, request, obj, post_url_continue=None):
        return super().response_add(request, Shown(obj, self.object_text(obj)), post_url_continue)

    def response_change(self, request, obj):
        return super().response_change(request, Shown(obj, self.object_text(obj)))

    def delete_model(self, request, obj):
        request.deleted_object_text = self.object_text(obj)
        super().delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        return super().response_delete(request, getattr(request, "deleted_object_text", obj_display), obj_id)

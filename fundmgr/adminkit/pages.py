"""Intermediate admin pages (an action's form, an upload) in the admin's chrome."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _


def form_page(model_admin, request, *, title, form, submit_label, intro="", objects=(), action="", link=None):
    """An intermediate admin page (an action's form, an upload) in the admin's chrome."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "intro": intro,
        "objects": [{"pk": obj.pk, "label": str(obj)} for obj in objects],
        "action": action,
        "submit_label": submit_label,
        "link": link,
        "opts": opts,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/form_page.html", context)


def upload_page(model_admin, request, *, form_class, title, run_import, done):
    """The page that takes a file (an `adminkit.forms.UploadForm`) and hands it to an import service.

    `run_import(data)` calls the service with the form's cleaned data; its ValidationError is shown
    on the file field. `done(data, result)` returns the message and the URL to go to afterwards.
    """
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = form_class(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = run_import(form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            message, url = done(form.cleaned_data, result)
            model_admin.message_user(request, message)
            return HttpResponseRedirect(url)
    return form_page(model_admin, request, title=title, form=form, submit_label=_("Nhập"))

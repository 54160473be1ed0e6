"""Intermediate admin pages (an action's form, an upload) in the admin's chrome."""

from django.template.response import TemplateResponse
from django.urls import reverse


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

"""Intermediate admin pages (an action's form, an upload) in the admin's chrome."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from fundmgr.core.outbox import JobStatus


def form_page(model_admin, request, *, title, form, submit_label, intro="", objects=(), action="", link=None,
              choices=(), choices_title=""):
    """An intermediate admin page (an action's form, an upload) in the admin's chrome.

    `choices` are one-click answers shown above the form, best first: dicts with `value` (posted as
    `choice`), `label`, `detail` and `button`.
    """
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
        "choices": choices,
        "choices_title": choices_title,
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


def job_progress(*, status: str, label: str, done: int, total: int | None, finished: bool, failed: bool,
                 message: str = "", next_url: str = "") -> dict:
    """What a job's progress page shows and its JSON endpoint answers (`progress_page`).

    `total` is None while the job does not know it yet (the file is not read): the bar then moves
    without a value. `percent` is 100 exactly when the job finished.
    """
    if finished:
        percent = 100
    elif total:
        percent = min(99, done * 100 // total)
    else:
        percent = 0
    return {
        "status": status, "label": label, "done": done, "total": total, "percent": percent,
        "finished": finished, "failed": failed, "message": message, "next_url": next_url,
    }


def progress_page(model_admin, request, *, title, progress: dict, status_url: str, intro=""):
    """A job's page in the admin's chrome: a bar that `static/js/job_progress.js` moves by polling
    `status_url` (JSON, `job_progress`) once a second; without JavaScript the page refreshes itself."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "progress": progress,
        "status_url": status_url,
        "opts": opts,
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/job_progress.html", context)


class RefreshWhileRunningMixin:
    """A job's list and page reload themselves every `refresh_seconds` while a job shown there is
    pending or running (the templates read `refresh_seconds`), and stop once every one has ended."""

    refresh_seconds = 3
    running_statuses = (JobStatus.PENDING, JobStatus.RUNNING)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.get_queryset(request).filter(status__in=self.running_statuses).exists():
            extra_context["refresh_seconds"] = self.refresh_seconds
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        job = self.get_object(request, object_id)
        if job is not None and job.status in self.running_statuses:
            extra_context["refresh_seconds"] = self.refresh_seconds
        return super().change_view(request, object_id, form_url, extra_context)

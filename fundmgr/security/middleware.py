"""Refuse oversized request bodies before anything reads them (first after SecurityMiddleware)."""

from django.conf import settings
from django.http import HttpResponse
from django.template import loader


class RequestSizeLimitMiddleware:
    """Answer 413 to a body larger than the limits, from its Content-Length, before it is read.

    Django's own `DATA_UPLOAD_MAX_MEMORY_SIZE` check raises only when a view reads the body and
    then answers a plain 400. Here a form or JSON body over that limit, or any body over
    `MAX_REQUEST_BODY_SIZE` (multipart uploads, whose files do not count towards the first),
    gets a clear 413 page without the server reading it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = getattr(settings, "MAX_REQUEST_BODY_SIZE", 20 * 1024 * 1024)
        if not content_type.startswith("multipart/form-data"):
            limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit)
        if length > limit:
            return request_too_large(request, limit)
        return self.get_response(request)


def request_too_large(request, limit: int) -> HttpResponse:
    body = loader.render_to_string("413.html", {"limit_megabytes": round(limit / 1_048_576, 1)}, request)
    # No "Connection: close" here: it is a hop-by-hop header, which a WSGI application must not
    # set (PEP 3333). The development server (wsgiref) answers a 500 in its place; the servers
    # themselves read or discard the rest of the body before the connection is used again.
    return HttpResponse(body, status=413)

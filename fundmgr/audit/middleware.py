"""The audit context middleware.

Order in `settings.MIDDLEWARE` (the settings put them there):
    SecurityMiddleware
    RequestSizeLimitMiddleware      (fundmgr.security) refuse oversized bodies before anything reads them
    csp.middleware.CSPMiddleware    (django-csp)
    ... sessions, locale, common, CSRF, authentication, django_otp ...
    AuditContextMiddleware          after authentication: the user is known (lazily)
    OTPRequiredMiddleware           (fundmgr.security) after CSRF (it answers POSTs itself)
    ... messages, clickjacking ...
    AxesMiddleware                  last, as django-axes asks
"""

from __future__ import annotations

from . import context


class AuditContextMiddleware:
    """Bind the request to the audit context for the time of the request; tag the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with context.bind(request=request) as bound:
            response = self.get_response(request)
        response.setdefault("X-Request-ID", bound.request_id)
        return response

"""The log-in lock-out backend (django-axes), first in `AUTHENTICATION_BACKENDS`.

django-axes counts failed log-ins per username and client IP (`AXES_LOCKOUT_PARAMETERS`) and
refuses further attempts for `AXES_COOLOFF_TIME` after `AXES_FAILURE_LIMIT` failures. It needs
the request to know the IP; every log-in over HTTP (the admin's form) passes it.

A call without a request is code authenticating a user it already trusts: the test client's
`login()`, a management command. Axes would raise there; this backend steps aside instead and
lets the next backend decide, so nothing that reaches the site over HTTP escapes the count.
"""

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

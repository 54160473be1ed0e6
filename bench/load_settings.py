"""Settings for `bench/load.py`'s gunicorn: production settings with the limits that protect one
site from one abusive address lifted, because the load generator is a single address (127.0.0.1)
speaking for thousands of donors. Everything else (middleware, CSRF, sessions, idempotency,
the real Celery queue on Redis) is as in production."""

from fundmgr.settings import *  # noqa: F403

PLEDGE_FORM_MIN_SECONDS = 0  # the form's "filled in too fast" guard: a script fills it at once
PLEDGE_RATE_LIMIT_PER_IP = "10000000/m"
PLEDGE_RATE_LIMIT_PER_EMAIL = "10000000/m"
API_THROTTLE_RATES = dict.fromkeys(API_THROTTLE_RATES, "10000000/m")  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

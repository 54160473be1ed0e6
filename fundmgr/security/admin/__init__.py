"""The admins of the packages the project runs, in its two languages: django-axes' lock-outs,
django-otp's devices, django-celery-beat's schedules (each re-registered with its labels, help
texts, columns and messages through gettext; `fundmgr.adminkit.relabel`)."""

from . import axes, beat, otp  # noqa: F401 - each registers its admins

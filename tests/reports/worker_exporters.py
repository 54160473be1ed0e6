"""Imported by the crash test's Celery worker (`--include`): the test exporters in its registry."""

from .exporters import install

install()

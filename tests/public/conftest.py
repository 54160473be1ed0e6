"""Fixtures of the statement tests: the campaigns tests' province, funds, open campaign, treasurer."""

from tests.campaigns.conftest import campaign, funds, treasurer, unit  # noqa: F401  (fixtures)

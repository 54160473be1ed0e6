"""The admin's home page for each role: what needs doing, and the numbers a person opens the admin for.

Design
------
- The admin kit knows no feature. Each app contributes panels through a registry
  (`register_home_panels(build)`, called from its `AppConfig.ready()`), as the features tell the
  ledger about themselves. `build(request)` returns the panels this user may see: a panel is
  shown only where the user's roles give the capability it needs (`fundmgr.orgs.roles.user_can`)
  and counts only rows of the user's units (`scope_queryset`), so the home differs by role
  without naming roles: a treasurer sees the money to match and chase, an auditor balances and
  checks, a nominator their nominations, the committee the awards to decide.
- Panels with the same `key` are merged: the "to do" panel gathers the counts of every app (the
  unmatched bank lines and overdue pledges of donations, the awards of scholarships, the failed
  jobs of the outbox). Each count links to the changelist filtered to exactly those rows.
- Query counts are part of the contract: each contribution costs a fixed number of queries
  (a COUNT, one annotated list), never one per row (tests/adminkit/test_home.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fundmgr.core import outbox

TODO = "todo"


@dataclasses.dataclass
class HomeItem:
    """A count that links to its rows; `attention` marks work waiting (a count > 0 of a to-do)."""

    label: str
    count: int
    url: str = ""
    attention: bool = True


@dataclasses.dataclass
class HomePanel:
    key: str
    title: str
    order: int = 50
    items: list[HomeItem] = dataclasses.field(default_factory=list)
    header: list[str] = dataclasses.field(default_factory=list)
    rows: list[list] = dataclasses.field(default_factory=list)
    charts: list[SafeString] = dataclasses.field(default_factory=list)
    note: str = ""
    link: tuple[str, str] | None = None  # (label, url)


HomeBuilder = Callable[[object], list[HomePanel]]

_builders: list[HomeBuilder] = []


def register_home_panels(build: HomeBuilder) -> HomeBuilder:
    """Add `build(request) -> [HomePanel]` (idempotent); returns it, so it also works as a decorator."""
    if build not in _builders:
        _builders.append(build)
    return build


def changelist_url(model, **filters) -> str:
    """The admin's list of `model`, filtered by the query parameters `filters`."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def home_panels(request) -> list[HomePanel]:
    """Every registered app's panels for this user, those with the same key merged, in order."""
    merged: dict[str, HomePanel] = {}
    for build in _builders:
        for panel in build(request):
            if panel.key in merged:
                merged[panel.key].items.extend(panel.items)
            else:
                merged[panel.key] = panel
    return sorted((panel for panel in merged.values() if panel.items or panel.rows or panel.charts or panel.note),
                  key=lambda panel: (panel.order, panel.key))


def failed_jobs(request) -> list[HomePanel]:
    """The jobs of the outbox (receipts, e-mails, reports, imports) that failed for good, by kind:
    one COUNT per registered kind whose admin list this user may read, through that admin's own
    scoped queryset."""
    items, readable = [], False
    for kind in outbox.registered():
        model_admin = admin.site._registry.get(kind.model)
        if model_admin is None or not model_admin.has_view_permission(request):
            continue
        readable = True
        count = model_admin.get_queryset(request).filter(status=outbox.JobStatus.FAILED).count()
        try:
            url = changelist_url(kind.model, status__exact=outbox.JobStatus.FAILED)
        except NoReverseMatch:
            url = ""
        if count:
            label = _("Việc chạy nền bị lỗi: %(kind)s") % {"kind": kind.model._meta.verbose_name_plural}
            items.append(HomeItem(label=label, count=count, url=url))
    if readable and not items:  # one line says that none failed, rather than one line per kind of job
        items.append(HomeItem(label=_("việc chạy nền bị lỗi"), count=0))
    return [HomePanel(key=TODO, title=_("Việc cần làm"), order=10, items=items)]


register_home_panels(failed_jobs)


def install(site) -> None:
    """Make `site`'s index the home page: the panels above the list of apps."""
    index = site.index

    def home_index(request, extra_context=None):
        return index(request, extra_context={"home_panels": home_panels(request), **(extra_context or {})})

    site.index = home_index
    site.index_template = "admin/home.html"

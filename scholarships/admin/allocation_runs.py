"""The allocation run admin: each run read-only, with every decision explained.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fundmgr.adminkit.columns import amount_column
from fundmgr.adminkit.forms import vnd_or_dash
from fundmgr.adminkit.scoping import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
)
from fundmgr.ledger.models import Fund
from fundmgr.orgs.roles import Domain

from ..allocation import Reason
from ..models import (
    AllocationRun,
)
from .common import (
    ProgramFilter,
    ProgramUnitFilter,
    html_table,
    person_name,
    record_code,
)


def _reason_label(code) -> str:
    try:
        return str(Reason(code).label)
    except ValueError:
        return str(code)


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope_field = "program__unit"
    permission_domain = Domain.AWARDS
    list_display = [
        "__str__", "program", "created_at", "runner_display", "funded_count", "funded_amount_display", "sha_display",
    ]
    list_filter = [ProgramFilter, ProgramUnitFilter]
    list_select_related = ["program", "created_by"]
    fields = [
        "program", "created_at", "runner_display", "funded_count", "funded_amount_display", "inputs_sha256",
        "decisions_display", "inputs_display",
    ]
    readonly_fields = fields

    # Runs are made by the program's "Chạy phân bổ" action (awards.allocation_run) and never change:
    # the decisions stay explained as they were taken.

    funded_amount_display = amount_column("funded_amount", gettext_lazy("tổng tiền được cấp"), ordering="funded_amount")

    @admin.display(description=gettext_lazy("người chạy"), ordering="created_by__username")
    def runner_display(self, run):
        return person_name(run.created_by)

    @admin.display(description=gettext_lazy("SHA-256 của đầu vào"))
    def sha_display(self, run):
        return format_html('<code title="{}">{}…</code>', run.inputs_sha256, run.inputs_sha256[:12])

    @admin.display(description=gettext_lazy("dữ liệu đầu vào"))
    def inputs_display(self, run):
        return format_html(
            "<details><summary>{}</summary><pre>{}</pre></details>", _("Xem dữ liệu đầu vào (JSON)"),
            json.dumps(run.inputs, ensure_ascii=False, indent=2, sort_keys=True),
        )

    @admin.display(description=gettext_lazy("quyết định"))
    def decisions_display(self, run):
        decisions = sorted(run.decisions or [], key=lambda decision: decision.get("rank", 0))
        fund_ids = {int(fund_id) for decision in decisions for fund_id in (decision.get("shares") or {})}
        fund_codes = {str(pk): code for pk, code in Fund.objects.filter(pk__in=fund_ids).values_list("pk", "code")}
        rows = [
            (
                decision.get("rank"), f"#{decision.get('nomination')}", record_code(decision.get("student")),
                _reason_label(decision.get("reason")),
                vnd_or_dash(decision["amount"]) if decision.get("amount") else "–",
                "; ".join(f"{fund_codes.get(fund_id, fund_id)}: {vnd_or_dash(amount)}"
                          for fund_id, amount in sorted((decision.get("shares") or {}).items())) or "–",
                decision.get("explanation", ""),
            )
            for decision in decisions
        ]
        return html_table(
            [_("Hạng"), pgettext("column", "Đề cử"), _("Mã hồ sơ"), _("Kết quả"), _("Số tiền"), _("Phần chi theo quỹ"), _("Giải thích")],
            rows,
        )

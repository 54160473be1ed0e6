"""The public statement pages (sao kê): a campaign's, and a unit's year; their CSV and PDF.

Thin: read the search, ask `donations.statement` for the cached summary and one page of lines,
render; the page's own links are served from the cache of rendered pages (`page_cache`). Whatever a visitor types (an amount, a date, a reference, a page cursor), a bad value
gives a message in their language on a normal page, never an error page.
"""

from __future__ import annotations

import datetime
import tempfile

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign
from donations import statement as statements
from fundmgr.core.exporting import write_csv, write_pdf
from fundmgr.core.money import AmountError, parse_vnd
from fundmgr.orgs.models import OrgUnit
from fundmgr.security import rate_limit

from . import page_cache

DOWNLOAD_PER_IP_DEFAULT = "10/m"
# A PDF is laid out in memory (`fundmgr.core.pdf_report`): past this many lines, the visitor is
# asked to narrow the search or take the CSV, which streams any number of lines.
PDF_MAX_LINES = 2000
FIRST_YEAR = 2000


class StatementSearchForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Số tiền"), required=False, max_length=40)
    day = forms.CharField(label=gettext_lazy("Ngày (dd/mm/yyyy)"), required=False, max_length=20)
    reference = forms.CharField(
        label=gettext_lazy("Mã giao dịch hoặc số phiếu thu"), required=False, max_length=statements.REFERENCE_SEARCH_MAX,
        help_text=gettext_lazy("4 ký tự cuối của mã giao dịch ngân hàng, hoặc số phiếu thu."),
    )

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            return parse_vnd(text)
        except AmountError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_day(self):
        text = self.cleaned_data["day"].strip()
        if not text:
            return None
        try:
            return datetime.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            raise forms.ValidationError(
                _("Ngày “%(value)s” không đúng dạng ngày/tháng/năm, ví dụ 17/02/2026.") % {"value": text}, code="invalid"
            ) from None

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()


def _search(request) -> tuple[StatementSearchForm, statements.StatementSearch]:
    """The visitor's search; a field that does not read keeps its message and searches nothing."""
    form = StatementSearchForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    search = statements.StatementSearch(
        amount=data.get("amount"), day=data.get("day"), reference=data.get("reference", ""),
    )
    return form, search


def _cached(request, render):
    """The statement page from the cache of rendered pages (`page_cache`), else `render(extra)`;
    only the page's own links (page 1, a cursor; no search, no download) are cached."""
    return page_cache.cached_page(
        request, render,
        cacheable=page_cache.own_link(request, after=page_cache.STATEMENT_CURSOR, before=page_cache.STATEMENT_CURSOR),
    )


def _statement(request, scope: statements.StatementScope, context: dict, *, file_name: str):
    """(the response, whether it may be cached)."""
    form, search = _search(request)
    summary = statements.statement_summary(scope)
    download = request.GET.get("download", "")
    if download in ("csv", "pdf"):
        response = _download(request, scope, summary, search, download, file_name=file_name, title=context["title"])
        if isinstance(response, HttpResponse | FileResponse):
            return response, False
        context["download_message"] = response
    messages = []
    after = before = None
    if request.GET.get("after"):
        after = statements.cursor_parse(request.GET["after"])
    elif request.GET.get("before"):
        before = statements.cursor_parse(request.GET["before"])
    if (request.GET.get("after") and after is None) or (request.GET.get("before") and before is None):
        messages.append(_("Liên kết trang không hợp lệ; đây là trang đầu của bảng kê."))
    page = statements.statement_page(scope, summary, search=search, after=after, before=before)
    query = request.GET.copy()
    for name in ("after", "before", "download"):
        query.pop(name, None)
    context.update({
        "scope": scope, "summary": summary, "page": page, "form": form, "messages_list": messages,
        "search_query": query.urlencode(), "searching": search.active,
    })
    # Sums still being recomputed after a posting are the previous version's: shown, not stored.
    return render(request, "public/statement.html", context), summary.current


def _download(request, scope, summary, search, file_format: str, *, file_name: str, title: str):
    """The file, or a message (str) that says why not."""
    rate = getattr(settings, "STATEMENT_DOWNLOAD_RATE_LIMIT_PER_IP", DOWNLOAD_PER_IP_DEFAULT)
    if not rate_limit.hit("statement-download-ip", rate_limit.client_ip(request), rate):
        return _("Bạn đã tải quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.")
    if file_format == "pdf" and statements.statement_lines_count(scope, search, limit=PDF_MAX_LINES) > PDF_MAX_LINES:
        return _(
            "Bảng kê có hơn %(count)s dòng thu: quá dài cho một tệp PDF. Hãy tìm theo ngày, "
            "hoặc tải tệp CSV."
        ) % {"count": f"{PDF_MAX_LINES:,}".replace(",", ".")}
    rows = statements.statement_rows(
        summary, statements.statement_lines_all(scope, search), date_from=summary.date_from, date_to=scope.date_to,
    )
    target = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # FileResponse closes it
    if file_format == "csv":
        write_csv(statements.STATEMENT_COLUMNS, rows, target)
        content_type = "text/csv; charset=utf-8"
    else:
        write_pdf(statements.STATEMENT_COLUMNS, rows, target, title=title)
        content_type = "application/pdf"
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=f"{file_name}.{file_format}", content_type=content_type)


@require_http_methods(["GET", "HEAD"])
def campaign_statement(request, slug):
    return _cached(request, lambda extra: _campaign_statement(request, slug, extra))


def _campaign_statement(request, slug, extra_context: dict):
    campaign = (
        Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("unit")
        .annotate(**statements.version_annotations()).filter(slug=slug).first()
    )
    if campaign is None:
        raise Http404
    scope = statements.campaign_scope(campaign, today=timezone.localdate())
    title = _("Sao kê thu chi – %(name)s") % {"name": campaign.name}
    return _statement(
        request, scope, {"title": title, "campaign": campaign, "unit": campaign.unit, **extra_context},
        file_name=f"sao-ke-{campaign.slug}",
    )


@require_http_methods(["GET", "HEAD"])
def unit_statement(request, code, year):
    return _cached(request, lambda extra: _unit_statement(request, code, year, extra))


def _unit_statement(request, code, year, extra_context: dict):
    today = timezone.localdate()
    if not FIRST_YEAR <= year <= today.year:
        raise Http404
    unit = OrgUnit.objects.annotate(**statements.version_annotations()).filter(code=code).first()
    if unit is None:
        raise Http404
    scope = statements.unit_year_scope(unit, year)
    title = _("Sao kê thu chi năm %(year)s – %(unit)s") % {"year": year, "unit": unit.name}
    return _statement(
        request, scope, {"title": title, "unit": unit, "year": year,
                         "years": [y for y in (year - 1, year + 1) if FIRST_YEAR <= y <= today.year], **extra_context},
        file_name=f"sao-ke-{unit.code.lower()}-{year}",
    )

"""The public pages: the list of open campaigns, a campaign's progress and honor roll, the pledge
form and the pledge confirmation (with its VietQR code).

The form view is thin: rate limits, the form's validation, one call to `pledge_create`, and a
303 redirect to the confirmation page, so a reload of that page never sends the form again.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign
from donations import progress as selectors
from donations import selectors as donation_selectors
from donations.models import HonorRollRemovalRequest, Pledge
from donations.services import honor_roll_removal_request, pledge_create
from fundmgr.core.money import format_vnd, vnd_in_words
from fundmgr.core.vietqr import qr_svg, transfer_memo, vietqr_payload
from fundmgr.security import rate_limit

from . import page_cache
from .charts import received_chart_svg
from .forms import PledgeForm
from .gift_proofs import gift_proofs, latest_checkpoint

PER_IP_DEFAULT = "10/m"
PER_EMAIL_DEFAULT = "5/h"
# The confirmation page answers to whoever holds the reference: a donor comes back a few times,
# someone guessing references (5 characters of 31) tries many. Per client address, per minute.
DETAIL_PER_IP_DEFAULT = "30/m"
REMOVAL_PER_IP_DEFAULT = "10/m"


def _rate(name: str, default: str) -> str:
    return getattr(settings, name, default)


def _render_form(request, campaign, form, status=200):
    return render(request, "public/pledge_form.html", {"campaign": campaign, "form": form}, status=status)


def _too_many(request, campaign, form, *, retry_after: int):
    response = _render_form(request, campaign, form, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pledge_form(request, slug):
    # With its unit (the pledge's donor and audit rows are the unit's) and its default fund (the
    # form's usual choice), read in the same query.
    campaign = campaign_selectors.campaign_public(slug)
    if campaign is None:
        raise Http404
    if campaign.status != Campaign.Status.OPEN:
        return render(
            request, "public/pledge_closed.html", {"campaign": campaign},
            status=409 if request.method == "POST" else 200,
        )
    if request.method != "POST":
        initial = {}
        preset = request.GET.get("amount", "")
        if preset.isdigit() and len(preset) <= 13:
            initial["amount"] = format_vnd(int(preset)).removesuffix("\u00a0₫")
        return _render_form(request, campaign, PledgeForm(campaign=campaign, initial=initial))

    form = PledgeForm(request.POST, campaign=campaign)
    if not rate_limit.hit("pledge-ip", rate_limit.client_ip(request), _rate("PLEDGE_RATE_LIMIT_PER_IP", PER_IP_DEFAULT)):
        form.full_clean()  # add_error needs a cleaned form; the page keeps what the donor typed
        form.add_error(None, ValidationError(
            _("Bạn đã gửi quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi gửi lại."), code="rate_ip"
        ))
        return _too_many(request, campaign, form, retry_after=60)
    if not form.is_valid():
        form.renew_guards()
        return _render_form(request, campaign, form, status=400)
    email = form.cleaned_data["email"]
    if email and not rate_limit.hit("pledge-email", email, _rate("PLEDGE_RATE_LIMIT_PER_EMAIL", PER_EMAIL_DEFAULT)):
        form.add_error("email", ValidationError(
            _("Địa chỉ e-mail này đã gửi quá nhiều cam kết trong một giờ. Vui lòng thử lại sau."), code="rate_email"
        ))
        return _too_many(request, campaign, form, retry_after=3600)
    try:
        pledge, _created = pledge_create(campaign=campaign, channel=Pledge.Channel.FORM, **form.service_arguments())
    except ValidationError as error:
        form.add_service_errors(error)
        return _render_form(request, campaign, form, status=400)
    response = redirect("public:pledge-detail", reference=pledge.reference)
    response.status_code = 303  # "see other": the browser GETs the confirmation, a reload never re-POSTs
    return response


def _address_limited(request, bucket: str, setting: str, default: str):
    """The 429 page when this address has gone past the rate `setting` (else `default`), else None."""
    if rate_limit.hit(bucket, rate_limit.client_ip(request), _rate(setting, default)):
        return None
    response = render(request, "429.html", {"retry_after_seconds": 60}, status=429)
    response["Retry-After"] = "60"
    return response


def _reference_guesses_limited(request):
    """The 429 page when this address has asked for too many pledge references, else None.

    Counted before the lookup: a guess that finds nothing costs as much as one that finds a
    pledge. The confirmation page and the "check my gift" page share the count: both answer to
    whoever holds the reference."""
    return _address_limited(request, "pledge-detail-ip", "PLEDGE_DETAIL_RATE_LIMIT_PER_IP", DETAIL_PER_IP_DEFAULT)


def _public_pledge(reference: str, *related: str) -> Pledge:
    pledge = get_object_or_404(Pledge.objects.select_related("campaign", *related), reference=reference)
    if pledge.campaign.status == Campaign.Status.DRAFT:
        raise Http404
    return pledge


@never_cache
@require_http_methods(["GET", "HEAD"])
def pledge_detail(request, reference):
    if limited := _reference_guesses_limited(request):
        return limited
    pledge = _public_pledge(reference, "fund", "honor_roll_removal")
    campaign = pledge.campaign
    installments = list(pledge.installments.all())
    paid = donation_selectors.pledge_paid(pledge)
    payable = pledge.status in donation_selectors.OPEN_STATUSES
    due = donation_selectors.pledge_amount_due_next(pledge, installments, paid) if payable else 0
    memo = transfer_memo(pledge.reference)
    context = {
        "pledge": pledge,
        "campaign": campaign,
        "installments": installments if len(installments) > 1 else [],
        "amount_display": format_vnd(pledge.amount),
        "amount_words": vnd_in_words(pledge.amount),
        "paid": paid,
        "paid_display": format_vnd(paid),
        "due": due,
        "due_display": format_vnd(due) if due else "",
        "memo": memo,
    }
    try:
        context["honor_roll_removal"] = pledge.honor_roll_removal  # joined above: no query
    except HonorRollRemovalRequest.DoesNotExist:
        context["honor_roll_removal"] = None
    if due:
        payload = vietqr_payload(
            bank_bin=campaign.bank_bin, account_number=campaign.bank_account_number, amount=due, memo=memo
        )
        context["qr_payload"] = payload
        context["qr_svg"] = qr_svg(payload, title=_("Mã VietQR chuyển khoản %(amount)s") % {"amount": format_vnd(due)})
    response = render(request, "public/pledge_detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def pledge_verify(request, reference):
    """"Check my gift": the journal entry of each payment received on the pledge, and its inclusion
    proof against the latest published checkpoint, with the command that checks it."""
    if limited := _reference_guesses_limited(request):
        return limited
    pledge = _public_pledge(reference)
    checkpoint = latest_checkpoint()
    context = {
        "pledge": pledge,
        "campaign": pledge.campaign,
        "gifts": gift_proofs(pledge, checkpoint),
        "checkpoint": checkpoint,
        "script_url": request.build_absolute_uri(reverse("transparency:verify-script")),
    }
    response = render(request, "public/pledge_verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["POST"])
def honor_roll_removal(request, reference):
    """The donor asks, from their own pledge page, that their name leave the public pages.

    Whoever holds the reference may ask (it is the donor's bearer secret); the request is a new
    row that hides the name at once, and asking again adds nothing (`honor_roll_removal_request`).
    CSRF protects the form (the middleware), and the rate limit counts before the lookup, as on
    the pledge page, so a guesser pays for every reference tried.
    """
    if limited := _address_limited(
        request, "honor-roll-removal-ip", "HONOR_ROLL_REMOVAL_RATE_LIMIT_PER_IP", REMOVAL_PER_IP_DEFAULT
    ):
        return limited
    pledge = _public_pledge(reference)
    honor_roll_removal_request(pledge=pledge)
    response = redirect(f"{reverse('public:pledge-detail', args=[pledge.reference])}?removal=1#bang-vang")
    response.status_code = 303
    return response


@require_http_methods(["GET", "HEAD"])
def campaign_list(request):
    campaigns = list(selectors.open_campaigns())  # one query, totals included
    return render(
        request,
        "public/campaign_list.html",
        {"campaigns": [(campaign, selectors.campaign_progress(campaign)) for campaign in campaigns]},
    )


def _page_number(request) -> int:
    """`?page=` of the honor roll, from 1. What is not a number ("", "abc", "-1", "²") is page 1,
    and so is "0"; a number past the end of the roll, however large, finds no page (404)."""
    value = request.GET.get("page", "")
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > 9:  # no roll is that long; and int() of a huge string is slow, or refused
        return selectors.HONOR_ROLL_MAX_PAGE + 1
    return max(int(value), 1)


@require_http_methods(["GET", "HEAD"])
def campaign_detail(request, slug):
    """The campaign's progress, by fund and by day, and a page of its honor roll: from the cache of
    rendered pages (`page_cache`) between two changes of its figures, else from the running totals."""
    return page_cache.cached_page(
        request, lambda extra: (_campaign_detail(request, slug, extra), True),
        cacheable=page_cache.own_link(request, page=page_cache.HONOR_ROLL_PAGE),
    )


def _campaign_detail(request, slug, extra_context: dict):
    campaign = selectors.public_campaign(slug)
    if campaign is None:
        raise Http404
    honor_roll = selectors.honor_roll(campaign, page=_page_number(request))
    if honor_roll is None:
        raise Http404  # a page of the honor roll past its end
    days = selectors.received_by_day(campaign)
    today = timezone.localdate()
    return render(
        request,
        "public/campaign_detail.html",
        {
            "campaign": campaign,
            "is_open": campaign.status == Campaign.Status.OPEN,
            "progress": selectors.campaign_progress(campaign),
            "funds": selectors.progress_by_fund(campaign),
            "chart": received_chart_svg(days, start=campaign.starts_on, end=min(campaign.ends_on, today)),
            "days_with_money": days,
            "honor_roll": honor_roll,
            **extra_context,
        },
    )

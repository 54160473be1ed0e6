"""Writes on campaigns: saving one's details, opening and closing it to pledges.

A campaign opens from a draft (or reopens after closing, e.g. when its end date was extended)
and closes when it is open. Each change locks the campaign row, so two treasurers pressing the
button at once end with one transition, and refuses with a ValidationError otherwise. Every
write leaves an audit row in its transaction (its bank account is where donors send money).

Who may write: the actor must hold the money capability in the campaign's unit (and, when a
campaign moves, in the unit it leaves), checked here by `access_units` whoever calls.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields
from fundmgr.core.lunar import can_chi, lunar_year_of, tet_date
from fundmgr.core.page_version import public_pages_changed
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

from .models import Campaign

logger = logging.getLogger(__name__)


# A Tết khuyến học campaign opens about six weeks before Tết and runs to the eve of the next one.
WEEKS_BEFORE_TET = 6


def campaign_defaults(*, today: datetime.date) -> dict:
    """What a new campaign form starts with: the coming Tết's lunar year, its Can-Chi name in the
    campaign's name, and the dates around it (a treasurer changes what differs)."""
    year = lunar_year_of(today)
    if today >= tet_date(year) - datetime.timedelta(weeks=WEEKS_BEFORE_TET):
        year += 1  # this Tết's campaign is under way or over: the next one is being prepared
    starts_on = max(today, tet_date(year) - datetime.timedelta(weeks=WEEKS_BEFORE_TET))
    return {
        "lunar_year": year,
        # A record's name, in Vietnamese whatever language the treasurer reads the admin in.
        "name": f"Tết khuyến học Xuân {can_chi(year)} {year}",
        "starts_on": starts_on,
        "ends_on": tet_date(year + 1) - datetime.timedelta(days=1),
    }


# Everything the admin form edits; the status changes only through campaign_open / campaign_close.
DETAIL_FIELDS = [
    "name", "slug", "unit", "lunar_year", "reference_prefix", "description", "ceremony_date", "starts_on", "ends_on",
    "goal", "default_fund", "bank_bin", "bank_name", "bank_account_number", "bank_account_name",
]


def _fund_ids(campaign: Campaign) -> list[int]:
    return sorted(campaign.funds.values_list("pk", flat=True))


@transaction.atomic
def campaign_save(*, campaign: Campaign, funds=None, by=None) -> Campaign:
    """Create `campaign`, or save the changes made to its details, with its funds when given.

    The caller (the admin form) has validated the fields. The status is never saved here: a new
    campaign starts as it is given (a draft from the admin), an existing one keeps its status.
    """
    public_pages_changed()  # its name, goal, dates, funds on the public pages
    if campaign.pk is None:
        access_units(by, [campaign.unit], action=Action.ADD, domain=Domain.MONEY)
        campaign.save()
        if funds is not None:
            campaign.funds.set(funds)
        audit_create(campaign, [*DETAIL_FIELDS, "status"], actor=by, extra={"funds": _fund_ids(campaign)})
        return campaign
    stored = _locked(campaign)
    access_units(by, [stored.unit, campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    before = {**audit_fields(stored, DETAIL_FIELDS), "funds": _fund_ids(stored)}
    campaign.status = stored.status
    campaign.save(update_fields=DETAIL_FIELDS)
    if funds is not None:
        campaign.funds.set(funds)
    after = {**audit_fields(campaign, DETAIL_FIELDS), "funds": _fund_ids(campaign)}
    audit_change(campaign, before, after=after, actor=by)
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _open_errors(campaign: Campaign) -> list[ValidationError]:
    errors = []
    if not campaign.funds.filter(pk=campaign.default_fund_id).exists():
        errors.append(
            ValidationError(_("Quỹ mặc định phải là một trong các quỹ nhận của chiến dịch."), code="default_fund")
        )
    if campaign.funds.filter(is_active=False).exists():
        errors.append(ValidationError(_("Chiến dịch có quỹ đã ngừng hoạt động."), code="inactive_fund"))
    if not (campaign.bank_bin.isdigit() and len(campaign.bank_bin) == 6):
        errors.append(ValidationError(_("Mã BIN ngân hàng phải gồm 6 chữ số."), code="bank_bin"))
    if not campaign.bank_account_number.isalnum():
        errors.append(ValidationError(_("Số tài khoản chỉ gồm chữ số và chữ cái."), code="bank_account"))
    return errors


def _transition(campaign: Campaign, *, to: str, by) -> Campaign:
    """Move the locked `campaign` to status `to`, with its audit row and a log line."""
    before = {"status": campaign.status}
    public_pages_changed()  # a closed campaign's page no longer invites pledges
    campaign.status = to
    campaign.save(update_fields=["status"])
    audit_change(campaign, before, action=AuditEvent.Action.TRANSITION, actor=by)
    logger.info("campaign %s: campaign=%s by=%s", to, campaign.pk, getattr(by, "pk", None))
    return campaign


def _locked_for_change(campaign: Campaign, *, by) -> Campaign:
    campaign = _locked(campaign)
    access_units(by, [campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    return campaign


@transaction.atomic
def campaign_open(*, campaign: Campaign, by=None) -> Campaign:
    """Open `campaign` to pledges; it needs its default fund among its funds and a bank account."""
    campaign = _locked_for_change(campaign, by=by)
    if campaign.status == Campaign.Status.OPEN:
        raise ValidationError(_("Chiến dịch đã đang nhận ủng hộ."), code="already_open")
    errors = _open_errors(campaign)
    if errors:
        raise ValidationError(errors)
    return _transition(campaign, to=Campaign.Status.OPEN, by=by)


@transaction.atomic
def campaign_close(*, campaign: Campaign, by=None) -> Campaign:
    """Stop taking pledges from the public; payments of existing pledges are still recorded."""
    campaign = _locked_for_change(campaign, by=by)
    if campaign.status != Campaign.Status.OPEN:
        raise ValidationError(_("Chỉ đóng được chiến dịch đang nhận ủng hộ."), code="not_open")
    return _transition(campaign, to=Campaign.Status.CLOSED, by=by)

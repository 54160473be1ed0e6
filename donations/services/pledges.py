"""Pledges: creating one (public form, admin, API, import), confirming a suggested donor, and closing
one (cancel, write off, confirm)."""

from __future__ import annotations

import calendar
import datetime
import logging
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from donations import emails, selectors
from donations.models import Donor, Pledge, PledgeEmail, PledgeInstallment
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create_unsaved, audit_fields, audit_record, audit_save
from fundmgr.core import outbox, sql_rows
from fundmgr.core.bulk import row_insert, rows_insert
from fundmgr.core.money import AmountError, amount_check, pledge_minimum
from fundmgr.idempotency.services import idempotent_create, key_clean, scope_of
from fundmgr.ledger.models import Fund
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

from .donors import _donor_create, _donor_find_or_create, donor_fields_clean, donor_merge, donor_suggestion
from .tallies import public_amount, tally_new_donor_pledged, tally_pledge_moved

logger = logging.getLogger(__name__)

MAX_INSTALLMENTS = 12
# No 0/O, 1/I/L: a donor copies the code by hand into a bank-transfer memo.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5
_REFERENCE_ATTEMPTS = 20

PLEDGE_AUDIT_FIELDS = [
    "reference", "donor", "campaign", "fund", "amount", "channel", "status", "anonymous", "list_on_honor_roll",
]
PLEDGE_CLOSE_FIELDS = ["status", "closed_reason", "closed_by", "closed_at"]


CLOSED_STATUSES = (Pledge.Status.CANCELLED, Pledge.Status.WRITTEN_OFF)


# --- pledges ----------------------------------------------------------------------------------


def reference_generate(prefix: str) -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _position in range(REFERENCE_LENGTH))
    return f"{prefix}-{code}"


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def installment_schedule(*, amount: int, installments: int, start: datetime.date) -> list[tuple[int, datetime.date, int]]:
    """`(number, due_on, amount)` for each installment: due monthly, one month after `start`.

    Each installment is `amount // installments` whole dong; the last one absorbs the remainder,
    so the installments always add up to the pledge.
    """
    share = amount // installments
    schedule = []
    for number in range(1, installments + 1):
        part = share if number < installments else amount - share * (installments - 1)
        schedule.append((number, _add_months(start, number), part))
    return schedule


def amount_errors(amount, *, minimum: int = 1) -> list[ValidationError]:
    # The bounds are the kernel's (fundmgr.core.money.amount_check), the same for every entry point.
    try:
        amount_check(amount, minimum=minimum)
    except AmountError as error:
        return [ValidationError(error.message, code=f"amount_{error.code}")]
    return []


def _pledge_errors(*, campaign: Campaign, fund: Fund, amount, installments, channel, message, idempotency_key, today):
    errors: dict[str, list[ValidationError]] = {}

    def add(field, message_text, code):
        errors.setdefault(field, []).append(ValidationError(message_text, code=code))

    if channel not in Pledge.Channel.values:
        add("channel", _("Kênh tiếp nhận không hợp lệ."), "invalid_channel")
    if channel == Pledge.Channel.FORM:
        # Treasurers may record a pledge after the campaign (a late cheque); the public may not.
        if campaign.status != Campaign.Status.OPEN:
            add(None, _("Chiến dịch hiện không nhận ủng hộ."), "campaign_not_open")
        elif not (campaign.starts_on <= today <= campaign.ends_on):
            add(
                None,
                _("Chiến dịch chỉ nhận ủng hộ từ %(start)s đến %(end)s.")
                % {"start": f"{campaign.starts_on:%d/%m/%Y}", "end": f"{campaign.ends_on:%d/%m/%Y}"},
                "campaign_outside_dates",
            )
    fund_active = _fund_active_in_campaign(campaign=campaign, fund=fund)
    if fund_active is None:
        add("fund", _("Quỹ này không nhận ủng hộ trong chiến dịch."), "fund_not_in_campaign")
    elif not fund_active:
        # A fund closed after the campaign opened: money already promised to it is still paid in,
        # but nobody (form, API, admin, import) promises it more.
        add("fund", _("Quỹ này đã ngừng hoạt động: không nhận cam kết mới."), "fund_inactive")
    for error in amount_errors(amount, minimum=pledge_minimum()):
        errors.setdefault("amount", []).append(error)
    if not isinstance(installments, int) or isinstance(installments, bool) or not 1 <= installments <= MAX_INSTALLMENTS:
        add("installments", _("Số đợt nộp phải từ 1 đến 12."), "invalid_installments")
    elif "amount" not in errors and amount < installments:
        add("installments", _("Số tiền quá nhỏ để chia thành %(count)d đợt.") % {"count": installments}, "amount_too_small_for_installments")
    if len(message or "") > 1000:
        add("message", _("Lời nhắn dài quá 1000 ký tự."), "max_length")
    return errors


def _fund_active_in_campaign(*, campaign: Campaign, fund: Fund) -> bool | None:
    """The fund's `is_active` when it is one of the campaign's funds, else None.

    Read on every pledge: as SQL (`sql_rows`: the models' own names, values bound) it costs a
    fraction of the ORM's compilation of the same join."""
    link = Campaign.funds.through
    sql = (
        f"SELECT {sql_rows.column(Fund, 'fund', 'is_active')} FROM {sql_rows.table(Fund, 'fund')} "
        f"INNER JOIN {sql_rows.table(link, 'link')} "
        f"ON {sql_rows.column(link, 'link', 'fund')} = {sql_rows.column(Fund, 'fund', 'id')} "
        f"WHERE {sql_rows.column(link, 'link', 'campaign')} = %s AND {sql_rows.column(Fund, 'fund', 'id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, fund.pk])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def _queue_pledge_confirmation(pledge_pk: int) -> None:
    """Queue the confirmation e-mail; a broker that is down is logged, never raised into the request."""
    outbox.enqueue_jobs([PledgeEmail(pledge_id=pledge_pk, kind=PledgeEmail.Kind.CONFIRMATION)])


def pledge_create(
    *,
    campaign: Campaign,
    donor_name: str,
    donor_kind: str,
    email: str = "",
    phone: str = "",
    tax_code: str = "",
    address: str = "",
    amount: int,
    fund: Fund | None = None,
    installments: int = 1,
    anonymous: bool = False,
    list_on_honor_roll: bool = False,
    message: str = "",
    channel: str,
    idempotency_key: str | None = None,
    created_by=None,
    email_consent: bool = False,
) -> tuple[Pledge, bool]:
    """Create a pledge (and its installments); `(pledge, created)`.

    `fund` defaults to the campaign's default fund. The public form (channel `form`) is anonymous:
    its pledge gets a new donor record holding what was typed, and an existing donor who looks
    the same is only suggested (`suggested_donor`). Other channels are staff, who must hold the
    money capability in the campaign's and the fund's units; their donor is found by contacts.
    A repeat of `idempotency_key` (in this channel and the campaign's unit) with the same request
    returns the first pledge and False; with another request it is refused.
    """
    idempotency_key = key_clean(idempotency_key)
    arguments = {
        "campaign": campaign, "donor_name": donor_name, "donor_kind": donor_kind, "email": email, "phone": phone,
        "tax_code": tax_code, "address": address, "amount": amount, "fund": fund, "installments": installments,
        "anonymous": anonymous, "list_on_honor_roll": list_on_honor_roll, "message": message, "channel": channel,
        "idempotency_key": idempotency_key, "created_by": created_by, "email_consent": email_consent,
    }
    # A reference code drawn twice (1 in 28 million) fails the pledge's INSERT: the whole
    # transaction is rolled back and made again with another code. Retrying the transaction, not
    # a savepoint around the INSERT, keeps two statements off every pledge for a rare event.
    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference = reference_generate(campaign.reference_prefix)
        try:
            return _pledge_create(**arguments, reference=reference)
        except IntegrityError:
            if not Pledge.objects.filter(reference=reference).exists():
                raise
            # a reference collision: draw another code
    raise RuntimeError(f"no free pledge reference for prefix {campaign.reference_prefix!r}")


def _pledge_create(
    *, campaign, donor_name, donor_kind, email, phone, tax_code, address, amount, fund, installments, anonymous,
    list_on_honor_roll, message, channel, idempotency_key, created_by, email_consent, reference,
) -> tuple[Pledge, bool]:
    with transaction.atomic():
        fund = fund or campaign.default_fund
        if channel != Pledge.Channel.FORM:
            access_units(created_by, [campaign.unit, fund.unit], action=Action.ADD, domain=Domain.MONEY)
        today = timezone.localdate()
        errors = _pledge_errors(
            campaign=campaign, fund=fund, amount=amount, installments=installments, channel=channel,
            message=message, idempotency_key=idempotency_key, today=today,
        )
        try:
            donor_fields = donor_fields_clean(
                kind=donor_kind, name=donor_name, email=email, phone=phone, tax_code=tax_code, address=address
            )
        except ValidationError as error:
            donor_fields = None
            for field, messages in error.error_dict.items():
                key = {"name": "donor_name", "kind": "donor_kind"}.get(field, field)
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError({field or "__all__": messages for field, messages in errors.items()})
        request = {
            "campaign": campaign.pk, "fund": fund.pk, "amount": amount, "installments": installments,
            "donor": donor_fields, "anonymous": bool(anonymous), "list_on_honor_roll": bool(list_on_honor_roll),
            "email_consent": bool(email_consent), "message": message or "",
        }

        def create() -> Pledge:
            return _pledge_insert(
                campaign=campaign, reference=reference, fund=fund, amount=amount, installments=installments,
                anonymous=anonymous, list_on_honor_roll=list_on_honor_roll, message=message or "",
                channel=channel, idempotency_key=idempotency_key, created_by=created_by,
                donor_fields=donor_fields, email_consent=email_consent, today=today,
            )

        pledge, created = idempotent_create(
            scope=scope_of(channel, campaign.unit_id), key=idempotency_key, content=request, model=Pledge,
            create=create,
        )
        if created:
            emails.pledge_confirmation_job_create(pledge)  # its job row, in this transaction
            transaction.on_commit(lambda: _queue_pledge_confirmation(pledge.pk))
        return pledge, created


def _pledge_insert(
    *, campaign, fund, amount, installments, anonymous, list_on_honor_roll, message, channel,
    idempotency_key, created_by, reference, donor_fields, email_consent, today,
) -> Pledge:
    suggested_donor = None
    audit_events = []  # the new donor's row and the pledge's, written together (one INSERT)
    if channel == Pledge.Channel.FORM:
        # Anonymous: a donor record of its own, whatever contacts it shares with existing donors.
        suggested_donor = donor_suggestion(
            unit=campaign.unit, name=donor_fields["name"], email=donor_fields["email"],
            phone=donor_fields["phone"], tax_code=donor_fields["tax_code"],
        )
        donor = _donor_create(
            unit=campaign.unit, cleaned=donor_fields, honor_roll_consent=bool(list_on_honor_roll),
            email_consent=bool(email_consent), by=None, audit_events=audit_events,
        )
        donor_created = True
    else:
        donor, donor_created = _donor_find_or_create(
            unit=campaign.unit,
            **donor_fields,
            honor_roll_consent=bool(list_on_honor_roll),
            email_consent=bool(email_consent),
            by=created_by,
            audit_events=audit_events,
        )
    # One INSERT whose text is made once (`row_insert`), as for the donor, the installments and the e-mail job.
    pledge = row_insert(Pledge(
        reference=reference,
        donor=donor,
        suggested_donor=suggested_donor,
        campaign=campaign,
        fund=fund,
        amount=amount,
        channel=channel,
        anonymous=bool(anonymous),
        list_on_honor_roll=bool(list_on_honor_roll),
        message=message,
        idempotency_key=idempotency_key,
        created_by=created_by,
        contact_name=donor_fields["name"],
        contact_email=donor_fields["email"],
        contact_phone=donor_fields["phone"],
        contact_tax_code=donor_fields["tax_code"],
        contact_address=donor_fields["address"],
        # Recorded by the association itself (admin, API, import): confirmed at once, by its author.
        # What a visitor typed into the public form waits for a treasurer (`pledge_confirm`).
        confirmed_at=None if channel == Pledge.Channel.FORM else timezone.now(),
        confirmed_by=None if channel == Pledge.Channel.FORM else created_by,
    ))
    selectors.pledge_installments_known(pledge, rows_insert([
        PledgeInstallment(pledge=pledge, number=number, due_on=due_on, amount=part)
        for number, due_on, part in installment_schedule(amount=amount, installments=installments, start=today)
    ]))
    audit_events.append(
        audit_create_unsaved(pledge, PLEDGE_AUDIT_FIELDS, actor=created_by, extra={"installments": installments})
    )
    audit_save(audit_events)
    if pledge.confirmed_at is not None:
        # Recorded by the association: its amount counts in public at once. A form pledge counts
        # nothing until money arrives or a treasurer confirms it, so the form's path skips this.
        if donor_created:
            tally_new_donor_pledged(pledge=pledge)
        else:
            tally_pledge_moved(pledge=pledge, before=0, after=public_amount(pledge, 0))
    return pledge


@transaction.atomic
def pledge_donor_confirm(*, pledge: Pledge, by) -> Pledge:
    """A treasurer confirms that a public pledge is from its suggested donor: the pledge (and any
    payment on it) moves to that donor, whose own contacts and consents stay as they are."""
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign__unit", "donor").get(pk=pledge.pk)
    access_units(by, [pledge.campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    suggested = Donor.objects.filter(pk=pledge.suggested_donor_id).select_related("unit").first()
    if suggested is None:
        raise ValidationError(_("Cam kết này không có nhà hảo tâm nào được gợi ý."), code="no_suggestion")
    while suggested.merged_into_id is not None:
        suggested = suggested.merged_into
    if suggested.pk != pledge.donor_id:
        donor_merge(keep=suggested, merge=pledge.donor, by=by, copy_contacts=False)
    before = {"suggested_donor_id": pledge.suggested_donor_id}
    Pledge.objects.filter(pk=pledge.pk).update(suggested_donor=None)
    pledge.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.CHANGE, instance=pledge, actor=by, before=before,
        after={"suggested_donor_id": None, "donor_id": pledge.donor_id},
    )
    return pledge


def _close_errors(pledge: Pledge, reason: str, *, action: str) -> dict:
    errors: dict[str | None, list[ValidationError]] = {}
    if not reason:
        errors["reason"] = [ValidationError(_("Hãy ghi lý do."), code="reason_required")]
    elif len(reason) > 500:
        errors["reason"] = [ValidationError(_("Lý do dài quá 500 ký tự."), code="max_length")]
    if pledge.status == Pledge.Status.FULFILLED:
        errors[None] = [ValidationError(_("Cam kết đã nộp đủ: không thể hủy hoặc xóa nợ."), code="pledge_fulfilled")]
    elif pledge.status in CLOSED_STATUSES:
        errors[None] = [ValidationError(_("Cam kết đã được hủy hoặc xóa nợ trước đó."), code="pledge_closed")]
    elif action == "cancel" and pledge.payments.not_voided().exists():
        errors[None] = [ValidationError(
            _("Cam kết đã có khoản thu: không thể hủy, hãy xóa nợ phần còn lại."), code="pledge_has_payments"
        )]
    return errors


def _pledge_close(*, pledge: Pledge, reason: str, by, status: str, action: str) -> Pledge:
    # With its campaign (not locked), which gives the audit row its unit without another query.
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign__unit").get(pk=pledge.pk)
    access_units(by, [pledge.campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    reason = " ".join((reason or "").split())
    errors = _close_errors(pledge, reason, action=action)
    if errors:
        raise ValidationError({field or "__all__": messages for field, messages in errors.items()})
    before = audit_fields(pledge, PLEDGE_CLOSE_FIELDS)
    # A cancelled pledge (nothing paid on it) leaves the public figures; a written-off one stays.
    public_before = public_amount(pledge, 0) if status == Pledge.Status.CANCELLED else 0
    pledge.status = status
    pledge.closed_reason = reason
    pledge.closed_by = by
    pledge.closed_at = timezone.now()
    pledge.save(update_fields=["status", "closed_reason", "closed_by", "closed_at"])
    audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
    if public_before:
        tally_pledge_moved(pledge=pledge, before=public_before, after=0)
    return pledge


@transaction.atomic
def pledge_cancel(*, pledge: Pledge, reason: str, by) -> Pledge:
    """Cancel a pledge that nothing was paid on (made by mistake, withdrawn); a reason is required."""
    return _pledge_close(pledge=pledge, reason=reason, by=by, status=Pledge.Status.CANCELLED, action="cancel")


@transaction.atomic
def pledge_write_off(*, pledge: Pledge, reason: str, by) -> Pledge:
    """Give up collecting what is left of a pledge (payments made stay); a reason is required."""
    return _pledge_close(pledge=pledge, reason=reason, by=by, status=Pledge.Status.WRITTEN_OFF, action="write_off")


PLEDGE_CONFIRM_FIELDS = ["confirmed_at", "confirmed_by"]


@transaction.atomic
def pledge_confirm(*, pledge: Pledge, by) -> Pledge:
    """A treasurer vouches for a pledge typed into the public form: from now on its whole amount
    counts as pledged on the public pages (before, only the money received on it did).

    Only a treasurer (or unit admin) of the campaign's unit or a unit above it may. A cancelled or
    written-off pledge is not confirmed, nor one confirmed before.
    """
    # With its campaign and unit (not locked): the scope check and the audit row's unit.
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign__unit").get(pk=pledge.pk)
    if by is None:
        # A confirmation is a person vouching for the pledge: the system does not confirm.
        raise PermissionDenied(_("Chỉ thủ quỹ / kế toán của đơn vị nhận cam kết mới được xác nhận cam kết."))
    access_units(by, [pledge.campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    if pledge.confirmed_at is not None:
        raise ValidationError(
            _("Cam kết %(reference)s đã được xác nhận trước đó.") % {"reference": pledge.reference},
            code="pledge_already_confirmed",
        )
    if pledge.status in CLOSED_STATUSES:
        raise ValidationError(
            _("Cam kết %(reference)s đã hủy hoặc đã xóa nợ: không xác nhận.") % {"reference": pledge.reference},
            code="pledge_closed",
        )
    before = audit_fields(pledge, PLEDGE_CONFIRM_FIELDS)
    received = selectors.pledge_paid(pledge)  # under the pledge's lock, as payments read it
    public_before = public_amount(pledge, received)
    pledge.confirmed_at = timezone.now()
    pledge.confirmed_by = by
    pledge.save(update_fields=PLEDGE_CONFIRM_FIELDS)
    audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
    tally_pledge_moved(pledge=pledge, before=public_before, after=public_amount(pledge, received))
    return pledge



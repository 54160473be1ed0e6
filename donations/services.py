"""Every write of the donations app: donors, pledges, payments.

Each function takes keyword arguments only and runs in one database transaction. Refusals are
`django.core.exceptions.ValidationError` with Vietnamese messages (English in the catalogue),
keyed by field where a field is at fault, and nothing is written when one is raised.

Each create, change and state transition writes its audit row (`fundmgr.audit.services`) in that
same transaction, with the changed fields before and after (contacts masked); the actor is the
function's `by` / `created_by` / `recorded_by`, else the user of the request.

Who may write: each service checks, itself, that every record it touches lies in the actor's units
(`fundmgr.orgs.access.access_units`); callers do not repeat it. The public form is anonymous: it
creates a pledge and a donor record of its own, and never changes an existing donor.

Idempotency of `pledge_create` and `payment_record`: the public form, the admin, the API and
retried imports may send the same request twice, also at the same moment. The key is scoped to
the channel and unit that made it, and remembered with a fingerprint of the request
(`fundmgr.idempotency`): a repeat answers the first record, the same key with another body is
refused. The key's row is inserted first, so the loser of a race waits on the winner's row.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, CharField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.vn import mst

from campaigns.models import Campaign
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields, audit_record, audit_tag_transaction
from fundmgr.contacts import name_clean, name_normalize, phone_normalize
from fundmgr.dates import document_date_errors
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Fund
from fundmgr.idempotency.services import idempotent_create, key_clean, scope_of
from fundmgr.ledger.services import Line, entry_post, entry_reverse
from fundmgr.money import AmountError, amount_check, format_vnd, pledge_minimum
from fundmgr.orgs.access import access_units
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain

from . import emails, selectors
from .models import Donor, Payment, Pledge, PledgeEmail, PledgeInstallment

# The module, not its names: receipts.services imports this module too (receipt_void calls
# payment_void), and a module import resolves whichever of the two is imported first.
from .receipts import services as receipts_services

logger = logging.getLogger(__name__)

MAX_INSTALLMENTS = 12
# No 0/O, 1/I/L: a donor copies the code by hand into a bank-transfer memo.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5
_REFERENCE_ATTEMPTS = 20

# What the audit rows of a new donor, pledge and payment hold (contacts are masked by the audit).
DONOR_AUDIT_FIELDS = [
    "unit", "kind", "name", "email", "phone", "tax_code", "address", "honor_roll_consent", "email_consent",
]
DONOR_CONTACT_FIELDS = ("email", "phone", "tax_code", "address")
PLEDGE_AUDIT_FIELDS = [
    "reference", "donor", "campaign", "fund", "amount", "channel", "status", "anonymous", "list_on_honor_roll",
]
PAYMENT_AUDIT_FIELDS = [
    "donor", "pledge", "fund", "unit", "amount", "method", "received_on", "bank_reference", "journal_entry",
]
PLEDGE_CLOSE_FIELDS = ["status", "closed_reason", "closed_by", "closed_at"]
PAYMENT_VOID_FIELDS = ["voided_at", "void_reason", "voided_by", "void_entry"]


# --- normalisation --------------------------------------------------------------------------


def email_normalize(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": ValidationError(_("Địa chỉ e-mail không hợp lệ."), code="invalid_email")}
        ) from None
    return email


def tax_code_normalize(tax_code: str) -> str:
    """Digits only (10, or 13 for a branch), checked by its check digit; "" when empty."""
    tax_code = (tax_code or "").strip()
    if not tax_code:
        return ""
    try:
        return mst.validate(tax_code)
    except StdnumValidationError:
        raise ValidationError(
            {"tax_code": ValidationError(_("Mã số thuế không hợp lệ."), code="invalid_tax_code")}
        ) from None


# --- donors -----------------------------------------------------------------------------------


def donor_fields_clean(*, kind, name, email, phone, tax_code, address) -> dict:
    """The donor fields normalised (phone E.164, e-mail lower case, tax code digits), or ValidationError."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned = {}
    name = name_clean(name)  # a name of zero-width spaces is no name
    if not name:
        errors.setdefault("name", []).append(ValidationError(_("Vui lòng nhập họ tên hoặc tên đơn vị."), code="required"))
    elif len(name) > 200:
        errors.setdefault("name", []).append(ValidationError(_("Tên dài quá 200 ký tự."), code="max_length"))
    cleaned["name"] = name
    if kind not in Donor.Kind.values:
        errors.setdefault("kind", []).append(ValidationError(_("Loại nhà hảo tâm không hợp lệ."), code="invalid_kind"))
    cleaned["kind"] = kind
    for field, normalize, value in (
        ("email", email_normalize, email),
        ("phone", phone_normalize, phone),
        ("tax_code", tax_code_normalize, tax_code),
    ):
        try:
            cleaned[field] = normalize(value)
        except ValidationError as error:
            for key, messages in error.error_dict.items():
                errors.setdefault(key, []).extend(messages)
    address = " ".join((address or "").split())
    if len(address) > 300:
        errors.setdefault("address", []).append(ValidationError(_("Địa chỉ dài quá 300 ký tự."), code="max_length"))
    cleaned["address"] = address
    if errors:
        raise ValidationError(errors)
    return cleaned


def _donor_by_contacts(*, unit: OrgUnit, email: str, phone: str, tax_code: str) -> Donor | None:
    """The donor of `unit` with the same tax code, else e-mail, else phone (strongest key first)."""
    for field, value in (("tax_code", tax_code), ("email", email), ("phone", phone)):
        if not value:
            continue
        donor = (
            Donor.objects.filter(unit=unit, **{field: value}).select_related("merged_into").order_by("pk").first()
        )
        if donor is not None:
            # A merged donor lives on in the one it was merged into.
            while donor.merged_into_id is not None:
                donor = donor.merged_into
            return donor
    return None


def donor_suggestion(*, unit: OrgUnit, name: str, email: str, phone: str, tax_code: str) -> Donor | None:
    """The donor of `unit` that a public pledge may be from: the same name without diacritics and
    the same tax code, e-mail or phone. Only a suggestion: a treasurer confirms it (`pledge_donor_confirm`)."""
    donor = _donor_by_contacts(unit=unit, email=email, phone=phone, tax_code=tax_code)
    if donor is not None and donor.name_normalized == name_normalize(name):
        return donor
    return None


def _donor_create(*, unit: OrgUnit, cleaned: dict, honor_roll_consent: bool, email_consent: bool, by) -> Donor:
    now = timezone.now()
    donor = Donor.objects.create(
        unit=unit,
        kind=cleaned["kind"],
        name=cleaned["name"],
        name_normalized=name_normalize(cleaned["name"]),
        email=cleaned["email"],
        phone=cleaned["phone"],
        tax_code=cleaned["tax_code"],
        address=cleaned["address"],
        honor_roll_consent=honor_roll_consent,
        honor_roll_consent_at=now if honor_roll_consent else None,
        email_consent=email_consent,
        email_consent_at=now if email_consent else None,
    )
    audit_create(donor, DONOR_AUDIT_FIELDS, actor=by)
    return donor


@transaction.atomic
def donor_find_or_create(
    *,
    unit: OrgUnit,
    kind: str,
    name: str,
    email: str = "",
    phone: str = "",
    tax_code: str = "",
    address: str = "",
    honor_roll_consent: bool = False,
    email_consent: bool = False,
    by=None,
) -> Donor:
    """The donor of `unit` with the same tax code, e-mail or phone, or a new one; for staff only.

    Only contacts identify a donor: two people with the same name are two donors until a
    treasurer merges them (`selectors.donor_merge_candidates`, `donor_merge`). A found donor gets
    the contacts it lacked and the consents given now; consents are never withdrawn here.
    `by` is the person recording it, who must hold the money capability in `unit`. The public
    form does not come here: an anonymous caller never changes an existing donor.
    """
    access_units(by, [unit], action=Action.ADD, domain=Domain.MONEY)
    cleaned = donor_fields_clean(kind=kind, name=name, email=email, phone=phone, tax_code=tax_code, address=address)
    now = timezone.now()
    donor = _donor_by_contacts(unit=unit, email=cleaned["email"], phone=cleaned["phone"], tax_code=cleaned["tax_code"])
    if donor is None:
        return _donor_create(
            unit=unit, cleaned=cleaned, honor_roll_consent=honor_roll_consent, email_consent=email_consent, by=by
        )
    before = audit_fields(donor, [*DONOR_CONTACT_FIELDS, "honor_roll_consent", "email_consent"])
    changed = []
    for field in DONOR_CONTACT_FIELDS:
        if cleaned[field] and not getattr(donor, field):
            setattr(donor, field, cleaned[field])
            changed.append(field)
    if honor_roll_consent and not donor.honor_roll_consent:
        donor.honor_roll_consent, donor.honor_roll_consent_at = True, now
        changed += ["honor_roll_consent", "honor_roll_consent_at"]
    if email_consent and not donor.email_consent:
        donor.email_consent, donor.email_consent_at = True, now
        changed += ["email_consent", "email_consent_at"]
    if changed:
        donor.save(update_fields=changed)
        audit_change(donor, before, actor=by)
    return donor


@transaction.atomic
def donor_merge(*, keep: Donor, merge: Donor, by=None, copy_contacts: bool = True) -> Donor:
    """Move `merge`'s pledges and payments to `keep`; `merge` stays, pointing at `keep`.

    The merged row is kept (not deleted) so that receipts and journal entries that named it
    still lead somewhere, and `merged_into` records that the two were judged the same person.
    With `copy_contacts`, `keep` takes the contacts and consents it lacked from `merge`; without,
    it keeps only its own (the confirmation of a public pledge: what a stranger typed never
    becomes the address a donor's receipts go to).
    """
    access_units(by, [keep.unit, merge.unit], action=Action.CHANGE, domain=Domain.MONEY)
    if keep.pk == merge.pk:
        raise ValidationError(_("Không thể gộp một nhà hảo tâm vào chính mình."), code="merge_self")
    # Lock both rows in primary-key order so two merges of the same pair cannot deadlock.
    locked = {d.pk: d for d in Donor.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk]).order_by("pk")}
    keep, merge = locked[keep.pk], locked[merge.pk]
    if merge.merged_into_id is not None:
        raise ValidationError(_("Nhà hảo tâm này đã được gộp trước đó."), code="already_merged")
    if keep.merged_into_id is not None:
        raise ValidationError(_("Không thể gộp vào một nhà hảo tâm đã được gộp."), code="target_merged")
    if keep.unit_id != merge.unit_id:
        raise ValidationError(_("Chỉ gộp được nhà hảo tâm của cùng một đơn vị."), code="merge_other_unit")
    # Bulk updates: on PostgreSQL the audit trigger's rows for the moved pledges and payments
    # name the actor only when the transaction is tagged.
    audit_tag_transaction(actor=by)
    moved_pledges = sorted(Pledge.objects.filter(donor=merge).values_list("pk", flat=True))
    moved_payments = sorted(Payment.objects.filter(donor=merge).values_list("pk", flat=True))
    Pledge.objects.filter(donor=merge).update(donor=keep)
    Payment.objects.filter(donor=merge).update(donor=keep)
    keep_before = audit_fields(keep, [*DONOR_CONTACT_FIELDS, "honor_roll_consent", "email_consent"])
    changed = ["merged_into"]
    for field in DONOR_CONTACT_FIELDS:
        if copy_contacts and getattr(merge, field) and not getattr(keep, field):
            setattr(keep, field, getattr(merge, field))
            changed.append(field)
    for consent in ("honor_roll_consent", "email_consent"):
        if copy_contacts and getattr(merge, consent) and not getattr(keep, consent):
            setattr(keep, consent, True)
            setattr(keep, f"{consent}_at", getattr(merge, f"{consent}_at"))
            changed += [consent, f"{consent}_at"]
    if len(changed) > 1:
        keep.save(update_fields=changed[1:])
        audit_change(keep, keep_before, actor=by)
    merge.merged_into = keep
    merge.save(update_fields=["merged_into"])
    audit_record(
        action=AuditEvent.Action.CHANGE, instance=merge, actor=by, before={"merged_into_id": None},
        after={"merged_into_id": keep.pk, "pledges_moved": moved_pledges, "payments_moved": moved_payments},
    )
    return keep


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


def _amount_errors(amount, *, minimum: int = 1) -> list[ValidationError]:
    # The bounds are the kernel's (fundmgr.money.amount_check), the same for every entry point.
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
    if not campaign.funds.filter(pk=fund.pk).exists():
        add("fund", _("Quỹ này không nhận ủng hộ trong chiến dịch."), "fund_not_in_campaign")
    for error in _amount_errors(amount, minimum=pledge_minimum()):
        errors.setdefault("amount", []).append(error)
    if not isinstance(installments, int) or isinstance(installments, bool) or not 1 <= installments <= MAX_INSTALLMENTS:
        add("installments", _("Số đợt nộp phải từ 1 đến 12."), "invalid_installments")
    elif "amount" not in errors and amount < installments:
        add("installments", _("Số tiền quá nhỏ để chia thành %(count)d đợt.") % {"count": installments}, "amount_too_small_for_installments")
    if len(message or "") > 1000:
        add("message", _("Lời nhắn dài quá 1000 ký tự."), "max_length")
    return errors


def _queue_pledge_confirmation(pledge_pk: int) -> None:
    """Queue the confirmation e-mail; a broker that is down is logged, never raised into the request."""
    # Imported here: the tasks module imports this one.
    from . import tasks

    receipts_services.enqueue(tasks.pledge_confirmation_send, pledge_pk)


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
            return _pledge_insert_with_reference(
                campaign=campaign, fund=fund, amount=amount, installments=installments,
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


def _pledge_insert_with_reference(*, campaign, **arguments) -> Pledge:
    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference = reference_generate(campaign.reference_prefix)
        try:
            with transaction.atomic():
                return _pledge_insert(campaign=campaign, reference=reference, **arguments)
        except IntegrityError:
            if not Pledge.objects.filter(reference=reference).exists():
                raise
            # a reference collision: draw another code
    raise RuntimeError(f"no free pledge reference for prefix {campaign.reference_prefix!r}")


def _pledge_insert(
    *, campaign, fund, amount, installments, anonymous, list_on_honor_roll, message, channel,
    idempotency_key, created_by, reference, donor_fields, email_consent, today,
) -> Pledge:
    suggested_donor = None
    if channel == Pledge.Channel.FORM:
        # Anonymous: a donor record of its own, whatever contacts it shares with existing donors.
        suggested_donor = donor_suggestion(
            unit=campaign.unit, name=donor_fields["name"], email=donor_fields["email"],
            phone=donor_fields["phone"], tax_code=donor_fields["tax_code"],
        )
        donor = _donor_create(
            unit=campaign.unit, cleaned=donor_fields, honor_roll_consent=bool(list_on_honor_roll),
            email_consent=bool(email_consent), by=None,
        )
    else:
        donor = donor_find_or_create(
            unit=campaign.unit,
            **donor_fields,
            honor_roll_consent=bool(list_on_honor_roll),
            email_consent=bool(email_consent),
            by=created_by,
        )
    pledge = Pledge.objects.create(
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
    )
    PledgeInstallment.objects.bulk_create(
        PledgeInstallment(pledge=pledge, number=number, due_on=due_on, amount=part)
        for number, due_on, part in installment_schedule(amount=amount, installments=installments, start=today)
    )
    audit_create(pledge, PLEDGE_AUDIT_FIELDS, actor=created_by, extra={"installments": installments})
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


# --- payments ---------------------------------------------------------------------------------

# Debit side of a payment's entry by method; the credit side is donation income of the fund.
_PAYMENT_ACCOUNTS = {
    Payment.Method.CASH: (accounts.CASH, accounts.DONATION_INCOME),
    Payment.Method.BANK_TRANSFER: (accounts.BANK, accounts.DONATION_INCOME),
    Payment.Method.IN_KIND: (accounts.IN_KIND_ASSETS, accounts.IN_KIND_DONATION_INCOME),
}
CLOSED_STATUSES = (Pledge.Status.CANCELLED, Pledge.Status.WRITTEN_OFF)


def _payment_errors(
    *, donor, amount, method, received_on, fund, pledge, paid_before, bank_reference, in_kind_description,
    overpayment_reason,
):
    errors: dict[str | None, list[ValidationError]] = {}

    def add(field, message_text, code):
        errors.setdefault(field, []).append(ValidationError(message_text, code=code))

    if bank_reference and Payment.objects.filter(bank_reference=bank_reference).exists():
        # Said alone: whatever else is wrong with it, this transfer is on the books already. (The
        # unique index, not this query, is what stops two concurrent recordings of it.)
        add("bank_reference", _duplicate_bank_reference_message(bank_reference), "duplicate_bank_reference")
        return errors
    for error in _amount_errors(amount):
        errors.setdefault("amount", []).append(error)
    if method not in _PAYMENT_ACCOUNTS:
        add("method", _("Hình thức nộp tiền không hợp lệ."), "invalid_method")
    elif method == Payment.Method.IN_KIND and not (in_kind_description or "").strip():
        add("in_kind_description", _("Hãy mô tả hiện vật nhận được."), "in_kind_description_required")
    elif method == Payment.Method.BANK_TRANSFER and not bank_reference:
        # The bank's transaction number is what ties the money to the statement, and what stops
        # the same transfer being recorded twice.
        add("bank_reference", _("Chuyển khoản cần mã giao dịch ngân hàng."), "bank_reference_required")
    # Not after today, not before the association existed (fundmgr.dates): the date also picks
    # the receipt's numbering year.
    for error in document_date_errors(received_on, label=pgettext("subject of a sentence", "Ngày nhận")):
        errors.setdefault("received_on", []).append(error)
    if pledge is not None:
        if pledge.status in CLOSED_STATUSES:
            add("pledge", _("Cam kết %(reference)s đã hủy hoặc đã xóa nợ: không ghi nhận khoản thu vào cam kết này.")
                % {"reference": pledge.reference}, "pledge_closed")
        if pledge.donor_id != donor.pk:
            add("pledge", _("Cam kết %(reference)s không phải của nhà hảo tâm này.") % {"reference": pledge.reference}, "pledge_other_donor")
        if fund is not None and fund.pk != pledge.fund_id:
            add("fund", _("Khoản thu theo cam kết vào quỹ của cam kết đó."), "fund_not_pledge_fund")
        if "amount" not in errors and not overpayment_reason:
            left = pledge.amount - paid_before
            if amount > left:
                add(
                    "overpayment_reason",
                    _("Khoản thu %(amount)s vượt số cam kết còn phải nộp (%(left)s). Nếu đúng là nộp thừa, "
                      "hãy xác nhận và ghi lý do.")
                    % {"amount": format_vnd(amount), "left": format_vnd(max(left, 0))},
                    "overpayment_unconfirmed",
                )
    elif fund is None:
        add("fund", _("Hãy chọn quỹ nhận tiền."), "fund_required")
    if donor.merged_into_id is not None:
        add("donor", _("Nhà hảo tâm này đã được gộp vào một hồ sơ khác: hãy ghi vào hồ sơ đó."), "donor_merged")
    if bank_reference is not None and len(bank_reference) > 64:
        add("bank_reference", _("Mã giao dịch ngân hàng dài quá 64 ký tự."), "max_length")
    if len(overpayment_reason) > 500:
        add("overpayment_reason", _("Lý do dài quá 500 ký tự."), "max_length")
    return errors


def _duplicate_bank_reference_message(bank_reference: str) -> str:
    return _("Giao dịch ngân hàng %(reference)s đã được ghi nhận.") % {"reference": bank_reference}


def _pledge_paid(pledge: Pledge) -> int:
    """What was paid on `pledge` so far: the sum of its payments not voided."""
    return Payment.objects.not_voided().filter(pledge=pledge).aggregate(total=Sum("amount"))["total"] or 0


def pledge_status_refresh(pledge: Pledge, *, by=None, paid: int | None = None) -> Pledge:
    """Set an open pledge's status from the sum of its payments not voided (the caller holds its row lock).

    `by` is the actor of the audit row of a status change (the person recording the payment);
    `paid` is that sum when the caller knows it already.
    """
    if pledge.status in CLOSED_STATUSES:
        return pledge
    paid = _pledge_paid(pledge) if paid is None else paid
    if paid >= pledge.amount:
        status = Pledge.Status.FULFILLED
    elif paid > 0:
        status = Pledge.Status.PARTIALLY_PAID
    else:
        status = Pledge.Status.PLEDGED
    if status != pledge.status:
        before = {"status": pledge.status}
        pledge.status = status
        pledge.save(update_fields=["status"])
        audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
    return pledge


def payment_record(
    *,
    donor: Donor,
    amount: int,
    method: str,
    received_on: datetime.date,
    unit: OrgUnit,
    fund: Fund | None = None,
    pledge: Pledge | None = None,
    bank_reference: str | None = None,
    in_kind_description: str = "",
    overpayment_reason: str = "",
    recorded_by=None,
    channel: str = "admin",
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received: the payment, its journal entry and the pledge's new status, at once.

    Cash: Dr 111 / Cr 511; bank transfer: Dr 112 / Cr 511; in kind: Dr 156 / Cr 512, all in
    the fund (the pledge's fund when the payment is for a pledge). Refused: a unit, fund, pledge or
    donor outside `recorded_by`'s units; a bank transfer without its bank reference, or one
    recorded before; paying into a cancelled or written-off pledge; paying more than a pledge has
    left without an `overpayment_reason`. A repeat of `idempotency_key` (scoped to `channel` and
    `unit`) with the same request returns the first payment, with `replayed` set to True.
    """
    bank_reference = (bank_reference or "").strip() or None
    overpayment_reason = " ".join((overpayment_reason or "").split())
    idempotency_key = key_clean(idempotency_key)
    request = {
        "donor": donor.pk, "pledge": getattr(pledge, "pk", None), "fund": getattr(fund, "pk", None),
        "unit": unit.pk, "amount": amount, "method": method, "received_on": received_on,
        "bank_reference": bank_reference, "in_kind_description": in_kind_description or "",
        "overpayment_reason": overpayment_reason,
    }
    try:
        with transaction.atomic():
            payment, created = idempotent_create(
                scope=scope_of(channel, unit), key=idempotency_key, content=request, model=Payment,
                create=lambda: _payment_record(
                    donor=donor, amount=amount, method=method, received_on=received_on, unit=unit, fund=fund,
                    pledge=pledge, bank_reference=bank_reference, in_kind_description=in_kind_description,
                    overpayment_reason=overpayment_reason, recorded_by=recorded_by,
                ),
            )
    except IntegrityError:
        # The unique bank reference, not a query before the insert, is what stops the same bank
        # transaction being recorded twice (also by two imports at once); the block has rolled back.
        if bank_reference and Payment.objects.filter(bank_reference=bank_reference).exists():
            raise ValidationError(
                {"bank_reference": ValidationError(
                    _duplicate_bank_reference_message(bank_reference), code="duplicate_bank_reference"
                )}
            ) from None
        raise
    payment.replayed = not created
    return payment


def _payment_record(
    *, donor, amount, method, received_on, unit, fund, pledge, bank_reference, in_kind_description,
    overpayment_reason, recorded_by,
) -> Payment:
    if pledge is not None:
        # The row lock serialises payments of one pledge, so each sees the others' amounts. The
        # campaign comes along (not locked: `of`) for the unit of the status change's audit row.
        pledge = (
            Pledge.objects.select_for_update(of=("self", "fund")).select_related("fund__unit", "campaign__unit")
            .get(pk=pledge.pk)
        )
    target_fund = pledge.fund if pledge is not None else fund
    access_units(
        recorded_by,
        [unit, donor.unit, getattr(target_fund, "unit", None), pledge.campaign.unit if pledge is not None else None],
        action=Action.ADD, domain=Domain.MONEY,
    )
    # Read under the pledge's lock: the payments of one pledge are serialised.
    paid_before = _pledge_paid(pledge) if pledge is not None else 0
    errors = _payment_errors(
        donor=donor, amount=amount, method=method, received_on=received_on, fund=fund, pledge=pledge,
        paid_before=paid_before, bank_reference=bank_reference, in_kind_description=in_kind_description,
        overpayment_reason=overpayment_reason,
    )
    if errors:
        raise ValidationError({field or "__all__": messages for field, messages in errors.items()})
    fund = target_fund
    payment = Payment.objects.create(
        donor=donor, pledge=pledge, fund=fund, unit=unit, amount=amount, method=method,
        in_kind_description=(in_kind_description or "").strip() if method == Payment.Method.IN_KIND else "",
        received_on=received_on, bank_reference=bank_reference, recorded_by=recorded_by,
        overpayment_reason=overpayment_reason if pledge is not None else "",
    )
    debit_account, credit_account = _PAYMENT_ACCOUNTS[method]
    entry = entry_post(
        unit=unit,
        date=received_on,
        memo=_payment_memo(payment, donor=donor, pledge=pledge),
        lines=[Line(debit_account, fund, debit=amount), Line(credit_account, fund, credit=amount)],
        source=payment,
        created_by=recorded_by,
    )
    payment.journal_entry = entry
    payment.save(update_fields=["journal_entry"])
    audit_create(payment, PAYMENT_AUDIT_FIELDS, actor=recorded_by)
    if pledge is not None:
        pledge_status_refresh(pledge, by=recorded_by, paid=paid_before + amount)
    # The receipt (phiếu thu) is issued here, inside this transaction, by the receipts service.
    receipts_services.receipt_issue(payment=payment, issued_by=recorded_by)
    return payment


def _payment_memo(payment: Payment, *, donor: Donor, pledge: Pledge | None) -> str:
    # Ledger text is a record, not an interface: written in Vietnamese whatever the request language.
    kind = {"cash": "tiền mặt", "bank_transfer": "chuyển khoản", "in_kind": "hiện vật"}[payment.method]
    reference = f" {pledge.reference}" if pledge is not None else ""
    return f"Thu ủng hộ{reference} ({kind}) – {donor.name}"[:500]


def payment_void(*, payment: Payment, reason: str, by, reversal_reason: str | None = None) -> Payment:
    """Take a payment out of the money received: reverse its journal entry, mark it voided, and set
    its pledge's status from the payments left (a fulfilled pledge goes back to partially paid or
    pledged), in one transaction.

    The row stays, with the reason, who and when: money rows are never edited or deleted.
    `reversal_reason` is the reversal's reason in the ledger (default "Hủy khoản thu #<id>: <reason>").
    The use case is voiding the payment's receipt: `receipts.services.receipt_void` checks who may,
    calls this in its own transaction and names the receipt in `reversal_reason`; calling this
    alone would leave the receipt issued.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Hãy ghi lý do hủy."), code="reason_required")})
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("Lý do dài quá 500 ký tự."), code="max_length")})
    with transaction.atomic():
        # The pledge first, as `payment_record` locks it: payments of one pledge (recorded or
        # voided) are serialised, and each status is computed from the others' committed rows.
        pledge = None
        if payment.pledge_id is not None:
            # With its campaign (not locked), which gives the audit row of a status change its unit.
            pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=payment.pledge_id)
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("journal_entry").get(pk=payment.pk)
        )
        if payment.is_voided:
            raise ValidationError(_("Khoản thu này đã bị hủy trước đó."), code="payment_already_voided")
        before = audit_fields(payment, PAYMENT_VOID_FIELDS)
        if payment.journal_entry is not None:
            payment.void_entry = entry_reverse(
                entry=payment.journal_entry, reason=reversal_reason or f"Hủy khoản thu #{payment.pk}: {reason}",
                created_by=by, date=timezone.localdate(),
            )
        payment.voided_at = timezone.now()
        payment.void_reason = reason
        payment.voided_by = by
        payment.save(update_fields=PAYMENT_VOID_FIELDS)
        audit_change(payment, before, action=AuditEvent.Action.TRANSITION, actor=by)
        if pledge is not None:
            pledge_status_refresh(pledge, by=by)
    return payment


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
    pledge.status = status
    pledge.closed_reason = reason
    pledge.closed_by = by
    pledge.closed_at = timezone.now()
    pledge.save(update_fields=["status", "closed_reason", "closed_by", "closed_at"])
    audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
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
    pledge.confirmed_at = timezone.now()
    pledge.confirmed_by = by
    pledge.save(update_fields=PLEDGE_CONFIRM_FIELDS)
    audit_change(pledge, before, action=AuditEvent.Action.TRANSITION, actor=by)
    return pledge


# --- donors: edits ------------------------------------------------------------------------------


@transaction.atomic
def donor_update(*, donor: Donor, by=None, **fields) -> Donor:
    """Correct a donor's name, kind or contacts (normalised and checked as on creation)."""
    allowed = {"kind", "name", "email", "phone", "tax_code", "address"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"donor_update() got unexpected fields {sorted(unknown)}")
    access_units(by, [donor.unit], action=Action.CHANGE, domain=Domain.MONEY)
    current = {field: getattr(donor, field) for field in allowed}
    cleaned = donor_fields_clean(**{**current, **fields})
    before = audit_fields(donor, sorted(allowed))
    changed = [field for field in allowed if cleaned[field] != current[field]]
    for field in changed:
        setattr(donor, field, cleaned[field])
    if "name" in changed:
        donor.name_normalized = name_normalize(donor.name)
        changed.append("name_normalized")
    if changed:
        donor.save(update_fields=sorted(changed))
        audit_change(donor, before, actor=by)
    return donor


# --- pledges from a CSV file -----------------------------------------------------------------

# Column headers of a pledge import file (compared without diacritics or case); see
# docs/bank-statements.md, "Importing pledges".
PLEDGE_IMPORT_COLUMNS = {
    "donor_name": ("Họ tên", "Tên nhà hảo tâm", "Tên"),
    "donor_kind": ("Loại",),
    "email": ("E-mail", "Email"),
    "phone": ("Điện thoại", "Số điện thoại"),
    "tax_code": ("Mã số thuế", "MST"),
    "address": ("Địa chỉ",),
    "amount": ("Số tiền",),
    "fund": ("Quỹ", "Mã quỹ"),
    "installments": ("Số đợt",),
    "anonymous": ("Ẩn danh",),
    "list_on_honor_roll": ("Ghi danh bảng vàng", "Bảng vàng"),
    "message": ("Lời nhắn",),
}
_KIND_WORDS = {
    **{name_normalize(str(label)): value for value, label in Donor.Kind.choices},
    **{value: value for value in Donor.Kind.values},
    "ca nhan": Donor.Kind.INDIVIDUAL, "doanh nghiep": Donor.Kind.BUSINESS, "co quan": Donor.Kind.AGENCY,
    "to chuc": Donor.Kind.ORGANISATION, "": Donor.Kind.INDIVIDUAL,
}
_YES = {"co", "x", "1", "true", "yes", "dong y"}


@dataclasses.dataclass
class PledgeImportResult:
    created: int
    existing: int  # rows imported before (the same file, or the same row in another file)
    pledges: list


def pledges_import(*, campaign: Campaign, content: bytes, created_by=None) -> PledgeImportResult:
    """Create the pledges of a CSV file (channel import), all or none.

    Every row goes through `pledge_create`. Each row's idempotency key is a hash of the campaign,
    the row's content and its occurrence in the file, so importing the same file again creates
    nothing. Any invalid row refuses the whole file: ValidationError listing each row's errors.
    """
    import csv
    import hashlib
    import io

    from fundmgr.money import AmountError, parse_vnd

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("Không đọc được tệp: hãy lưu dưới dạng CSV (UTF-8)."), code="encoding") from None
    sample = text[:4096]
    delimiter = max((";", "\t", ","), key=sample.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValidationError(_("Tệp trống."), code="empty")
    headers = [name_normalize(cell) for cell in rows[0]]
    columns = {}
    for field, names in PLEDGE_IMPORT_COLUMNS.items():
        for name in names:
            if name_normalize(name) in headers:
                columns[field] = headers.index(name_normalize(name))
                break
    missing = [PLEDGE_IMPORT_COLUMNS[field][0] for field in ("donor_name", "amount") if field not in columns]
    if missing:
        raise ValidationError(
            _("Tệp thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns"
        )
    funds = {fund.code.casefold(): fund for fund in campaign.funds.all()}
    errors, pledges, created_count, seen = [], [], 0, {}
    with transaction.atomic():
        for line_number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue

            def cell(field):
                column = columns.get(field)
                return row[column].strip() if column is not None and column < len(row) else ""

            row_errors = []
            try:
                amount = parse_vnd(cell("amount"))
            except AmountError as error:
                amount, row_errors = None, [f"{PLEDGE_IMPORT_COLUMNS['amount'][0]}: {error.message}"]
            kind = _KIND_WORDS.get(name_normalize(cell("donor_kind")))
            if kind is None:
                row_errors.append(_("Loại nhà hảo tâm không hợp lệ."))
            fund = None
            if cell("fund"):
                fund = funds.get(cell("fund").casefold())
                if fund is None:
                    row_errors.append(_("Quỹ này không nhận ủng hộ trong chiến dịch."))
            installments_text = cell("installments") or "1"
            installments = int(installments_text) if installments_text.isdigit() else 0
            if row_errors:
                errors.append((line_number, row_errors))
                continue
            identity = "\x1f".join([str(campaign.pk), *(cell(field) for field in PLEDGE_IMPORT_COLUMNS)])
            seen[identity] = seen.get(identity, 0) + 1
            key = "import-" + hashlib.sha256(f"{identity}\x1f{seen[identity]}".encode()).hexdigest()[:50]
            try:
                pledge, created = pledge_create(
                    campaign=campaign, donor_name=cell("donor_name"), donor_kind=kind, email=cell("email"),
                    phone=cell("phone"), tax_code=cell("tax_code"), address=cell("address"), amount=amount,
                    fund=fund, installments=installments,
                    anonymous=name_normalize(cell("anonymous")) in _YES,
                    list_on_honor_roll=name_normalize(cell("list_on_honor_roll")) in _YES,
                    message=cell("message"), channel=Pledge.Channel.IMPORT, idempotency_key=key,
                    created_by=created_by,
                )
            except ValidationError as error:
                errors.append((line_number, error.messages))
                continue
            pledges.append(pledge)
            created_count += created
        if errors:
            # Nothing of a file with errors is kept (raising rolls the block back): the treasurer
            # fixes the file and imports it again.
            raise ValidationError(
                [
                    ValidationError(_("Dòng %(line)d: %(errors)s") % {"line": line, "errors": " ".join(messages)})
                    for line, messages in errors[:50]
                ]
            )
    return PledgeImportResult(created=created_count, existing=len(pledges) - created_count, pledges=pledges)


# --- pledge e-mails ----------------------------------------------------------------------------
#
# Every e-mail about a pledge (its confirmation, a reminder of an installment) is a `PledgeEmail`
# row, unique per pledge, kind and installment, and goes out through `pledge_email_send`:
#
# 1. under a row lock: sent, skipped or failed → stop; another worker holds a fresh lease (it is
#    sending right now) → `PledgeEmailBusy`, the task retries later; nothing to send any more (no
#    address; for a reminder: no consent, the pledge closed or fulfilled, the installment paid)
#    → skipped; else take the lease (status sending, attempt + 1) and commit;
# 2. send, outside any lock or transaction (SMTP may take seconds);
# 3. mark it sent; on a send error, give the lease back (pending, the error kept) and re-raise,
#    so that the task retries with back-off; the task marks it failed when retries run out.
#
# A worker killed between 2 and 3 leaves a lease that expires after `PLEDGE_EMAIL_LEASE`; the
# redelivered task then sends again. That window (a crash after the SMTP server accepted the
# message and before one UPDATE) is the only way to a second e-mail; the Message-ID is fixed per
# row, so mail clients that de-duplicate show one.

PLEDGE_EMAIL_LEASE = datetime.timedelta(minutes=10)
PLEDGE_EMAIL_ERROR_MAX_LENGTH = 2000
OPEN_PLEDGE_STATUSES = (Pledge.Status.PLEDGED, Pledge.Status.PARTIALLY_PAID)


class PledgeEmailBusy(Exception):
    """Another worker holds a fresh lease on this e-mail: it is sending it right now."""


def installment_amount_due(installments: list[PledgeInstallment], installment: PledgeInstallment, paid: int) -> int:
    """What is still to pay of `installment`, given all the pledge's `installments` (in order)
    and what was `paid`: payments cover installments in order, so an installment is covered when
    the installments up to it add up to no more than the amount paid."""
    cumulative = sum(item.amount for item in installments if item.number <= installment.number)
    return max(0, min(installment.amount, cumulative - paid))


def _pledge_email_skip_reason(email: PledgeEmail, pledge: Pledge) -> tuple[str, int]:
    """(why not to send, "" to send; the amount due for a reminder)."""
    if not pledge.donor.email:
        return "Nhà hảo tâm không có địa chỉ e-mail.", 0
    if email.kind == PledgeEmail.Kind.CONFIRMATION:
        return "", 0
    # Reminders are checked again at send time: a payment, a cancellation or a withdrawn consent
    # may have come after the row was created.
    if not pledge.donor.email_consent:
        return "Nhà hảo tâm không đồng ý nhận e-mail.", 0
    if pledge.status not in OPEN_PLEDGE_STATUSES:
        return f"Cam kết không còn phải nộp (trạng thái {pledge.status}).", 0
    installments = list(pledge.installments.order_by("number"))
    paid = Payment.objects.not_voided().filter(pledge=pledge).aggregate(total=Sum("amount"))["total"] or 0
    amount_due = installment_amount_due(installments, email.installment, paid)
    if amount_due == 0:
        return "Đợt này đã được nộp đủ.", 0
    return "", amount_due


def pledge_email_send(*, pledge_email_id: int, today: datetime.date | None = None) -> bool:
    """Send one pledge e-mail once; True when this call sent it (see the section's comment).

    Raises `PledgeEmail.DoesNotExist` for an unknown id, `PledgeEmailBusy` while another worker
    sends it, and the send error itself (the lease is given back first).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        email = PledgeEmail.objects.select_for_update(of=("self",)).select_related("installment").get(pk=pledge_email_id)
        if email.status in (PledgeEmail.Status.SENT, PledgeEmail.Status.SKIPPED, PledgeEmail.Status.FAILED):
            return False
        now = timezone.now()
        if email.status == PledgeEmail.Status.SENDING and email.claimed_at and now - email.claimed_at < PLEDGE_EMAIL_LEASE:
            raise PledgeEmailBusy(pledge_email_id)
        pledge = Pledge.objects.select_related("donor", "fund", "campaign__unit").get(pk=email.pledge_id)
        skip_reason, amount_due = _pledge_email_skip_reason(email, pledge)
        if skip_reason:
            email.status = PledgeEmail.Status.SKIPPED
            email.last_error = skip_reason
            email.claimed_at = None
            email.save(update_fields=["status", "last_error", "claimed_at"])
            return False
        email.status = PledgeEmail.Status.SENDING
        email.attempts += 1
        email.claimed_at = now
        email.recipient = pledge.donor.email
        email.save(update_fields=["status", "attempts", "claimed_at", "recipient"])
    message_id = f"pledge-email.{email.pk}.{pledge.reference}"
    try:
        if email.kind == PledgeEmail.Kind.CONFIRMATION:
            message = emails.pledge_confirmation_message(pledge, recipient=email.recipient, message_id=message_id)
        else:
            message = emails.pledge_reminder_message(
                pledge, kind=email.kind, installment=email.installment, amount_due=amount_due, today=today,
                recipient=email.recipient, message_id=message_id,
            )
        message.send()
    except Exception as error:
        PledgeEmail.objects.filter(pk=email.pk, status=PledgeEmail.Status.SENDING, claimed_at=now).update(
            status=PledgeEmail.Status.PENDING, claimed_at=None,
            last_error=f"{type(error).__name__}: {error}"[:PLEDGE_EMAIL_ERROR_MAX_LENGTH],
        )
        raise
    PledgeEmail.objects.filter(pk=email.pk).update(
        status=PledgeEmail.Status.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return True


def pledge_confirmation_send(*, pledge_id: int) -> bool:
    """Send the pledge's confirmation once; True when this call sent it.

    The row is created on the first attempt, and only for a donor with an e-mail address (the
    confirmation needs no e-mail consent: it answers the donor's own pledge).
    """
    pledge = Pledge.objects.select_related("donor").filter(pk=pledge_id).first()
    if pledge is None or not pledge.donor.email:
        return False
    email, _created = PledgeEmail.objects.get_or_create(
        pledge=pledge, kind=PledgeEmail.Kind.CONFIRMATION, installment=None
    )
    return pledge_email_send(pledge_email_id=email.pk)


def pledge_email_mark_failed(*, pledge_email_id: int, error: str) -> None:
    """The task gave up (retries exhausted): the row says failed, with the last error.

    A row that was sent or skipped meanwhile, or that another worker holds a fresh lease on, is
    left alone.
    """
    with transaction.atomic():
        email = PledgeEmail.objects.select_for_update().filter(pk=pledge_email_id).first()
        if email is None or email.status in (PledgeEmail.Status.SENT, PledgeEmail.Status.SKIPPED):
            return
        if (
            email.status == PledgeEmail.Status.SENDING and email.claimed_at
            and timezone.now() - email.claimed_at < PLEDGE_EMAIL_LEASE
        ):
            return
        email.status = PledgeEmail.Status.FAILED
        email.last_error = (error or email.last_error)[:PLEDGE_EMAIL_ERROR_MAX_LENGTH]
        email.claimed_at = None
        email.save(update_fields=["status", "last_error", "claimed_at"])


# --- pledge reminders ----------------------------------------------------------------------------

@dataclasses.dataclass
class PledgeRemindersResult:
    created: int  # new reminder rows (0 when the job already ran today)
    queued: list[int]  # ids of the reminder rows queued for sending after commit


def _reminder_windows(today: datetime.date) -> dict[str, tuple[datetime.date, datetime.date]]:
    """(first, last) due dates, inclusive, of the installments each kind of reminder is for.

    Due in `PLEDGE_REMINDER_DAYS_BEFORE` days, overdue by `PLEDGE_REMINDER_DAYS_AFTER` days; each
    window reaches `PLEDGE_REMINDER_CATCH_UP_DAYS` back, so a day the beat job did not run (beat
    down, a deployment) is caught up the next time; the unique row keeps it to one e-mail each.
    A reminder before the due date is never sent on or after that date.
    """
    before = settings.PLEDGE_REMINDER_DAYS_BEFORE
    after = settings.PLEDGE_REMINDER_DAYS_AFTER
    catch_up = settings.PLEDGE_REMINDER_CATCH_UP_DAYS
    return {
        PledgeEmail.Kind.REMINDER_BEFORE: (
            max(today + datetime.timedelta(days=1), today + datetime.timedelta(days=before - catch_up)),
            today + datetime.timedelta(days=before),
        ),
        PledgeEmail.Kind.REMINDER_OVERDUE: (
            today - datetime.timedelta(days=after + catch_up), today - datetime.timedelta(days=after),
        ),
    }


def installments_to_remind(*, today: datetime.date):
    """The installments a reminder is due for today, each annotated with `reminder_kind`: one query.

    An installment qualifies when its due date is in a window of `_reminder_windows`, its pledge
    is open (pledged or partially paid), the donor has an e-mail address and consented to e-mail,
    and it is not covered: payments (not voided) cover installments in order, so it is covered
    when the installments up to it add up to no more than the amount paid. Both sums are
    correlated subqueries, so the cost does not grow with the number of payments or installments.
    """
    windows = _reminder_windows(today)
    paid = (
        Payment.objects.not_voided().filter(pledge=OuterRef("pledge")).order_by().values("pledge")
        .annotate(total=Sum("amount")).values("total")
    )
    cumulative = (
        PledgeInstallment.objects.filter(pledge=OuterRef("pledge"), number__lte=OuterRef("number"))
        .order_by().values("pledge").annotate(total=Sum("amount")).values("total")
    )
    in_windows = Q()
    kind_of = []
    for kind, (first, last) in windows.items():
        in_windows |= Q(due_on__gte=first, due_on__lte=last)
        kind_of.append(When(due_on__gte=first, due_on__lte=last, then=Value(kind)))
    return (
        PledgeInstallment.objects.filter(in_windows)
        .filter(pledge__status__in=OPEN_PLEDGE_STATUSES, pledge__donor__email_consent=True)
        .exclude(pledge__donor__email="")
        .annotate(
            paid_amount=Coalesce(Subquery(paid, output_field=BigIntegerField()), Value(0)),
            cumulative_amount=Subquery(cumulative, output_field=BigIntegerField()),
            reminder_kind=Case(*kind_of, output_field=CharField()),
        )
        .filter(cumulative_amount__gt=F("paid_amount"))
        .order_by("pledge_id", "number")
    )


def pledge_reminders_due(*, today: datetime.date) -> PledgeRemindersResult:
    """Create the reminder e-mails due today and queue them for sending after commit.

    One `PledgeEmail` per installment and kind: the unique constraint, not a read before the
    write, keeps it to one, also when the job runs twice at once, so running again on the same
    day creates nothing. Rows of these installments still pending (their message was lost, or
    the job is running again) are queued again; sending is idempotent. Queries: the installments
    (`installments_to_remind`), the rows that exist, one INSERT per 1,000 new rows, the rows to
    queue; the pledges are re-checked when each e-mail is sent (`pledge_email_send`).
    """
    with transaction.atomic():
        candidates = list(installments_to_remind(today=today).values_list("pk", "pledge_id", "reminder_kind"))
        installment_ids = [pk for pk, _pledge, _kind in candidates]
        existing = set(
            PledgeEmail.objects.filter(installment_id__in=installment_ids).values_list("installment_id", "kind")
        )
        new = [
            PledgeEmail(pledge_id=pledge_id, kind=kind, installment_id=pk)
            for pk, pledge_id, kind in candidates
            if (pk, kind) not in existing
        ]
        # ignore_conflicts: a second run at the same moment inserts the same rows; the constraint
        # drops them here instead of failing the whole run.
        PledgeEmail.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        queued = list(
            PledgeEmail.objects.filter(
                installment_id__in=installment_ids, status=PledgeEmail.Status.PENDING,
                kind__in=[PledgeEmail.Kind.REMINDER_BEFORE, PledgeEmail.Kind.REMINDER_OVERDUE],
            ).order_by("pk").values_list("pk", flat=True)
        )

        def send():
            # Imported here: the tasks module imports this one.
            from . import tasks

            receipts_services.enqueue_many([(tasks.pledge_email_send_task, (pk,)) for pk in queued])

        transaction.on_commit(send)
    logger.info("pledge reminders for %s: %d new, %d queued", today, len(new), len(queued))
    return PledgeRemindersResult(created=len(new), queued=queued)


@transaction.atomic
def donor_data_export_record(*, donor: Donor, by) -> dict:
    """Everything held about `donor`, handed out on the donor's request, with its audit row.

    The audit row names what was exported (counts, not the data itself), who exported it and when.
    """
    data = selectors.donor_data_export(donor)
    audit_record(
        action=AuditEvent.Action.EXPORT, instance=donor, actor=by,
        after={"pledges": len(data["pledges"]), "payments": len(data["payments"]),
               "merged_donor_records": len(data["merged_donor_records"])},
    )
    return data

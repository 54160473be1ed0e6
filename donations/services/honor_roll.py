"""A donor's request that their name leave the public pages, and the treasurer's closing of it.

The request comes from the donor's own pledge page, anonymously (the reference is the bearer
secret): it only inserts a `HonorRollRemovalRequest`, which hides the name at once
(`donations.progress.publicly_listed`). The treasurer then closes it: the pledge's
`list_on_honor_roll` goes off, with an audit row, so the choice is recorded on the pledge itself.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.models import HonorRollRemovalRequest, Pledge
from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_change, audit_create, audit_fields
from fundmgr.orgs.access import access_units
from fundmgr.orgs.roles import Action, Domain

from .tallies import tally_pledge_donor


def honor_roll_removal_request(*, pledge: Pledge) -> tuple[HonorRollRemovalRequest, bool]:
    """The pledge's removal request, created unless one exists: (request, created).

    Idempotent, also when two requests race: the pledge has at most one (a unique column), and the
    loser of the race answers the winner's row.

    The pledge's row is locked first, as a payment locks it: a payment of the pledge reads whether
    it has a request right after that lock (`payment_record`, for the honor roll's total), so the
    request waits for a payment in progress, or is committed before the payment reads. It is also
    the payments' lock order (the pledge, then the donor's running totals); without it, the
    request's foreign key check at commit took the pledge's lock last.
    """
    existing = HonorRollRemovalRequest.objects.filter(pledge=pledge).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            Pledge.objects.select_for_update().filter(pk=pledge.pk).values_list("pk").get()
            removal = HonorRollRemovalRequest.objects.create(pledge=pledge)
            audit_create(removal, ["pledge"])
            tally_pledge_donor(pledge)  # the name and its money leave the honor roll at once
    except IntegrityError:
        return HonorRollRemovalRequest.objects.get(pledge=pledge), False
    return removal, True


@transaction.atomic
def honor_roll_removal_close(*, removal: HonorRollRemovalRequest, by) -> HonorRollRemovalRequest:
    """A treasurer of the campaign's unit (or above) carries the request out: the pledge is no
    longer listed on the honor roll, and the request is closed. Closing twice changes nothing."""
    if by is None:
        raise PermissionDenied(_("Chỉ thủ quỹ / kế toán của đơn vị nhận cam kết mới được xử lý yêu cầu này."))
    removal = HonorRollRemovalRequest.objects.select_for_update(of=("self",)).get(pk=removal.pk)
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign__unit").get(pk=removal.pledge_id)
    access_units(by, [pledge.campaign.unit], action=Action.CHANGE, domain=Domain.MONEY)
    if removal.closed_at is not None:
        return removal
    before = audit_fields(pledge, ["list_on_honor_roll"])
    pledge.list_on_honor_roll = False
    pledge.save(update_fields=["list_on_honor_roll"])
    audit_change(pledge, before, actor=by)
    closed_before = audit_fields(removal, ["closed_at", "closed_by"])
    removal.closed_at, removal.closed_by = timezone.now(), by
    removal.save(update_fields=["closed_at", "closed_by"])
    audit_change(removal, closed_before, actor=by, action=AuditEvent.Action.TRANSITION)
    tally_pledge_donor(pledge)
    return removal

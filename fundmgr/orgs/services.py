"""Writes on memberships: granting and revoking a role in a unit.

A membership is the only thing that gives a user permissions, and the Django admin only lets in
staff users, so granting a role also sets `is_staff`, and revoking the last one clears it.
A grant that creates a membership and every revocation write an audit row in their transaction.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fundmgr.audit.models import AuditEvent
from fundmgr.audit.services import audit_create, audit_fields, audit_record

from .models import Membership, OrgUnit
from .roles import Action, Domain, user_can
from .scoping import forget_memberships

logger = logging.getLogger(__name__)

MEMBERSHIP_AUDIT_FIELDS = ["user", "unit", "role"]


@transaction.atomic
def membership_grant(*, user, unit: OrgUnit, role: str, granted_by=None) -> Membership:
    """Give `user` the `role` in `unit` (idempotent) and let them into the admin.

    `granted_by` is the person acting; it must be allowed to manage memberships in `unit`.
    None means the system itself (seed data, a management command run by an operator).
    """
    if role not in Membership.Role.values:
        raise ValueError(f"unknown role {role!r}")
    if granted_by is not None and not user_can(granted_by, Action.ADD, Domain.ORG, unit):
        raise PermissionDenied(_("Bạn không có quyền phân vai trò trong đơn vị này."))
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_memberships(user)
    if created:
        audit_create(membership, MEMBERSHIP_AUDIT_FIELDS, actor=granted_by)
        logger.info("membership granted: user=%s unit=%s role=%s by=%s", user.pk, unit.pk, role,
                    getattr(granted_by, "pk", None))
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, revoked_by=None) -> None:
    """Take a role away; a user left with no membership (and not a superuser) leaves the admin."""
    if revoked_by is not None and not user_can(revoked_by, Action.DELETE, Domain.ORG, membership.unit):
        raise PermissionDenied(_("Bạn không có quyền thu hồi vai trò trong đơn vị này."))
    user = membership.user
    logger.info("membership revoked: user=%s unit=%s role=%s by=%s", user.pk, membership.unit_id,
                membership.role, getattr(revoked_by, "pk", None))
    audit_record(
        action=AuditEvent.Action.DELETE, instance=membership, actor=revoked_by,
        before=audit_fields(membership, MEMBERSHIP_AUDIT_FIELDS),
    )
    membership.delete()
    if user.is_staff and not user.is_superuser and not user.memberships.exists():
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_memberships(user)

"""Who may call which endpoint: every view declares its domain, the table in
`fundmgr/orgs/roles.py` decides.

A viewset says what it is about and, for its own actions, which capability each needs:

    class ReceiptViewSet(viewsets.ReadOnlyModelViewSet):
        api_domain = Domain.MONEY
        api_actions = {"void": Action.CHANGE, "pdf": Action.VIEW}
        public_actions = frozenset()          # actions anonymous callers may use (read only)

An action about another domain than the view's names both: `{"score": (Domain.AWARDS, Action.CHANGE)}`
(a nomination is the students' record; scoring it is the committee's decision).

The standard actions need the capability of their name (`list`, `retrieve`: view; `create`: add;
`update`, `partial_update`: change; `destroy`: delete). A caller passes if `user_can` grants
the capability in some unit; which rows it may see or touch is the queryset's scope (a row
outside it is a 404) and the service's `access_units` (a write outside it is a 403).
A view without a declaration, or an action without a capability, is refused for everyone: the
permission-matrix test (`tests/api/test_permission_matrix.py`) fails on it before it ships.

A token of scope "read" may only read (GET, HEAD, OPTIONS), whatever its user may do.
"""

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from fundmgr.orgs.roles import Action, user_can

from .models import ApiToken

STANDARD_ACTIONS = {
    "list": Action.VIEW, "retrieve": Action.VIEW, "metadata": Action.VIEW,
    "create": Action.ADD, "update": Action.CHANGE, "partial_update": Action.CHANGE, "destroy": Action.DELETE,
}
PUBLIC = "public"


def required_capability(view, action: str) -> tuple[str, str]:
    """`(domain, capability)` that `action` of `view` needs; `(PUBLIC, "view")` for a public action.

    ImproperlyConfigured when the view declares no domain or the action no capability.
    """
    if action in getattr(view, "public_actions", ()):
        return PUBLIC, Action.VIEW
    domain = getattr(view, "api_domain", None)
    if domain is None:
        raise ImproperlyConfigured(f"{type(view).__name__} declares no api_domain")
    capability = {**STANDARD_ACTIONS, **getattr(view, "api_actions", {})}.get(action)
    if capability is None:
        raise ImproperlyConfigured(f"{type(view).__name__}.{action} has no capability in api_actions")
    if isinstance(capability, tuple):
        return capability
    return domain, capability


def user_can_any(user, capability: str, domain, unit=None) -> bool:
    """`user_can` for a view whose `api_domain` is several domains (report runs: each run is of its
    report's domain): the capability in any of them."""
    domains = domain if isinstance(domain, tuple | frozenset) else (domain,)
    return any(user_can(user, capability, each, unit) for each in domains)


class ReadScopeOnlyReads(BasePermission):
    message = _("Khóa API này chỉ có quyền đọc.")

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == ApiToken.Scope.READ:
            return request.method in SAFE_METHODS
        return True


class DomainPermission(BasePermission):
    """The capability the view declares for the action, in some unit of the user."""

    def has_permission(self, request, view):
        action = getattr(view, "action", None)
        if action is None:
            # A method the view does not route: let the view answer 405.
            return True
        try:
            domain, capability = required_capability(view, action)
        except ImproperlyConfigured:
            return False
        if domain == PUBLIC:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF turns this into a 401 with the authentication challenge
        return user_can_any(user, capability, domain)


# The default of every API view (settings.REST_FRAMEWORK); the order decides which 403 message wins.
DEFAULT_PERMISSIONS = [ReadScopeOnlyReads, DomainPermission]

"""The rows a viewset shows: those of the caller's units where they may view its domain.

    class PaymentViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
        api_domain = Domain.MONEY
        scope_path = "unit"                  # from the row to its OrgUnit ("campaign__unit", …)

        def get_queryset(self):
            return self.scoped(Payment.objects.select_related("donor", "unit"))

`scoped` is `fundmgr.orgs.scoping.scope_queryset` with the roles that may view the domain
(`roles_with(Action.VIEW, domain)`): a row outside the scope is not listed and is a 404. A
viewset may scope another queryset with another path or domain (a pledge named in a payment's
body: `self.scoped(pledges, "campaign__unit")`). The scope is for reads; a write is checked by
its service (`access_units`), whatever the caller could list.
"""

from django.db.models import QuerySet

from fundmgr.orgs.roles import Action, roles_with
from fundmgr.orgs.scoping import scope_queryset


class ScopedQuerysetMixin:
    scope_path = "unit"

    def scoped(self, queryset: QuerySet, path: str | None = None, *, domain: str | None = None) -> QuerySet:
        return scope_queryset(
            queryset, self.request.user, self.scope_path if path is None else path,
            roles=roles_with(Action.VIEW, domain or self.api_domain),
        )

"""`/api/v1/`: each app contributes its own routes from `<app>/api/urls.py`; the root lists them.

Included by dotted name, not imported: the API kit knows no feature, and no module but the reports'
own imports the reports app."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

app_name = "api"


def list_route_names(patterns) -> list[str]:
    """The names of the collection routes (`<basename>-list`) among `patterns`, nested includes too."""
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names += list_route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and (pattern.name or "").endswith("-list") and not pattern.pattern.converters:
            names.append(pattern.name)
    return names


class ApiRootView(APIView):
    """Every resource of the API, by name, with its URL."""

    permission_classes = [AllowAny]
    public_actions = frozenset({"get"})  # names only, no data: anyone may read it

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, format=None):
        return Response({
            name.removesuffix("-list"): reverse(f"{app_name}:{name}", request=request, format=format)
            for name in sorted(list_route_names(urlpatterns))
        })


urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("donations.api.urls")),
    path("", include("fundmgr.ledger.api.urls")),
    path("", include("fundmgr.reports.api.urls")),
    path("", include("scholarships.api.urls")),
]

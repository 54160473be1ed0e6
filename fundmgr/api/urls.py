"""`/api/v1/`: each app contributes its own routes from `<app>/api/urls.py`.

Included by dotted name, not imported: the API kit knows no feature, and no module but the reports'
own imports the reports app."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("donations.api.urls")),
    path("", include("fundmgr.ledger.api.urls")),
    path("", include("fundmgr.reports.api.urls")),
    path("", include("scholarships.api.urls")),
]

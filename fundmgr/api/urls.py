"""`/api/v1/`: each app contributes its own routes from `<app>/api/urls.py`."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("donations.api.urls")),
    path("", include("scholarships.api.urls")),
]

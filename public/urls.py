from django.urls import path

from . import statement_views, views

app_name = "public"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("c/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("c/<slug:slug>/pledge/", views.pledge_form, name="pledge-form"),
    path("c/<slug:slug>/statement/", statement_views.campaign_statement, name="campaign-statement"),
    path("u/<str:code>/statement/<int:year>/", statement_views.unit_statement, name="unit-statement"),
    path("p/<str:reference>/", views.pledge_detail, name="pledge-detail"),
    path("p/<str:reference>/verify/", views.pledge_verify, name="pledge-verify"),
    path("p/<str:reference>/honor-roll-removal/", views.honor_roll_removal, name="honor-roll-removal"),
]

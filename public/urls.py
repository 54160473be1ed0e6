from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("c/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("c/<slug:slug>/pledge/", views.pledge_form, name="pledge-form"),
    path("p/<str:reference>/", views.pledge_detail, name="pledge-detail"),
    path("p/<str:reference>/verify/", views.pledge_verify, name="pledge-verify"),
]

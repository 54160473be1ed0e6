from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("c/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
]

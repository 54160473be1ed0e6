from django.urls import path

from . import views

app_name = "donations"

urlpatterns = [
    path("c/<slug:slug>/pledge/", views.pledge_form, name="pledge-form"),
    path("p/<str:reference>/", views.pledge_detail, name="pledge-detail"),
]

"""The project's URLs plus one view that fails, to see the 500 page a visitor would get."""

from django.urls import path

from fundmgr.urls import urlpatterns as project_urlpatterns


def failing_view(request):
    raise RuntimeError("a bug, for the 500 page test")


urlpatterns = [path("__fail__/", failing_view), *project_urlpatterns]

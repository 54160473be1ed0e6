from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fundmgr.adminkit import applist, home
from fundmgr.health import healthz

admin.site.site_header = _("Hội Khuyến học – Quản lý quỹ khuyến học")
admin.site.site_title = _("Quản lý quỹ khuyến học")
admin.site.index_title = _("Bảng điều khiển")
home.install(admin.site)  # the home page: each app's panels for the user's roles (fundmgr/adminkit/home.py)
applist.install(admin.site)  # the list of apps, built once per request (fundmgr/adminkit/applist.py)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fundmgr.api.urls")),
    path("transparency/", include("fundmgr.transparency.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("public.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

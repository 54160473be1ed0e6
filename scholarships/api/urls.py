from rest_framework.routers import SimpleRouter

from .views import AwardViewSet, ProgramViewSet, StudentViewSet

router = SimpleRouter()
router.register("students", StudentViewSet, basename="student")
router.register("scholarship-programs", ProgramViewSet, basename="scholarship-program")
router.register("awards", AwardViewSet, basename="award")

urlpatterns = router.urls
